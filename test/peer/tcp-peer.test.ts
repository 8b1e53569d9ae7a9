import { createHash } from "node:crypto";
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { DEFAULT_READ_BUFFER_BYTES, DEFAULT_WRITE_BUFFER_BYTES } from "../../src/client/peer/socket-peer.ts";
import { PeerState, type StreamPeer } from "../../src/client/peer/stream-peer.ts";
import { TcpPeer } from "../../src/client/peer/tcp-peer.ts";
import { getRefusedPort, readToEnd, startTcpServer, type LoopbackServer } from "../helpers/loopback-server.ts";
import { sleep, tick, waitUntil } from "../helpers/wait.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";

const MiB = 1024 * 1024;
const LOCAL = { address: "127.0.0.1", family: 4 } as const;
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1");

/** Position-dependent bytes: word i of the stream holds i, so loss or reordering changes the hash. */
function patternBlock(blockIndex: number, blockBytes: number): Buffer {
  const words = new Uint32Array(blockBytes / 4);
  const base = (blockIndex * blockBytes) / 4;
  for (let i = 0; i < words.length; i++) words[i] = base + i;
  return Buffer.from(words.buffer);
}

const track = cleanupAfterEach().track;

async function open(peer: StreamPeer): Promise<void> {
  await waitUntil(() => peer.getState() !== PeerState.CONNECTING, "connect");
  expect(peer.getState()).toBe(PeerState.OPEN);
}

