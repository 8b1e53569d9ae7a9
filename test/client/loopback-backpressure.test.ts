/**
 * HTTPClient against a real loopback server that sends far more than the peer may buffer: memory
 * stays bounded while the client polls only rarely, and every byte arrives intact.
 */
import { createHash } from "node:crypto";
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_READ_BUFFER_BYTES,
  DEFAULT_READ_BUFFER_BYTES,
  HTTPClient,
  Method,
  Status,
  TcpPeer,
  TlsPeer,
  TLSOptions,
  type SocketPeer,
} from "../../src/index.ts";
import { connect, describeClient, requestAndWait, serveRequests } from "../helpers/client-driver.ts";
import { startTcpServer, startTlsServer } from "../helpers/loopback-server.ts";
import { fixtures } from "../helpers/tls-fixtures.ts";
import { sleep } from "../helpers/wait.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";

const track = cleanupAfterEach().track;

const MiB = 1024 * 1024;
const BLOCK = MiB;

/** Block `index` of the body: position-dependent 32-bit words. */
function block(index: number): Buffer {
  const words = new Uint32Array(BLOCK / 4);
  const base = (index * BLOCK) / 4;
  for (let i = 0; i < words.length; i++) words[i] = (base + i) * 2654435761;
  return Buffer.from(words.buffer);
}

/** Writes `blocks` blocks, waiting for 'drain' whenever the socket asks to. */
async function writeBlocks(socket: Socket, blocks: number, hash: ReturnType<typeof createHash>): Promise<void> {
  for (let i = 0; i < blocks && !socket.destroyed; i++) {
    const data = block(i);
    hash.update(data);
    if (!socket.write(data)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          socket.off("drain", done);
          socket.off("close", done);
          resolve();
        };
        socket.on("drain", done);
        socket.on("close", done);
      });
    }
  }
}

/** Reads the body one "frame" at a time: poll, drain what has arrived, sleep. */
async function drainRarely(
  client: HTTPClient,
  frameMs: number,
): Promise<{ readonly total: number; readonly digest: string; readonly frames: number }> {
  const received = createHash("sha256");
  let total = 0;
  let frames = 0;
  const deadline = Date.now() + 20_000;
  while (client.getStatus() === Status.STATUS_BODY) {
    client.poll();
    for (;;) {
      const chunk = client.readResponseBodyChunk();
      if (chunk.length === 0) break;
      expect(chunk.length).toBeLessThanOrEqual(client.readChunkSize);
      received.update(chunk);
      total += chunk.length;
    }
    frames++;
    if (Date.now() > deadline) throw new Error(`timed out after ${total} body bytes: ${describeClient(client)}`);
    await sleep(frameMs);
  }
  return { total, digest: received.digest("hex"), frames };
}

describe("HTTPClient over loopback: back-pressure", () => {
  it("keeps unread bytes within the read buffer bound over a 64 MiB body polled rarely, and the body hash matches", async () => {
    const blocks = 64;
    const sent = createHash("sha256");
    let written: Promise<void> = Promise.resolve();
    const srv = track(
      await startTcpServer((socket) =>
        serveRequests(socket, (_request, _index, s) => {
          s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${blocks * BLOCK}\r\n\r\n`);
          written = writeBlocks(s, blocks, sent);
        }),
      ),
    );
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", srv.port);
    const peer = client.getConnection();
    expect(peer).toBeInstanceOf(TcpPeer);
    const tcp = peer as TcpPeer;
    expect(tcp.getReadBufferBytes()).toBe(DEFAULT_READ_BUFFER_BYTES);
    await requestAndWait(client, Method.METHOD_GET, "/huge");
    expect(client.getResponseBodyLength()).toBe(blocks * BLOCK);

    const result = await drainRarely(client, 8);
    await written;
    expect(client.getStatus(), describeClient(client)).toBe(Status.STATUS_CONNECTED);
    expect(result.total).toBe(blocks * BLOCK);
    expect(result.digest).toBe(sent.digest("hex"));
    const peak = tcp.getPeakBufferedBytes();
    expect(peak).toBeLessThanOrEqual(DEFAULT_MAX_READ_BUFFER_BYTES + MiB);
    // The rare polls really let the buffer fill (the bound was exercised, not just never reached); the
    // bound grows while each poll empties a full buffer, up to its cap.
    expect(peak).toBeGreaterThan(MiB);
    expect(result.frames).toBeGreaterThan((blocks * BLOCK) / (DEFAULT_MAX_READ_BUFFER_BYTES + MiB));
  });

  it("bounds unread bytes over TLS too (16 MiB body, rare polls)", async () => {
    const blocks = 16;
    const sent = createHash("sha256");
    let written: Promise<void> = Promise.resolve();
    const srv = track(
      await startTlsServer({ cert: fixtures.serverCert, key: fixtures.serverKey }, (socket) =>
        serveRequests(socket, (_request, _index, s) => {
          s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${blocks * BLOCK}\r\n\r\n`);
          written = writeBlocks(s, blocks, sent);
        }),
      ),
    );
    const client = track(new HTTPClient());
    await connect(client, "localhost", srv.port, TLSOptions.client(fixtures.ca));
    const peer = client.getConnection();
    expect(peer).toBeInstanceOf(TlsPeer);
    await requestAndWait(client, Method.METHOD_GET, "/huge");
    const result = await drainRarely(client, 8);
    await written;
    expect(client.getStatus(), describeClient(client)).toBe(Status.STATUS_CONNECTED);
    expect(result.total).toBe(blocks * BLOCK);
    expect(result.digest).toBe(sent.digest("hex"));
    expect((peer as SocketPeer).getPeakBufferedBytes()).toBeLessThanOrEqual(DEFAULT_MAX_READ_BUFFER_BYTES + MiB);
  });
});
