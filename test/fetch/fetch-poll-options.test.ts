/**
 * `init.pollHttp`, the options beyond Fetch, on real loopback servers: tick-time timeout, body size
 * limit, download file, progress callbacks, TLS options, an HTTP proxy, and the body high-water mark.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetch, Result, TLSOptions, type FetchFailure } from "../../src/index.ts";
import { fixtures } from "../helpers/tls-fixtures.ts";

const BIG = Buffer.alloc(3 * 1024 * 1024, 0x62);
const held: ServerResponse[] = [];
const proxied: string[] = [];

function handler(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === "/stall") {
    held.push(res);
    return;
  }
  if (req.url === "/big") {
    res.writeHead(200, { "Content-Length": String(BIG.length) }).end(BIG);
    return;
  }
  if (req.url === "/chunked") {
    res.write(BIG.subarray(0, 1000));
    res.end(BIG.subarray(1000));
    return;
  }
  if (req.url?.startsWith("http://") === true) proxied.push(req.url); // absolute form: we are the proxy
  req.resume();
  req.on("end", () => res.end(`answer to ${req.method} ${req.url}`));
}

const servers: Server[] = [];
let base = "";
let tlsBase = "";
let tmp = "";

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  base = `http://127.0.0.1:${await listen(createHttpServer(handler))}`;
  tlsBase = `https://localhost:${await listen(createHttpsServer({ cert: fixtures.serverCert, key: fixtures.serverKey }, handler))}`;
  tmp = mkdtempSync(join(tmpdir(), "poll-http-fetch-"));
});

afterAll(async () => {
  for (const res of held.splice(0)) res.destroy();
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  rmSync(tmp, { recursive: true, force: true });
});

/** The FetchFailure a rejected promise carries. */
async function failure(promise: Promise<unknown>): Promise<FetchFailure> {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TypeError);
  return (error as TypeError).cause as FetchFailure;
}

describe("fetch init.pollHttp", () => {
  it("timeout: seconds of tick time, then RESULT_TIMEOUT", async () => {
    const cause = await failure(fetch(`${base}/stall`, { pollHttp: { timeout: 0.05 } }));
    expect(cause.result).toBe(Result.RESULT_TIMEOUT);
  });

  it("bodySizeLimit: a Content-Length above it rejects; a chunked body crossing it errors the body", async () => {
    const atHead = await failure(fetch(`${base}/big`, { pollHttp: { bodySizeLimit: 1000 } }));
    expect([atHead.result, atHead.responseCode]).toEqual([Result.RESULT_BODY_SIZE_LIMIT_EXCEEDED, 200]);
    const res = await fetch(`${base}/chunked`, { pollHttp: { bodySizeLimit: 2000 } });
    const inBody = await failure(res.arrayBuffer());
    expect([inBody.result, inBody.responseCode]).toEqual([Result.RESULT_BODY_SIZE_LIMIT_EXCEEDED, 200]);
  });

  it("downloadFile: the body goes to the file; response.body ends once it is written", async () => {
    const file = join(tmp, "big.bin");
    const res = await fetch(`${base}/big`, { pollHttp: { downloadFile: file } });
    expect((await res.arrayBuffer()).byteLength).toBe(0);
    expect(readFileSync(file).equals(BIG)).toBe(true);
  });

  it("progress callbacks: upload and download, ending at the totals", async () => {
    const uploads: [number, number][] = [];
    const downloads: [number, number][] = [];
    const body = new Uint8Array(100_000);
    await (await fetch(`${base}/up`, { method: "POST", body, pollHttp: { onUploadProgress: (s, t) => uploads.push([s, t]) } })).text();
    expect(uploads.at(-1)).toEqual([100_000, 100_000]);
    await (await fetch(`${base}/big`, { pollHttp: { onDownloadProgress: (r, t) => downloads.push([r, t]) } })).arrayBuffer();
    expect(downloads.at(-1)).toEqual([BIG.length, BIG.length]);
  });

  it("tlsOptions: the fixture CA is trusted with them and refused without", async () => {
    const trusted = await fetch(`${tlsBase}/tls`, { pollHttp: { tlsOptions: TLSOptions.client(fixtures.ca) } });
    expect(await trusted.text()).toBe("answer to GET /tls");
    const cause = await failure(fetch(`${tlsBase}/tls`));
    expect(cause.result).toBe(Result.RESULT_TLS_HANDSHAKE_ERROR);
  });

  it("httpProxy: an http:// request goes to the proxy in absolute form", async () => {
    const port = Number(new URL(base).port);
    const res = await fetch("http://origin.test/via-proxy", { pollHttp: { httpProxy: { host: "127.0.0.1", port } } });
    expect(await res.text()).toBe("answer to GET http://origin.test/via-proxy");
    expect(proxied).toContain("http://origin.test/via-proxy");
  });

  it("bodyHighWaterMark: a reader slower than the network gets every byte, in order", async () => {
    const res = await fetch(`${base}/big`, { pollHttp: { bodyHighWaterMark: 16 * 1024 } });
    const reader = res.body!.getReader();
    let total = 0;
    let wrong = 0;
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      total += read.value.length;
      for (const byte of read.value) if (byte !== 0x62) wrong++;
      await new Promise((resolve) => setImmediate(resolve)); // let the network run ahead of the reader
    }
    expect([total, wrong]).toEqual([BIG.length, 0]);
  });

  it("an invalid option refuses the request with a TypeError", async () => {
    await expect(fetch(`${base}/x`, { pollHttp: { downloadChunkSize: 1 } })).rejects.toThrow(TypeError);
    await expect(fetch(`${base}/x`, { pollHttp: { bodySizeLimit: 1.5 } })).rejects.toThrow(TypeError);
    await expect(fetch(`${base}/x`, { pollHttp: { timeout: -1 } })).rejects.toThrow(TypeError);
    await expect(fetch(`${base}/x`, { pollHttp: { maxRedirects: Number.NaN } })).rejects.toThrow(TypeError);
    await expect(fetch(`${base}/x`, { pollHttp: { httpProxy: { host: "bad host", port: 1 } } })).rejects.toThrow(TypeError);
  });
});
