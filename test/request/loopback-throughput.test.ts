/**
 * Throughput and concurrency of HTTPRequest over real loopback sockets: a 32 MiB download at
 * 60 ticks/s in few ticks with the connection's buffer bounded (Godot W1; the read bound grows
 * while each tick drains it full, up to its cap), and several nodes in one tree at once.
 */
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_MAX_READ_BUFFER_BYTES } from "../../src/client/peer/socket-peer.ts";
import { TLSOptions } from "../../src/client/tls-options.ts";
import { Result } from "../../src/status/result.ts";
import { readRequestHead, startTlsServer, writeResponse } from "../helpers/loopback-server.ts";
import { fixtures } from "../helpers/tls-fixtures.ts";
import { sleep } from "../helpers/wait.ts";
import {
  Cleanup,
  makeTree,
  patternBytes,
  runTree,
  runUntilComplete,
  serveHttp,
  sha256,
  writeChunked,
  writeHead,
  type Completion,
  type ServedRequest,
} from "./loopback-helpers.ts";

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const MiB = 1024 * 1024;
const BODY = patternBytes(32 * MiB, 32);
const BODY_HASH = sha256(BODY);

async function serve(respond: (socket: Socket, request: ServedRequest) => void | Promise<void>) {
  return cleanup.server(await serveHttp(respond));
}

