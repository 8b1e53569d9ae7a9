/**
 * `HTTPRequest.useThreads` in a synchronous `while` over `tree.process(1 / 60)`: no `await` and no
 * event-loop turn between a request's start and its end. The origin runs in a child process and
 * tinyproxy is a process of its own.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Err, HTTPRequest, Method, Result, SceneTree, TLSOptions, TreeRunner, type RequestCompletedArgs } from "../../src/index.ts";
import { startOriginProcess, type OriginProcess } from "../helpers/origin-process.ts";
import { startTinyproxy, type Tinyproxy } from "../helpers/tinyproxy.ts";
import { fixtures } from "../helpers/tls-fixtures.ts";

let origin: OriginProcess;
let proxy: Tinyproxy;
const dir = mkdtempSync(join(tmpdir(), "poll-http-threads-"));
const text = new TextDecoder();

beforeAll(async () => {
  origin = await startOriginProcess();
  proxy = await startTinyproxy();
});

afterAll(async () => {
  await proxy?.stop();
  await origin?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A node with useThreads in a fresh tree. */
function threadedNode(): { tree: SceneTree; req: HTTPRequest } {
  const tree = new SceneTree();
  const req = new HTTPRequest();
  req.useThreads = true;
  tree.root.addChild(req);
  return { tree, req };
}

/** Starts `url` and runs `tree.process(1 / 60)` in a plain loop until requestCompleted. */
function requestSync(tree: SceneTree, req: HTTPRequest, url: string, maxTicks = 1_000_000, body?: Uint8Array): RequestCompletedArgs {
  let done: RequestCompletedArgs | null = null;
  const listener = (...args: RequestCompletedArgs): void => {
    done = args;
  };
  req.requestCompleted.connect(listener);
  try {
    expect(body === undefined ? req.request(url) : req.requestRaw(url, [], Method.METHOD_POST, body)).toBe(Err.OK);
    for (let ticks = 0; done === null; ticks++) {
      if (ticks > maxTicks) throw new Error(`no requestCompleted after ${maxTicks} ticks: ${req.getErrorReason()}`);
      tree.process(1 / 60);
    }
  } finally {
    req.requestCompleted.disconnect(listener);
  }
  return done;
}

