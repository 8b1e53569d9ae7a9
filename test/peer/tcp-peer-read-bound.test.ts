/**
 * The read bound of a socket peer grows while its reader keeps emptying a full buffer, up to its
 * cap, and comes back down when the reader keeps up or the connection goes idle; unread bytes stay
 * under the current bound plus one socket read. Waits are on the peer's activity notices.
 */
import { untilPeer } from "../helpers/wait.ts";
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_READ_BUFFER_BYTES, DEFAULT_READ_BUFFER_BYTES, MIN_READ_BUFFER_BYTES } from "../../src/client/peer/socket-peer.ts";
import { PeerState } from "../../src/client/peer/stream-peer.ts";
import { TcpPeer } from "../../src/client/peer/tcp-peer.ts";
import { startTcpServer } from "../helpers/loopback-server.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";

const MiB = 1024 * 1024;
const LOCAL = { address: "127.0.0.1", family: 4 } as const;
const track = cleanupAfterEach().track;

/** A server that sends `total` bytes as fast as the client takes them, then ends. */
async function sender(total: number): Promise<{ port: number; close(): Promise<void> | void }> {
  return track(
    await startTcpServer((socket) => {
      const block = Buffer.alloc(MiB, 0x61);
      let sent = 0;
      const pump = (): void => {
        while (sent < total) {
          sent += block.length;
          if (!socket.write(block)) {
            socket.once("drain", pump);
            return;
          }
        }
        socket.end();
      };
      pump();
    }),
  );
}

function drain(peer: TcpPeer): number {
  let n = 0;
  for (let piece = peer.read(MiB); piece.length > 0; piece = peer.read(MiB)) n += piece.length;
  peer.releaseReads(0);
  return n;
}

describe("TcpPeer read bound", () => {
  it("doubles while each read empties a full buffer, up to the cap, and is back at the start when idle", async () => {
    const total = 40 * MiB;
    const server = await sender(total);
    const peer = track(new TcpPeer(LOCAL, server.port));
    expect(peer.getReadBufferBytes()).toBe(DEFAULT_READ_BUFFER_BYTES);
    expect(peer.getMaxReadBufferBytes()).toBe(DEFAULT_MAX_READ_BUFFER_BYTES);
    await untilPeer(peer, () => peer.getState() !== PeerState.CONNECTING);
    const bounds: number[] = [];
    let received = 0;
    while (received < total) {
      // A reader that is slower than the network: each time, the buffer is full (the socket paused).
      await untilPeer(peer, () => peer.getAvailableBytes() >= peer.getCurrentReadBufferBytes() || peer.isEnded());
      bounds.push(peer.getCurrentReadBufferBytes());
      expect(peer.getAvailableBytes()).toBeLessThanOrEqual(peer.getCurrentReadBufferBytes() + 64 * 1024);
      received += drain(peer);
    }
    expect(received).toBe(total);
    expect(bounds.slice(0, 3)).toEqual([4 * MiB, 8 * MiB, 8 * MiB]);
    expect(peer.getPeakBufferedBytes()).toBeLessThanOrEqual(DEFAULT_MAX_READ_BUFFER_BYTES + 64 * 1024);
    peer.setIdle(true);
    expect(peer.getCurrentReadBufferBytes()).toBe(DEFAULT_READ_BUFFER_BYTES);
  });

  it("halves each time a read empties a buffer that held at most half of it, down to the start", async () => {
    let serverSide: Socket | null = null;
    const server = track(await startTcpServer((socket) => void (serverSide = socket)));
    const peer = track(new TcpPeer(LOCAL, server.port));
    await untilPeer(peer, () => peer.getState() === PeerState.OPEN && serverSide !== null);
    const burst = async (bytes: number): Promise<number> => {
      (serverSide as unknown as Socket).write(Buffer.alloc(bytes, 0x62));
      await untilPeer(peer, () => peer.getAvailableBytes() >= Math.min(bytes, peer.getCurrentReadBufferBytes()));
      drain(peer);
      return peer.getCurrentReadBufferBytes();
    };
    expect(await burst(4 * MiB)).toBe(8 * MiB); // exactly the bound, full when read: grows
    const bounds: number[] = [];
    for (let i = 0; i < 3; i++) bounds.push(await burst(MiB));
    expect(bounds).toEqual([4 * MiB, 4 * MiB, 4 * MiB]);
  });

  it("does not grow for a reader that takes only part of a full buffer each time", async () => {
    const total = 24 * MiB;
    const server = await sender(total);
    const peer = track(new TcpPeer(LOCAL, server.port, { readBufferBytes: MiB, maxReadBufferBytes: 8 * MiB }));
    expect(peer.getMaxReadBufferBytes()).toBe(8 * MiB);
    let received = 0;
    while (received < total) {
      await untilPeer(peer, () => peer.getAvailableBytes() >= peer.getCurrentReadBufferBytes() || peer.isEnded());
      // Three quarters of it: the socket resumes (below half) but the buffer is never emptied.
      const want = Math.min(peer.getAvailableBytes(), peer.isEnded() ? Infinity : (3 * MiB) / 4);
      for (let got = 0; got < want; ) {
        const piece = peer.read(want - got);
        if (piece.length === 0) break;
        got += piece.length;
        received += piece.length;
      }
      peer.releaseReads(0);
      expect(peer.getCurrentReadBufferBytes()).toBe(MiB);
    }
    expect(received).toBe(total);
    expect(peer.getPeakBufferedBytes()).toBeLessThanOrEqual(MiB + 64 * 1024);
  });

  it("a read bound given alone is fixed; the cap is clamped to the bound … 64 MiB", () => {
    const fixed = new TcpPeer(LOCAL, 70000, { readBufferBytes: 2 * MiB });
    expect(fixed.getMaxReadBufferBytes()).toBe(2 * MiB);
    expect(new TcpPeer(LOCAL, 70000, { readBufferBytes: 2 * MiB, maxReadBufferBytes: MiB }).getMaxReadBufferBytes()).toBe(2 * MiB);
    expect(new TcpPeer(LOCAL, 70000, { maxReadBufferBytes: 1e12 }).getMaxReadBufferBytes()).toBe(64 * MiB);
    expect(new TcpPeer(LOCAL, 70000, { readBufferBytes: 1 }).getCurrentReadBufferBytes()).toBe(MIN_READ_BUFFER_BYTES);
  });
});