describe("throughput (Godot W1: one read per frame)", () => {
  it("32 MiB with Content-Length at 60 ticks/s (TreeRunner fixed, defaults) in at most 40 ticks, buffer bounded", async () => {
    const server = await serve((socket) => writeResponse(socket, { headers: ["Content-Type: application/octet-stream"], body: BODY }));
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/32mib`);
    const done = await runUntilComplete(node, { mode: "fixed", fps: 60, maxTicks: 400, maxMs: 10_000 });
    const peak = node.getPeakBufferedBytes();
    console.log(
      `32 MiB Content-Length at 60 fps: completed at tick ${done.completedAtTick} (${done.ms.toFixed(0)} ms), peak buffered ${peak} bytes`,
    );
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(done.body.length).toBe(BODY.length);
    expect(sha256(done.body)).toBe(BODY_HASH);
    expect(done.completedAtTick).toBeLessThanOrEqual(40);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(DEFAULT_MAX_READ_BUFFER_BYTES + MiB);
  });

  it("32 MiB chunked (64 KiB chunks) at 60 ticks/s in at most 40 ticks, buffer bounded", async () => {
    const server = await serve((socket) => {
      writeHead(socket, 200, ["Transfer-Encoding: chunked"]);
      writeChunked(socket, BODY, 64 * 1024);
    });
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/32mib`);
    const done = await runUntilComplete(node, { mode: "fixed", fps: 60, maxTicks: 400, maxMs: 10_000 });
    const peak = node.getPeakBufferedBytes();
    console.log(
      `32 MiB chunked at 60 fps: completed at tick ${done.completedAtTick} (${done.ms.toFixed(0)} ms), peak buffered ${peak} bytes`,
    );
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(sha256(done.body)).toBe(BODY_HASH);
    expect(done.completedAtTick).toBeLessThanOrEqual(40);
    expect(peak).toBeLessThanOrEqual(DEFAULT_MAX_READ_BUFFER_BYTES + MiB);
  });

  it("32 MiB over HTTPS at 60 ticks/s in at most 40 ticks, buffer bounded", async () => {
    const server = cleanup.server(
      await startTlsServer({ cert: fixtures.serverCert, key: fixtures.serverKey }, (socket) => {
        readRequestHead(socket)
          .then(() => writeResponse(socket, { body: BODY }))
          .catch(() => {});
      }),
    );
    const { node } = makeTree();
    node.setTlsOptions(TLSOptions.client(fixtures.ca));
    node.request(`https://127.0.0.1:${server.port}/32mib`);
    const done = await runUntilComplete(node, { mode: "fixed", fps: 60, maxTicks: 400, maxMs: 10_000 });
    const peak = node.getPeakBufferedBytes();
    console.log(
      `32 MiB HTTPS at 60 fps: completed at tick ${done.completedAtTick} (${done.ms.toFixed(0)} ms), peak buffered ${peak} bytes`,
    );
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(sha256(done.body)).toBe(BODY_HASH);
    expect(done.completedAtTick).toBeLessThanOrEqual(40);
    expect(peak).toBeLessThanOrEqual(DEFAULT_MAX_READ_BUFFER_BYTES + MiB);
  });

  it("a slow ticker keeps the buffer bounded: ticks every 50 ms in a hand loop, peak stays under the read bound's cap", async () => {
    const server = await serve((socket) => writeResponse(socket, { body: BODY.subarray(0, 16 * MiB) }));
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/16mib`);
    const done = await runUntilComplete(node, { mode: "loop", sleepMs: 50, maxMs: 10_000 });
    expect(done.result).toBe(Result.RESULT_SUCCESS);
    expect(sha256(done.body)).toBe(sha256(BODY.subarray(0, 16 * MiB)));
    expect(node.getPeakBufferedBytes()).toBeLessThanOrEqual(DEFAULT_MAX_READ_BUFFER_BYTES + MiB);
  });
});

describe("several nodes in one tree", () => {
  it("five concurrent requests to one server each get their own result", async () => {
    const bodies = [0, 1, 2, 3, 4].map((i) => patternBytes(1000 + i * 700_000, 100 + i));
    const server = await serve(async (socket, request) => {
      const i = Number(request.target.slice(1));
      if (i === 3) {
        writeResponse(socket, { status: 404, reason: "Not Found", headers: ["X-Index: 3"], body: "no such thing" });
        return;
      }
      if (i === 4) {
        // chunked, slowly, in small pieces
        writeHead(socket, 200, ["Transfer-Encoding: chunked", "X-Index: 4"]);
        const body = bodies[4] ?? new Uint8Array(0);
        for (let off = 0; off < body.length; off += 256 * 1024) {
          writeChunked(socket, body.subarray(off, off + 256 * 1024), 8192, false);
          await sleep(2);
        }
        socket.write("0\r\n\r\n");
        return;
      }
      if (i === 2) await sleep(30);
      writeResponse(socket, { headers: [`X-Index: ${i}`], body: bodies[i] ?? new Uint8Array(0) });
    });
    const { tree, nodes } = makeTree(5);
    const results: (Completion | null)[] = nodes.map(() => null);
    const pending = nodes.map((node, i) => {
      node.request(`http://127.0.0.1:${server.port}/${i}`);
      return new Promise<void>((resolve) => {
        node.requestCompleted.connect((result, code, headers, body) => {
          results[i] = { result, code, headers, body, ticks: tree.getFrame(), ms: 0, completedAtTick: tree.getFrame() };
          resolve();
        });
      });
    });
    await runTree(
      tree,
      () => results.every((r) => r !== null),
      { mode: "fixed", maxMs: 8000 },
      () => nodes.map((n, i) => `#${i}: ${n.getHttpClientStatus()} ${n.getDownloadedBytes()} ${n.getErrorReason()}`).join("; "),
    );
    await Promise.all(pending);
    for (const i of [0, 1, 2, 4]) {
      const r = results[i];
      expect(r?.result).toBe(Result.RESULT_SUCCESS);
      expect(r?.code).toBe(200);
      expect(r?.headers).toContain(`X-Index: ${i}`);
      expect(sha256(r?.body ?? new Uint8Array(0))).toBe(sha256(bodies[i] ?? new Uint8Array(0)));
    }
    expect(results[3]?.result).toBe(Result.RESULT_SUCCESS);
    expect(results[3]?.code).toBe(404);
    expect(Buffer.from(results[3]?.body ?? []).toString()).toBe("no such thing");
    expect(server.connections.length).toBe(5);
  });
});
