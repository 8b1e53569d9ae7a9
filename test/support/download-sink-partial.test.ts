/** DownloadSink.openPartial: the partial file of a resumable download is kept on failure and renamed on success. */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DownloadSink, heldPartialBytes, partialPathOf } from "../../src/request-node/download-sink.ts";

let dir = "";
beforeEach(() => {
  dir = fs.mkdtempSync(join(tmpdir(), "poll-http-partial-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function open(target: string, keep: number): DownloadSink {
  const opened = DownloadSink.openPartial(target, keep);
  if (!opened.ok) throw new Error(opened.reason);
  return opened.sink;
}

describe("DownloadSink.openPartial", () => {
  it("appends after the kept bytes (cutting any excess) and renames over the target on commit", () => {
    const target = join(dir, "t");
    fs.writeFileSync(target, "old");
    fs.writeFileSync(partialPathOf(target), "0123XX");
    expect(heldPartialBytes(target)).toBe(6);
    const sink = open(target, 4);
    expect(sink.tempPath).toBe(`${target}.partial`);
    expect(sink.write(Buffer.from("456")).ok).toBe(true);
    expect(sink.bytesWritten).toBe(3);
    expect(fs.readFileSync(target, "utf8")).toBe("old");
    expect(sink.commit().ok).toBe(true);
    expect(fs.readFileSync(target, "utf8")).toBe("0123456");
    expect(fs.readdirSync(dir)).toEqual(["t"]);
    expect(heldPartialBytes(target)).toBe(0);
  });

  it("keep 0 creates or empties the partial file; abort keeps it", () => {
    const target = join(dir, "t");
    fs.writeFileSync(partialPathOf(target), "stale");
    const sink = open(target, 0);
    sink.write(Buffer.from("ab"));
    sink.abort();
    expect(fs.readFileSync(partialPathOf(target), "utf8")).toBe("ab");
    expect(fs.existsSync(target)).toBe(false);
  });

  it("refuses a partial file shorter than the kept bytes, or one that is a directory", () => {
    const target = join(dir, "t");
    fs.writeFileSync(partialPathOf(target), "01");
    const short = DownloadSink.openPartial(target, 5);
    expect(short.ok).toBe(false);
    expect(fs.readFileSync(partialPathOf(target), "utf8")).toBe("01");
    const other = join(dir, "d");
    fs.mkdirSync(partialPathOf(other));
    expect(DownloadSink.openPartial(other, 0).ok).toBe(false);
    expect(heldPartialBytes(other)).toBe(0);
  });

  it("a failed rename keeps the partial file and the target", () => {
    const target = join(dir, "t");
    fs.writeFileSync(target, "old");
    const opened = DownloadSink.openPartial(target, 0, {
      fs: {
        ...fs,
        renameSync: () => {
          throw Object.assign(new Error("EXDEV"), { code: "EXDEV" });
        },
      },
    });
    if (!opened.ok) throw new Error(opened.reason);
    opened.sink.write(Buffer.from("new"));
    expect(opened.sink.commit().ok).toBe(false);
    expect([fs.readFileSync(target, "utf8"), fs.readFileSync(partialPathOf(target), "utf8")]).toEqual(["old", "new"]);
  });
});
