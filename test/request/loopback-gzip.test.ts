/**
 * Content-Encoding over real loopback sockets (Godot W28): gzip with Content-Length and chunked in
 * small pieces, zlib and raw deflate, `acceptGzip = false`, and a gzip bomb stopped by the limit.
 */
import type { Socket } from "node:net";
import { deflateRawSync, deflateSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { Result } from "../../src/status/result.ts";
import { writeResponse } from "../helpers/loopback-server.ts";
import {
  afterTick,
  arrayBufferBytes,
  Cleanup,
  gz,
  gzipOfZeros,
  makeTree,
  patternBytes,
  runUntilComplete,
  serveHttp,
  sha256,
  writeChunked,
  writeHead,
  type ServedRequest,
} from "./loopback-helpers.ts";

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const MiB = 1024 * 1024;
/** Compressible but not trivial: text with varying numbers. */
const PLAIN = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `row ${i} value ${(i * 7919) % 10007}\n`).join(""));

async function serve(respond: (socket: Socket, request: ServedRequest) => void | Promise<void>) {
  return cleanup.server(await serveHttp(respond));
}

describe("decoding as the body streams in", () => {
  it("gzip with Content-Length", async () => {
    const server = await serve((socket) => writeResponse(socket, { headers: ["Content-Encoding: gzip"], body: gz(PLAIN) }));
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fixed", maxMs: 5000 });
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(sha256(done.body)).toBe(sha256(PLAIN));
    expect(done.headers).toContain("Content-Encoding: gzip");
    expect(node.getDownloadedBytes()).toBe(gz(PLAIN).length);
    expect(node.getBodySize()).toBe(gz(PLAIN).length);
    expect(server.requests[0]?.header("accept-encoding")).toBe("gzip, deflate");
  });

  it("gzip chunked, written in many small pieces with pauses", async () => {
    const compressed = gz(PLAIN);
    const { tree, node } = makeTree();
    const server = await serve(async (socket) => {
      writeHead(socket, 200, ["Content-Encoding: gzip", "Transfer-Encoding: chunked"]);
      for (let off = 0; off < compressed.length; off += 4096) {
        writeChunked(socket, compressed.subarray(off, off + 4096), 97, false);
        const frame = tree.getFrame();
        await afterTick(tree, () => tree.getFrame() > frame); // each piece in a tick of its own
      }
      socket.write("0\r\n\r\n");
    });
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 8000 });
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(sha256(done.body)).toBe(sha256(PLAIN));
    expect(node.getDownloadedBytes()).toBe(compressed.length);
    expect(done.ticks).toBeGreaterThan(3); // it really arrived over several ticks
  });

  it.each([
    ["zlib-wrapped deflate (RFC 1950)", deflateSync(PLAIN)],
    ["raw deflate (RFC 1951), which Godot fails on", deflateRawSync(PLAIN)],
  ])("%s", async (_name, encoded) => {
    const server = await serve((socket) => writeResponse(socket, { headers: ["Content-Encoding: deflate"], body: encoded }));
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(sha256(done.body)).toBe(sha256(PLAIN));
  });

  it("x-gzip and a stacked coding (deflate, then gzip) are decoded too", async () => {
    const server = await serve((socket, request) => {
      if (request.target === "/x") writeResponse(socket, { headers: ["Content-Encoding: x-gzip"], body: gz(PLAIN) });
      else writeResponse(socket, { headers: ["Content-Encoding: deflate, gzip"], body: gz(deflateSync(PLAIN)) });
    });
    for (const path of ["/x", "/stacked"]) {
      const { node } = makeTree();
      node.request(`http://127.0.0.1:${server.port}${path}`);
      const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
      expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
      expect(sha256(done.body)).toBe(sha256(PLAIN));
    }
  });

  it("an unknown coding is delivered as received", async () => {
    const server = await serve((socket) => writeResponse(socket, { headers: ["Content-Encoding: zstd"], body: "not really zstd" }));
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_SUCCESS);
    expect(Buffer.from(done.body).toString()).toBe("not really zstd");
  });

  it("acceptGzip = false: no Accept-Encoding sent, and compressed bytes are delivered as they are", async () => {
    const compressed = gz(PLAIN);
    const server = await serve((socket) => writeResponse(socket, { headers: ["Content-Encoding: gzip"], body: compressed }));
    const { node } = makeTree();
    node.acceptGzip = false;
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_SUCCESS);
    expect(sha256(done.body)).toBe(sha256(compressed));
    expect(server.requests[0]?.header("accept-encoding")).toBeUndefined();
    // Even when the caller asks for gzip itself, nothing is decoded with acceptGzip off (as in Godot).
    node.request(`http://127.0.0.1:${server.port}/`, ["Accept-Encoding: gzip"]);
    const again = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(sha256(again.body)).toBe(sha256(compressed));
    expect(server.requests[1]?.header("accept-encoding")).toBe("gzip");
  });

  it("a caller's own Accept-Encoding replaces the default one", async () => {
    const server = await serve((socket) => writeResponse(socket, { headers: ["Content-Encoding: gzip"], body: gz(PLAIN) }));
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/`, ["accept-encoding: gzip;q=1.0"]);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(sha256(done.body)).toBe(sha256(PLAIN));
    expect(server.requests[0]?.headers.filter((h) => /^accept-encoding:/i.test(h))).toEqual(["accept-encoding: gzip;q=1.0"]);
  });
});

describe("bodySizeLimit counts decoded bytes", () => {
  it("a gzip body whose Content-Length is over the limit but whose decoded size is not → SUCCESS", async () => {
    const raw = patternBytes(990, 3); // incompressible: gzip makes it larger
    const encoded = gz(raw);
    expect(encoded.length).toBeGreaterThan(1000);
    const server = await serve((socket) => writeResponse(socket, { headers: ["Content-Encoding: gzip"], body: encoded }));
    const { node } = makeTree();
    node.bodySizeLimit = 1000;
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(sha256(done.body)).toBe(sha256(raw));
  });

  it("a gzip body within the limit on the wire but over it decoded → BODY_SIZE_LIMIT_EXCEEDED", async () => {
    const server = await serve((socket) => writeResponse(socket, { headers: ["Content-Encoding: gzip"], body: gz(PLAIN) }));
    const { node } = makeTree();
    node.bodySizeLimit = 100_000;
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_BODY_SIZE_LIMIT_EXCEEDED);
    expect(done.body.length).toBe(0);
  });
});

describe("compression bombs", () => {
  it("256 MiB of zeros gzipped, streamed, bodySizeLimit 1 MiB → BODY_SIZE_LIMIT_EXCEEDED quickly, memory bounded", async () => {
    const bomb = gzipOfZeros(256);
    expect(bomb.length).toBeLessThan(400 * 1024);
    let wrote = 0;
    let completed = false;
    const { tree, node } = makeTree();
    node.requestCompleted.connect(() => {
      completed = true;
    });
    const server = await serve(async (socket) => {
      writeHead(socket, 200, ["Content-Encoding: gzip", "Transfer-Encoding: chunked"]);
      for (let off = 0; off < bomb.length && !socket.destroyed && !completed; off += 16 * 1024) {
        const piece = bomb.subarray(off, off + 16 * 1024);
        writeChunked(socket, piece, 16 * 1024, false);
        wrote = off;
        // The next piece once the client has read this one (or has finished): the server never runs ahead of the client.
        await afterTick(tree, () => completed || node.getDownloadedBytes() >= off + piece.length);
      }
      if (!socket.destroyed) socket.write("0\r\n\r\n");
    });
    node.bodySizeLimit = MiB;
    const before = arrayBufferBytes();
    let peakMemory = before;
    node.request(`http://127.0.0.1:${server.port}/bomb`);
    const done = await runUntilComplete(node, {
      mode: "fast",
      maxMs: 5000,
      onTick: () => {
        peakMemory = Math.max(peakMemory, arrayBufferBytes());
      },
    });
    expect(done.result).toBe(Result.RESULT_BODY_SIZE_LIMIT_EXCEEDED);
    expect(done.code).toBe(200);
    expect(done.body.length).toBe(0);
    expect(node.getErrorReason()).toMatch(/exceeds bodySizeLimit \(1048576 bytes, counted after decoding\)/);
    // Stopped after about 1 MiB of output, i.e. a few KiB of input, not after the whole stream.
    expect(node.getDownloadedBytes()).toBeLessThan(64 * 1024);
    expect(wrote).toBeLessThan(bomb.length / 2);
    expect(peakMemory - before).toBeLessThan(32 * MiB);
  });

  it("the same bomb with Content-Length, downloaded to memory without a limit, decodes fully (sanity check of the bomb)", async () => {
    const bomb = gzipOfZeros(16);
    const server = await serve((socket) => writeResponse(socket, { headers: ["Content-Encoding: gzip"], body: bomb }));
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/bomb`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(done.body.length).toBe(16 * MiB);
    expect(Buffer.from(done.body).equals(Buffer.alloc(16 * MiB))).toBe(true);
  });

  it("a large incompressible body through gzip keeps its bytes (64 KiB output pieces joined correctly)", async () => {
    const random = patternBytes(3 * MiB + 17, 9);
    const server = await serve((socket) => writeResponse(socket, { headers: ["Content-Encoding: gzip"], body: gz(random) }));
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fixed", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_SUCCESS);
    expect(sha256(done.body)).toBe(sha256(random));
  });
});
