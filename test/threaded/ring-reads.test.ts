/**
 * A `ThreadedPeer`'s receive ring: once its reader releases reads, `read()` hands out views of the
 * shared ring itself, and the bytes under the views the reader keeps are never overwritten by the
 * socket thread until a later release frees them, however often the ring wraps and however much
 * of it the kept views hold. Before the first release, reads are copies, so a reader that never
 * releases still gets the whole stream. Waits are on the peer's activity notices.
 */
import { untilPeer } from "../helpers/wait.ts";
import { describe, expect, it } from "vitest";
import { MIN_READ_BUFFER_BYTES } from "../../src/client/peer/socket-peer.ts";
import { PeerState, type StreamPeer } from "../../src/client/peer/stream-peer.ts";
import { ThreadedNetwork } from "../../src/index.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { startTcpServer } from "../helpers/loopback-server.ts";
import { prng, seededBytes } from "../helpers/prng.ts";

const track = cleanupAfterEach().track;
const LOCAL = { address: "127.0.0.1", family: 4 } as const;
const RING = MIN_READ_BUFFER_BYTES;

/** A server that sends `body` in pieces of varied size as fast as the client takes them, then ends. */
async function sender(body: Buffer): Promise<number> {
  const server = track(
    await startTcpServer((socket) => {
      let sent = 0;
      const next = prng(7);
      const pump = (): void => {
        while (sent < body.length) {
          const n = Math.min(body.length - sent, 1 + Math.floor(next() * 100_000));
          const ok = socket.write(body.subarray(sent, sent + n));
          sent += n;
          if (!ok) {
            socket.once("drain", pump);
            return;
          }
        }
        socket.end();
      };
      pump();
    }),
  );
  return server.port;
}

/** Opens a threaded connection with a ring of {@link RING} bytes. */
async function open(port: number): Promise<StreamPeer> {
  const network = track(new ThreadedNetwork({ readBufferBytes: RING }));
  const peer = track(network.connect(LOCAL, port));
  await untilPeer(peer, () => peer.getState() !== PeerState.CONNECTING);
  expect(peer.getState()).toBe(PeerState.OPEN);
  return peer;
}

describe("ThreadedPeer receive ring", () => {
  it("hands out views of the ring; views kept across releases stay intact while the ring wraps, even when they hold most of it", async () => {
    const body = seededBytes(6 * 1024 * 1024, 12);
    const peer = await open(await sender(body));
    const next = prng(3);
    let received = 0;
    let kept: Array<{ view: Uint8Array; at: number }> = [];
    let shared = 0;
    peer.releaseReads?.(0);
    for (;;) {
      await untilPeer(peer, () => peer.getAvailableBytes() > 0 || peer.isEnded() || peer.getState() !== PeerState.OPEN);
      // Views kept at the last release still hold what they held, though the ring moved on since.
      for (const { view, at } of kept) expect(Buffer.from(view).equals(body.subarray(at, at + view.length))).toBe(true);
      const pieces: Array<{ view: Uint8Array; at: number }> = [];
      for (let piece = peer.read(1 + Math.floor(next() * 40_000)); piece.length > 0; piece = peer.read(1 + Math.floor(next() * 40_000))) {
        expect(Buffer.from(piece).equals(body.subarray(received, received + piece.length))).toBe(true);
        if (piece.buffer instanceof SharedArrayBuffer) shared++;
        pieces.push({ view: piece, at: received });
        received += piece.length;
      }
      if (peer.isEnded()) break;
      expect(peer.getState()).toBe(PeerState.OPEN);
      // Keep the last 0 to 48 KiB read (up to three quarters of the ring), as a parser holding a partial message would.
      let keep = Math.floor(next() * 4) === 0 ? 0 : Math.floor(next() * 48 * 1024);
      keep = Math.min(keep, received);
      // Only the kept bytes are promised: a view that starts before them keeps its tail.
      const from = received - keep;
      kept = [...kept, ...pieces]
        .filter(({ view, at }) => at + view.length > from)
        .map(({ view, at }) => (at >= from ? { view, at } : { view: view.subarray(from - at), at: from }));
      peer.releaseReads?.(keep);
    }
    expect(received).toBe(body.length);
    expect(shared).toBeGreaterThan(0);
    expect(peer.getPeakBufferedBytes?.()).toBeLessThanOrEqual(RING);
  });

  it("a reader that releases only when it is woken, as a runner polling on news does, is woken while its views fill the ring", async () => {
    const body = seededBytes(8 * 1024 * 1024, 9);
    const peer = await open(await sender(body));
    let received = 0;
    let rounds = 0;
    while (!peer.isEnded()) {
      // Any notice, as a runner polls on news (the views it holds may be what stops the stream).
      let notices = 0;
      await untilPeer(peer, () => notices++ > 0 || peer.getAvailableBytes() > 0 || peer.isEnded() || peer.getState() !== PeerState.OPEN);
      expect(peer.getState()).toBe(PeerState.OPEN);
      // As HTTPClient.poll(): release what the last round read, then read all there is.
      peer.releaseReads?.(0);
      for (let piece = peer.read(RING); piece.length > 0; piece = peer.read(RING)) {
        expect(Buffer.from(piece).equals(body.subarray(received, received + piece.length))).toBe(true);
        received += piece.length;
      }
      rounds++;
    }
    expect(received).toBe(body.length);
    expect(rounds).toBeGreaterThan(body.length / RING);
  });

  it("copies before the first release, so a reader that never releases still gets the whole stream", async () => {
    const body = seededBytes(1024 * 1024, 5);
    const peer = await open(await sender(body));
    const pieces: Uint8Array[] = [];
    let received = 0;
    while (!peer.isEnded()) {
      await untilPeer(peer, () => peer.getAvailableBytes() > 0 || peer.isEnded() || peer.getState() !== PeerState.OPEN);
      expect(peer.getState()).toBe(PeerState.OPEN);
      for (let piece = peer.read(30_000); piece.length > 0; piece = peer.read(30_000)) {
        expect(piece.buffer instanceof SharedArrayBuffer).toBe(false);
        pieces.push(piece);
        received += piece.length;
      }
    }
    expect(received).toBe(body.length);
    // No piece was reused: every one still holds its bytes.
    expect(Buffer.concat(pieces).equals(body)).toBe(true);
  });
});
