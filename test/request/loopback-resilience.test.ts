/**
 * Resilience over real loopback sockets: a 24 MiB download cut by the server three times completes
 * through the retry policy, each retry continuing with `Range` where the last attempt stopped, the
 * target replaced only at the end; a server that stalls after the head is caught by `idleTimeout`.
 */
import * as fs from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Result, RetryPolicy, partialPathOf, resultName } from "../../src/index.ts";
import { Cleanup, makeTree, partFiles, patternBytes, runUntilComplete, sha256 } from "./loopback-helpers.ts";

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const SOURCE = patternBytes(24 * 1024 * 1024, 18);
const SOURCE_SHA = sha256(SOURCE);
const CUT_EVERY = 7 * 1024 * 1024;

/** A node:http server on port 0; tracked for cleanup. */
async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.add(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

describe("resilience over loopback", () => {
  it("a 24 MiB download cut three times completes with the right SHA-256 in four requests, continuing with Range", async () => {
    const seen: { range: string | undefined; ifRange: string | undefined }[] = [];
    const port = await listen((req, res) => {
      seen.push({ range: req.headers.range, ifRange: String(req.headers["if-range"] ?? "") || undefined });
      const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
      const from = match === null ? 0 : Number(match[1]);
      const headers = { "Content-Length": SOURCE.length - from, ETag: '"v1"', "Accept-Ranges": "bytes" };
      if (match === null) res.writeHead(200, headers);
      else res.writeHead(206, { ...headers, "Content-Range": `bytes ${from}-${SOURCE.length - 1}/${SOURCE.length}` });
      if (seen.length <= 3) {
        // Cut: CUT_EVERY bytes of this response, then the connection is closed.
        res.write(SOURCE.subarray(from, from + CUT_EVERY), () => res.socket?.destroy());
        return;
      }
      res.end(SOURCE.subarray(from));
    });
    const dir = cleanup.tempDir();
    const target = join(dir, "asset.pak");
    fs.writeFileSync(target, "the previous version");
    const { node } = makeTree();
    cleanup.add(() => node.cancelRequest());
    node.downloadFile = target;
    node.retryPolicy = new RetryPolicy({ attempts: 4, baseDelay: 0.02, jitter: 0 });
    const retries: [number, string, string][] = [];
    node.retrying.connect((attempt, _delay, reason) => {
      // While attempts fail the target keeps its old content: it is replaced only once complete.
      retries.push([attempt, reason, fs.readFileSync(target, "latin1")]);
    });
    node.request(`http://127.0.0.1:${port}/asset.pak`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 15_000, maxTicks: 100_000 });
    expect(resultName(done.result), node.getErrorReason()).toBe("RESULT_SUCCESS");
    expect(done.code).toBe(206);
    expect(sha256(fs.readFileSync(target))).toBe(SOURCE_SHA);
    expect(seen.length).toBeLessThanOrEqual(4);
    expect(seen[0]).toEqual({ range: undefined, ifRange: undefined });
    // Each retry asks from where the bytes held stop (all that was sent before the cut), with If-Range.
    expect(seen.slice(1)).toEqual([1, 2, 3].map((i) => ({ range: `bytes=${i * CUT_EVERY}-`, ifRange: '"v1"' })));
    expect(retries).toEqual([2, 3, 4].map((attempt) => [attempt, "RESULT_CONNECTION_ERROR", "the previous version"]));
    expect(node.getTimings().attempts).toBe(4);
    expect([node.getResumedFrom(), node.getDownloadedBytes()]).toEqual([3 * CUT_EVERY, SOURCE.length - 3 * CUT_EVERY]);
    expect(fs.existsSync(partialPathOf(target))).toBe(false);
    expect(partFiles(dir)).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual(["asset.pak"]);
  });

  it("attempts used up: the target is left as it was and no partial file stays behind", async () => {
    const port = await listen((_req, res) => {
      res.writeHead(200, { "Content-Length": SOURCE.length });
      res.write(SOURCE.subarray(0, 1024 * 1024), () => res.socket?.destroy());
    });
    const dir = cleanup.tempDir();
    const target = join(dir, "asset.pak");
    fs.writeFileSync(target, "the previous version");
    const { node } = makeTree();
    cleanup.add(() => node.cancelRequest());
    node.downloadFile = target;
    node.retryPolicy = new RetryPolicy({ attempts: 2, baseDelay: 0.01, jitter: 0 });
    node.request(`http://127.0.0.1:${port}/asset.pak`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 10_000, maxTicks: 100_000 });
    expect(done.result).toBe(Result.RESULT_CONNECTION_ERROR);
    expect(node.getErrorReason()).toMatch(/attempt 2; RESULT_CONNECTION_ERROR; no attempts left \(2 in all\)/);
    expect(fs.readFileSync(target, "latin1")).toBe("the previous version");
    expect(fs.readdirSync(dir)).toEqual(["asset.pak"]);
  });

  it("a stall after the head ends with RESULT_TIMEOUT by idleTimeout", async () => {
    const sockets: Socket[] = [];
    const port = await listen((req, res) => {
      sockets.push(req.socket);
      res.writeHead(200, { "Content-Length": 100 });
      res.write("ten bytes!"); // and then nothing, the connection left open
    });
    const { node } = makeTree();
    cleanup.add(() => node.cancelRequest());
    node.idleTimeout = 0.2;
    node.request(`http://127.0.0.1:${port}/stall`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 10_000 });
    expect([resultName(done.result), done.code]).toEqual(["RESULT_TIMEOUT", 200]);
    expect(node.getErrorReason()).toBe("idleTimeout: no body byte for 0.2 s");
    expect(node.getDownloadedBytes()).toBe(10);
    expect(sockets).toHaveLength(1);
  });
});