describe("useThreads in a loop that never yields", () => {
  it("completes 100 requests on one kept-alive connection", () => {
    const { tree, req } = threadedNode();
    expect(req.isUsingThreads()).toBe(true);
    const ports = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const [result, code, , body] = requestSync(tree, req, `http://127.0.0.1:${origin.httpPort}/small/${i}`);
      expect([result, code]).toEqual([Result.RESULT_SUCCESS, 200]);
      const [word, index, port] = text.decode(body).split(" ");
      expect([word, index]).toEqual(["small", String(i)]);
      ports.add(port ?? "");
    }
    expect(ports.size).toBe(1); // every response came on the same connection
    req.queueFree();
    tree.process(0);
  });

  it("downloads 64 MiB to a file, every byte as sent", () => {
    const { tree, req } = threadedNode();
    const size = 64 * 1024 * 1024;
    const file = join(dir, "big.bin");
    req.downloadFile = file;
    const [result, code] = requestSync(tree, req, `http://127.0.0.1:${origin.httpPort}/bytes?n=${size}`);
    expect([result, code, req.getErrorReason()]).toEqual([Result.RESULT_SUCCESS, 200, ""]);
    const got = readFileSync(file);
    expect(got.length).toBe(size);
    const expected = Buffer.alloc(size);
    for (let i = 0; i < 251; i++) expected[i] = i;
    for (let filled = 251; filled < size; filled *= 2) expected.copy(expected, filled, 0, Math.min(filled, size - filled));
    expect(got.equals(expected)).toBe(true);
    // The receive ring bounds what waits between ticks (4 MiB by default), whatever the body size.
    expect(req.getPeakBufferedBytes()).toBeGreaterThan(0);
    expect(req.getPeakBufferedBytes()).toBeLessThanOrEqual(4 * 1024 * 1024);
    req.queueFree();
    tree.process(0);
  });

  it("uploads 8 MiB, more than the send buffer holds", () => {
    const { tree, req } = threadedNode();
    const body = new Uint8Array(8 * 1024 * 1024).fill(7);
    const [result, code, , answer] = requestSync(tree, req, `http://127.0.0.1:${origin.httpPort}/count`, 10_000_000, body);
    expect([result, code, text.decode(answer)]).toEqual([Result.RESULT_SUCCESS, 200, String(body.length)]);
    req.queueFree();
    tree.process(0);
  });

  it("HTTPS with a private CA", () => {
    const { tree, req } = threadedNode();
    req.setTlsOptions(TLSOptions.client(fixtures.ca));
    const [result, code, , body] = requestSync(tree, req, `https://localhost:${origin.httpsPort}/small/tls`);
    expect([result, code, req.getErrorReason()]).toEqual([Result.RESULT_SUCCESS, 200, ""]);
    expect(text.decode(body)).toMatch(/^small tls \d+$/);
    req.queueFree();
    tree.process(0);
  });

  it("through tinyproxy: plain HTTP, and HTTPS in a CONNECT tunnel", async () => {
    const { tree, req } = threadedNode();
    expect(req.setHttpProxy(proxy.host, proxy.port)).toBe(Err.OK);
    expect(req.setHttpsProxy(proxy.host, proxy.port)).toBe(Err.OK);
    req.setTlsOptions(TLSOptions.client(fixtures.ca));
    const plain = requestSync(tree, req, `http://127.0.0.1:${origin.httpPort}/small/proxied`);
    expect([plain[0], plain[1], text.decode(plain[3]).startsWith("small proxied ")]).toEqual([Result.RESULT_SUCCESS, 200, true]);
    const tunnelled = requestSync(tree, req, `https://localhost:${origin.httpsPort}/small/tunnelled`);
    expect([tunnelled[0], tunnelled[1], req.getErrorReason()]).toEqual([Result.RESULT_SUCCESS, 200, ""]);
    expect(text.decode(tunnelled[3]).startsWith("small tunnelled ")).toBe(true);
    req.queueFree();
    tree.process(0);
    // Both went through the proxy (its log is written around forwarding: read it after the loops).
    await proxy.waitForLog((log) => log.includes(`GET http://127.0.0.1:${origin.httpPort}/small/proxied`), "the proxied GET");
    await proxy.waitForLog((log) => log.includes(`CONNECT localhost:${origin.httpsPort}`), "the CONNECT");
  });
});

describe("useThreads driven from the event loop", () => {
  it("a TreeRunner completes an 8 MiB upload and a download: the worker wakes it when the send buffer drains and bytes arrive", async () => {
    const { tree, req } = threadedNode();
    const runner = new TreeRunner(tree, { mode: "as-fast-as-possible" });
    const ends: RequestCompletedArgs[] = [];
    req.requestCompleted.connect((...args) => {
      ends.push(args);
      if (ends.length === 1) req.request(`http://127.0.0.1:${origin.httpPort}/bytes?n=${16 * 1024 * 1024}`);
      else runner.stop();
    });
    const body = new Uint8Array(8 * 1024 * 1024).fill(9);
    expect(req.requestRaw(`http://127.0.0.1:${origin.httpPort}/count`, [], Method.METHOD_POST, body)).toBe(Err.OK);
    runner.start();
    await runner.whenStopped();
    expect(ends.map(([result, code, , answer]) => [result, code, answer.length])).toEqual([
      [Result.RESULT_SUCCESS, 200, String(body.length).length],
      [Result.RESULT_SUCCESS, 200, 16 * 1024 * 1024],
    ]);
    expect(text.decode(ends[0]?.[3])).toBe(String(body.length));
    req.queueFree();
    tree.process(0);
  });
});