describe("TcpPeer", () => {
  it("connects, writes, reads views of received chunks, sees the end and closes", async () => {
    const server: LoopbackServer = track(
      await startTcpServer((socket) => {
        socket.once("data", () => {
          socket.end("world");
        });
      }),
    );
    let activity = 0;
    const peer = track(new TcpPeer(LOCAL, server.port));
    peer.setActivityListener(() => activity++);
    expect(peer.getState()).toBe(PeerState.CONNECTING);
    expect(peer.write(new Uint8Array([1]))).toBe(0);
    expect(peer.address).toEqual(LOCAL);
    expect(peer.port).toBe(server.port);
    await open(peer);
    expect(activity).toBeGreaterThan(0);

    expect(peer.write(new TextEncoder().encode("hello"))).toBe(5);
    await waitUntil(() => peer.isEnded(), "end");
    expect(peer.getAvailableBytes()).toBe(5);
    const first = peer.read(2);
    const second = peer.read(100);
    expect(text(first)).toBe("wo");
    expect(text(second)).toBe("rld");
    expect(second.buffer).toBe(first.buffer); // views of one received chunk, no copy
    expect(peer.read(100)).toHaveLength(0);
    expect(peer.getAvailableBytes()).toBe(0);
    expect(peer.getState()).toBe(PeerState.OPEN);
    expect(peer.getError()).toBeNull();
    await waitUntil(() => peer.write(new Uint8Array([1])) === 0, "write refused after the end");

    peer.close();
    peer.close();
    expect(peer.getState()).toBe(PeerState.CLOSED);
    expect(peer.getPendingWriteBytes()).toBe(0);
    expect(peer.write(new Uint8Array([1]))).toBe(0);
  });

  it("reports a refused port as ERROR kind connect with ECONNREFUSED", async () => {
    const port = await getRefusedPort();
    const peer = track(new TcpPeer(LOCAL, port));
    let activity = 0;
    peer.setActivityListener(() => activity++);
    await waitUntil(() => peer.getState() !== PeerState.CONNECTING, "failure");
    expect(peer.getState()).toBe(PeerState.ERROR);
    expect(peer.getError()).toMatchObject({ kind: "connect", code: "ECONNREFUSED" });
    expect(peer.getError()?.message).toContain("ECONNREFUSED");
    expect(activity).toBeGreaterThan(0);
    peer.close();
    expect(peer.getState()).toBe(PeerState.CLOSED);
  });

  it("reports an invalid port as ERROR kind connect without throwing", () => {
    const peer = track(new TcpPeer(LOCAL, 70000));
    expect(peer.getState()).toBe(PeerState.ERROR);
    expect(peer.getError()).toMatchObject({ kind: "connect", code: "ERR_SOCKET_BAD_PORT" });
  });

  it("reports a reset of an open connection as ERROR kind io with ECONNRESET, keeping unread bytes", async () => {
    const server = track(
      await startTcpServer((socket) => {
        socket.write("partial");
        socket.once("data", () => socket.resetAndDestroy());
      }),
    );
    const peer = track(new TcpPeer(LOCAL, server.port));
    await open(peer);
    await waitUntil(() => peer.getAvailableBytes() === 7, "bytes before the reset");
    peer.write(new Uint8Array([120]));
    await waitUntil(() => peer.getState() === PeerState.ERROR, "reset");
    expect(peer.getError()).toMatchObject({ kind: "io", code: "ECONNRESET" });
    expect(text(peer.read(100))).toBe("partial");
    expect(peer.write(new Uint8Array([1]))).toBe(0);
  });

  it("ignores errors after close", async () => {
    const server = track(await startTcpServer((socket) => socket.resetAndDestroy()));
    const peer = track(new TcpPeer(LOCAL, server.port));
    peer.close();
    await sleep(20);
    expect(peer.getState()).toBe(PeerState.CLOSED);
    expect(peer.getError()).toBeNull();
  });

  it("never calls the activity listener from inside a call on the peer", async () => {
    const server = track(
      await startTcpServer((socket) => {
        socket.on("data", (chunk) => socket.write(chunk));
      }),
    );
    const peer = track(new TcpPeer(LOCAL, server.port));
    let inside = false;
    let reentered = false;
    peer.setActivityListener(() => {
      if (inside) reentered = true;
    });
    await open(peer);
    for (let i = 0; i < 20; i++) {
      inside = true;
      peer.write(new Uint8Array(1000).fill(i));
      while (peer.read(64).length > 0);
      inside = false;
      await tick();
    }
    expect(reentered).toBe(false);
  });

  it("accepts writes only up to the write bound and reports pending bytes", async () => {
    let serverSocket: Socket | null = null;
    const received = createHash("sha256");
    let receivedBytes = 0;
    const server = track(
      await startTcpServer((socket) => {
        serverSocket = socket;
        socket.pause();
        socket.on("data", (chunk: Buffer) => {
          received.update(chunk);
          receivedBytes += chunk.length;
        });
      }),
    );
    const peer = track(new TcpPeer(LOCAL, server.port));
    await open(peer);
    await waitUntil(() => serverSocket !== null, "accept");
    expect(peer.getWriteBufferBytes()).toBe(DEFAULT_WRITE_BUFFER_BYTES);

    const sent = createHash("sha256");
    let sentBytes = 0;
    let block = 0;
    let pending = patternBlock(block, 256 * 1024);
    const pump = (): number => {
      const accepted = peer.write(pending);
      if (accepted > 0) {
        sent.update(pending.subarray(0, accepted));
        sentBytes += accepted;
        pending = accepted === pending.length ? patternBlock(++block, 256 * 1024) : pending.subarray(accepted);
      }
      return accepted;
    };
    // The server does not read: kernel buffers fill, then the peer's own buffer, then write() returns 0.
    await waitUntil(() => pump() === 0 && peer.getPendingWriteBytes() >= DEFAULT_WRITE_BUFFER_BYTES, "a full write buffer", 10_000);
    expect(peer.getPendingWriteBytes()).toBeLessThanOrEqual(DEFAULT_WRITE_BUFFER_BYTES);

    let drained = 0;
    peer.setActivityListener(() => drained++);
    (serverSocket as Socket | null)?.resume();
    await waitUntil(() => peer.getPendingWriteBytes() === 0, "drain", 10_000);
    expect(drained).toBeGreaterThan(0);
    await waitUntil(() => receivedBytes === sentBytes, "all bytes at the server", 10_000);
    expect(received.digest("hex")).toBe(sent.digest("hex"));
  });

  it("bounds unread memory while a 64 MiB body arrives unread, then delivers every byte in order", async () => {
    const TOTAL = 64 * MiB;
    const BLOCK = MiB;
    const sentHash = createHash("sha256");
    const server = track(
      await startTcpServer((socket) => {
        let block = 0;
        const pump = (): void => {
          while (block < TOTAL / BLOCK) {
            const data = patternBlock(block++, BLOCK);
            sentHash.update(data);
            if (!socket.write(data)) {
              socket.once("drain", pump);
              return;
            }
          }
          socket.end();
        };
        pump();
      }),
    );
    const peer = track(new TcpPeer(LOCAL, server.port));
    expect(peer.getReadBufferBytes()).toBe(DEFAULT_READ_BUFFER_BYTES);
    await open(peer);

    // Never read for a while: the peer fills to its bound and pauses the socket.
    await waitUntil(() => peer.getAvailableBytes() >= DEFAULT_READ_BUFFER_BYTES, "a full read buffer");
    await sleep(150);
    const bound = DEFAULT_READ_BUFFER_BYTES + MiB;
    expect(peer.getAvailableBytes()).toBeLessThanOrEqual(bound);
    expect(peer.getPeakBufferedBytes()).toBeLessThanOrEqual(bound);

    const receivedHash = createHash("sha256");
    let received = 0;
    while (!(peer.isEnded() && peer.getAvailableBytes() === 0)) {
      for (let chunk = peer.read(MiB); chunk.length > 0; chunk = peer.read(MiB)) {
        receivedHash.update(chunk);
        received += chunk.length;
      }
      expect(peer.getState()).toBe(PeerState.OPEN);
      await tick();
    }
    expect(received).toBe(TOTAL);
    expect(receivedHash.digest("hex")).toBe(sentHash.digest("hex"));
    expect(peer.getPeakBufferedBytes()).toBeLessThanOrEqual(bound);
  });

  it("honours a configured read bound, clamped to 64 KiB – 64 MiB", async () => {
    expect(new TcpPeer(LOCAL, 70000, { readBufferBytes: 1 }).getReadBufferBytes()).toBe(64 * 1024);
    expect(new TcpPeer(LOCAL, 70000, { readBufferBytes: 1e12 }).getReadBufferBytes()).toBe(64 * MiB);
    const bound = 256 * 1024;
    const server = track(
      await startTcpServer((socket) => {
        const data = Buffer.alloc(4 * MiB, 7);
        socket.end(data);
      }),
    );
    const peer = track(new TcpPeer(LOCAL, server.port, { readBufferBytes: bound }));
    await open(peer);
    await waitUntil(() => peer.getAvailableBytes() >= bound, "a full read buffer");
    await sleep(50);
    expect(peer.getPeakBufferedBytes()).toBeLessThanOrEqual(bound + 256 * 1024);
    let total = 0;
    while (!(peer.isEnded() && peer.getAvailableBytes() === 0)) {
      for (let chunk = peer.read(65536); chunk.length > 0; chunk = peer.read(65536)) total += chunk.length;
      await tick();
    }
    expect(total).toBe(4 * MiB);
  });

  it("hands its socket over only when open and fully read", async () => {
    let serverSide: Socket | null = null;
    const server = track(
      await startTcpServer((socket) => {
        serverSide = socket;
        socket.write("x");
      }),
    );
    const peer = track(new TcpPeer(LOCAL, server.port));
    await open(peer);
    await waitUntil(() => peer.getAvailableBytes() === 1, "a byte");
    expect(() => peer.detachSocket()).toThrow(/unread/);
    peer.read(1);
    const socket = track({
      raw: peer.detachSocket(),
      close(): void {
        this.raw.destroy();
      },
    }).raw;
    expect(peer.getState()).toBe(PeerState.CLOSED);
    expect(() => peer.detachSocket()).toThrow(/not open/);
    const echoed = readToEnd(serverSide as unknown as Socket);
    socket.end("still usable");
    expect((await echoed).toString()).toBe("still usable");
  });
});
