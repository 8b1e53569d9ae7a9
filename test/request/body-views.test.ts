/**
 * HTTPRequest over real TCP connections, whose peers copy received bytes into recycled memory:
 * nothing the node hands out (bodyData chunks, the in-memory body) may point into that memory, so
 * every byte is compared by hash after multi-MiB downloads while other data reuses the slabs.
 */
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Result } from "../../src/status/result.ts";
import { writeResponse } from "../helpers/loopback-server.ts";
import {
  Cleanup,
  gz,
  makeTree,
  patternBytes,
  runUntilComplete,
  serveHttp,
  sha256,
  writeChunked,
  writeHead,
  type LoopMode,
} from "./loopback-helpers.ts";

const MiB = 1024 * 1024;
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function serve(respond: (socket: Socket) => void): Promise<number> {
  const server = cleanup.server(await serveHttp((socket) => respond(socket)));
  return server.port;
}

describe("HTTPRequest body bytes over recycling TCP peers", () => {
  for (const mode of ["fixed", "fast"] as const satisfies readonly LoopMode[]) {
    it(`bodyData chunks are the listener's to keep (${mode} ticks)`, async () => {
      const body = patternBytes(12 * MiB + 17, 31);
      const port = await serve((socket) => writeResponse(socket, { body }));
      const { node } = makeTree();
      const kept: Uint8Array[] = [];
      node.bodyData.connect((chunk) => kept.push(chunk));
      node.request(`http://127.0.0.1:${port}/`);
      const done = await runUntilComplete(node, { mode, maxMs: 15_000, maxTicks: 100_000 });
      expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
      expect(done.body).toHaveLength(0);
      expect(sha256(Buffer.concat(kept))).toBe(sha256(body));
    });
  }

  it("bodyData chunks are the listener's to keep when each tick gets one small piece", async () => {
    const body = patternBytes(3 * MiB + 7, 37);
    const port = await serve((socket) => {
      writeHead(socket, 200, [`Content-Length: ${body.length}`]);
      let at = 0;
      const next = (): void => {
        if (at >= body.length || socket.destroyed) return;
        socket.write(body.subarray(at, at + 12_000));
        at += 12_000;
        setTimeout(next, 0);
      };
      next();
    });
    const { node } = makeTree();
    const kept: Uint8Array[] = [];
    node.bodyData.connect((chunk) => kept.push(chunk));
    node.request(`http://127.0.0.1:${port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 15_000, maxTicks: 100_000 });
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(sha256(Buffer.concat(kept))).toBe(sha256(body));
  });

  it("keeps a Content-Length body in one array of exactly its size", async () => {
    const body = patternBytes(10 * MiB + 3, 32);
    const port = await serve((socket) => writeResponse(socket, { body }));
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${port}/`);
    const done = await runUntilComplete(node, { mode: "fixed", maxMs: 15_000 });
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(done.body.buffer.byteLength).toBe(body.length);
    expect(sha256(done.body)).toBe(sha256(body));
  });

  it("keeps a chunked body (no length) whole, in memory of its own", async () => {
    const body = patternBytes(9 * MiB + 5, 33);
    const port = await serve((socket) => {
      writeHead(socket, 200, ["Transfer-Encoding: chunked"]);
      writeChunked(socket, body, 50_000);
    });
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 15_000, maxTicks: 100_000 });
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(done.body.buffer.byteLength).toBeLessThanOrEqual(2 * body.length);
    expect(sha256(done.body)).toBe(sha256(body));
  });

  it("keeps a body decoded from gzip whole", async () => {
    const body = patternBytes(4 * MiB + 9, 34);
    const coded = gz(body);
    const port = await serve((socket) => writeResponse(socket, { headers: ["Content-Encoding: gzip"], body: coded }));
    const { node } = makeTree();
    node.acceptGzip = true;
    node.request(`http://127.0.0.1:${port}/`);
    const done = await runUntilComplete(node, { mode: "fixed", maxMs: 15_000 });
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(sha256(done.body)).toBe(sha256(body));
  });

  it("two nodes downloading at once each get their own bytes", async () => {
    const bodies = [patternBytes(6 * MiB + 1, 35), patternBytes(6 * MiB + 2, 36)];
    const ports = await Promise.all(bodies.map((body) => serve((socket) => writeResponse(socket, { body }))));
    const { nodes } = makeTree(2);
    const kept: Uint8Array[][] = [[], []];
    nodes.forEach((node, i) => {
      node.bodyData.connect((chunk) => kept[i]?.push(chunk));
      node.request(`http://127.0.0.1:${ports[i]}/`);
    });
    const done = await Promise.all(nodes.map((node) => runUntilComplete(node, { mode: "fast", maxMs: 15_000, maxTicks: 100_000 })));
    for (const d of done) expect(d.result).toBe(Result.RESULT_SUCCESS);
    bodies.forEach((body, i) => {
      expect(sha256(Buffer.concat(kept[i] ?? []))).toBe(sha256(body));
    });
  });
});
