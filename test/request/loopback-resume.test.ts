/**
 * A resumable download over a real loopback node:http server that supports Range: the first
 * attempt is cut mid-body (the target is not created, the bytes stay in `<target>.partial`), the
 * second attempt asks for `Range: bytes=<held>-` and ends with the file identical to the source.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Method, Result, partialPathOf, resultName } from "../../src/index.ts";
import { Cleanup, makeTree, partFiles, runUntilComplete, sha256 } from "./loopback-helpers.ts";

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const SOURCE = randomBytes(8 * 1024 * 1024);
const CUT_AFTER = 3 * 1024 * 1024;

/** Serves {@link SOURCE} with single-range support; the first request's socket is destroyed after {@link CUT_AFTER} bytes. */
async function rangeServer(): Promise<{ port: number; ranges: (string | undefined)[] }> {
  const ranges: (string | undefined)[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const range = req.headers.range;
    ranges.push(range);
    const match = range === undefined ? null : /^bytes=(\d+)-$/.exec(range);
    if (match === null) {
      res.writeHead(200, { "Content-Length": SOURCE.length });
      if (ranges.length === 1) {
        res.write(SOURCE.subarray(0, CUT_AFTER), () => res.socket?.destroy());
        return;
      }
      res.end(SOURCE);
      return;
    }
    const from = Number(match[1]);
    if (from >= SOURCE.length) {
      res.writeHead(416, { "Content-Range": `bytes */${SOURCE.length}`, "Content-Length": 0 });
      res.end();
      return;
    }
    res.writeHead(206, { "Content-Range": `bytes ${from}-${SOURCE.length - 1}/${SOURCE.length}`, "Content-Length": SOURCE.length - from });
    res.end(SOURCE.subarray(from));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.add(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, ranges };
}

describe("resume: loopback", () => {
  it("a download cut mid-body keeps its bytes in .partial; resuming completes it byte for byte", async () => {
    const { port, ranges } = await rangeServer();
    const dir = cleanup.tempDir();
    const target = join(dir, "big.bin");
    const url = `http://127.0.0.1:${port}/big.bin`;
    const { node } = makeTree();
    node.downloadFile = target;

    node.request(url, [], Method.METHOD_GET, "", { resume: true });
    const cut = await runUntilComplete(node, { mode: "fast", maxMs: 8000 });
    expect(resultName(cut.result), node.getErrorReason()).toBe("RESULT_CONNECTION_ERROR");
    expect(fs.existsSync(target)).toBe(false);
    const held = fs.readFileSync(partialPathOf(target));
    expect(held.length).toBeGreaterThan(0);
    expect(held.length).toBeLessThanOrEqual(CUT_AFTER);
    expect(held.equals(SOURCE.subarray(0, held.length))).toBe(true);

    node.request(url, [], Method.METHOD_GET, "", { resume: true });
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 8000 });
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(done.code).toBe(206);
    expect(ranges).toEqual([undefined, `bytes=${held.length}-`]);
    expect(sha256(fs.readFileSync(target))).toBe(sha256(SOURCE));
    expect([node.getResumedFrom(), node.getDownloadedBytes()]).toEqual([held.length, SOURCE.length - held.length]);
    expect(fs.existsSync(partialPathOf(target))).toBe(false);
    expect(partFiles(dir)).toEqual([]);

    // Once more with a complete .partial left by hand: 416 bytes */size finishes it without a body.
    fs.renameSync(target, partialPathOf(target));
    node.request(url, [], Method.METHOD_GET, "", { resume: true });
    const again = await runUntilComplete(node, { mode: "fast", maxMs: 8000 });
    expect([resultName(again.result), again.code, again.body.length]).toEqual(["RESULT_SUCCESS", 416, 0]);
    expect(sha256(fs.readFileSync(target))).toBe(sha256(SOURCE));
    expect(fs.readdirSync(dir)).toEqual(["big.bin"]);
  });
});
