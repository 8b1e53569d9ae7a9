// The public request body sources on their own: BytesSource, StreamingBodySource, FileBodySource.
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BytesSource, DEFAULT_BODY_HIGH_WATER_MARK, FileBodySource, StreamingBodySource } from "../../src/index.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";

const track = cleanupAfterEach().track;
const text = (bytes: Uint8Array | null): string | null => (bytes === null ? null : Buffer.from(bytes).toString("latin1"));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "poll-http-sources-"));
  track({ close: () => rmSync(dir, { recursive: true, force: true }) });
  return dir;
}

describe("BytesSource", () => {
  it("hands out views of at most maxBytes, then null", () => {
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    const source = new BytesSource(bytes);
    expect(source.length).toBe(5);
    const first = source.read(2);
    expect(Array.from(first ?? [])).toEqual([1, 2]);
    expect(first?.buffer).toBe(bytes.buffer); // a view, not a copy
    expect(Array.from(source.read(100) ?? [])).toEqual([3, 4, 5]);
    expect(source.read(1)).toBeNull();
    expect(source.getError()).toBe("");
    expect(new BytesSource("héllo").length).toBe(6); // UTF-8
  });
});

describe("StreamingBodySource", () => {
  it("returns empty while nothing is written, then the chunks, then null after end()", () => {
    const body = new StreamingBodySource();
    expect(body.length).toBe(-1);
    expect(body.highWaterMark).toBe(DEFAULT_BODY_HIGH_WATER_MARK);
    expect(body.read(10)?.length).toBe(0);
    expect(body.write("abcdef")).toBe(true);
    expect(body.getBufferedBytes()).toBe(6);
    expect(text(body.read(4))).toBe("abcd");
    expect(text(body.read(4))).toBe("ef");
    expect(body.read(4)?.length).toBe(0);
    body.end("gh");
    expect(body.isEnded()).toBe(true);
    expect(text(body.read(10))).toBe("gh");
    expect(body.read(10)).toBeNull();
    expect(body.getError()).toBe("");
    expect(body.getWrittenBytes()).toBe(8);
  });

  it("merges small waiting chunks into one read, and keeps large ones as views", () => {
    const body = new StreamingBodySource();
    body.write("a");
    body.write("bc");
    body.write("def");
    expect(text(body.read(5))).toBe("abcde");
    expect(text(body.read(5))).toBe("f");
    const big = new Uint8Array(20_000);
    body.write(big);
    body.write("z");
    expect(body.read(65536)?.buffer).toBe(big.buffer);
    expect(text(body.read(10))).toBe("z");
  });

  it("returns false from write() at the high-water mark and true again once drained", () => {
    const body = new StreamingBodySource({ highWaterMark: 10 });
    expect(body.write("12345")).toBe(true);
    expect(body.write("67890")).toBe(false); // 10 buffered: stop writing
    expect(body.getBufferedBytes()).toBe(10); // but the chunk was kept
    body.read(6);
    expect(body.getBufferedBytes()).toBe(4);
    expect(body.write("x")).toBe(true);
  });

  it("fails on write() after end(), on more bytes than a fixed length, and on ending short", () => {
    const after = new StreamingBodySource();
    after.end("a");
    expect(after.write("b")).toBe(false);
    expect(after.getError()).toBe("write() after end()");
    expect(after.read(10)).toBeNull();

    const over = new StreamingBodySource({ length: 3 });
    expect(over.length).toBe(3);
    expect(over.write("ab")).toBe(true);
    expect(over.write("cd")).toBe(false);
    expect(over.getError()).toBe("4 bytes written, more than the declared length 3");

    const short = new StreamingBodySource({ length: 3 });
    short.end("ab");
    expect(short.getError()).toBe("end() after 2 bytes, 3 declared");

    const invalid = new StreamingBodySource({ length: -7 });
    expect(invalid.getError()).toBe("invalid body length -7");

    const aborted = new StreamingBodySource();
    aborted.write("abc");
    aborted.abort();
    expect(aborted.getError()).toBe("aborted by the application");
    expect(aborted.getBufferedBytes()).toBe(0);
  });

  it("refuses writes after close() without failing", () => {
    const body = new StreamingBodySource();
    body.write("abc");
    body.close();
    expect(body.write("d")).toBe(false);
    expect(body.getBufferedBytes()).toBe(0);
    expect(body.read(10)).toBeNull();
    expect(body.getError()).toBe("");
  });
});

describe("FileBodySource", () => {
  it("reads the file in pieces into a reused buffer and closes it at the end", () => {
    const path = join(tempDir(), "f.txt");
    writeFileSync(path, "0123456789");
    const opened = FileBodySource.open(path);
    if (!opened.ok) throw new Error(opened.reason);
    const source = track(opened.source);
    expect(source.length).toBe(10);
    expect(source.path).toBe(path);
    const first = source.read(4);
    expect(text(first)).toBe("0123");
    const second = source.read(4);
    expect(second?.buffer).toBe(first?.buffer); // the same buffer, reused
    expect(text(second)).toBe("4567");
    expect(text(source.read(100))).toBe("89");
    expect(source.isOpen()).toBe(true);
    expect(source.read(100)).toBeNull();
    expect(source.isOpen()).toBe(false);
    expect(source.getError()).toBe("");
  });

  it("fails a file that shrinks while it is read, and closes it", () => {
    const path = join(tempDir(), "shrinks.bin");
    writeFileSync(path, Buffer.alloc(100, 7));
    const opened = FileBodySource.open(path);
    if (!opened.ok) throw new Error(opened.reason);
    const source = track(opened.source);
    expect(source.read(60)?.length).toBe(60);
    truncateSync(path, 70);
    expect(source.read(60)?.length).toBe(10);
    expect(source.read(60)).toBeNull();
    expect(source.getError()).toBe(`${path} shrank while it was being sent: it ended after 70 of 100 bytes`);
    expect(source.isOpen()).toBe(false);
  });

  it("sends only the size at open when the file grows, and close() is idempotent", () => {
    const path = join(tempDir(), "grows.txt");
    writeFileSync(path, "abc");
    const opened = FileBodySource.open(path);
    if (!opened.ok) throw new Error(opened.reason);
    writeFileSync(path, "abcdef");
    expect(text(opened.source.read(100))).toBe("abc");
    expect(opened.source.read(100)).toBeNull();
    opened.source.close();
    opened.source.close();
    expect(opened.source.getError()).toBe("");
  });

  it("refuses a missing file and a directory with a reason", () => {
    const dir = tempDir();
    const missing = FileBodySource.open(join(dir, "nope"));
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.reason).toMatch(/ENOENT/);
    mkdirSync(join(dir, "sub"));
    const directory = FileBodySource.open(join(dir, "sub"));
    expect(directory).toEqual({ ok: false, reason: `${join(dir, "sub")} is not a regular file` });
  });
});
