import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MIN_READ_BUFFER_BYTES } from "../../src/client/peer/socket-peer.ts";
import { SLAB_BYTES } from "../../src/client/peer/slab-pool.ts";
import { PeerState } from "../../src/client/peer/stream-peer.ts";
import { TcpPeer } from "../../src/client/peer/tcp-peer.ts";
import { startTcpServer } from "../helpers/loopback-server.ts";
import { seededBytes } from "../helpers/prng.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { tick, waitUntil } from "../helpers/wait.ts";

const MiB = 1024 * 1024;
const LOCAL = { address: "127.0.0.1", family: 4 } as const;
const track = cleanupAfterEach().track;

const sha = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** A server that sends `body` to every connection and ends it. */
async function sender(body: Uint8Array): Promise<number> {
  const server = track(await startTcpServer((socket) => socket.end(body)));
  return server.port;
}

async function openPeer(port: number, readBufferBytes?: number): Promise<TcpPeer> {
  const peer = track(new TcpPeer(LOCAL, port, readBufferBytes === undefined ? {} : { readBufferBytes }));
  await waitUntil(() => peer.getState() !== PeerState.CONNECTING, "connect");
  expect(peer.getState()).toBe(PeerState.OPEN);
  return peer;
}

/** Reads until the end, calling `onView` with every view and `afterDrain` after each drain. */
async function readAll(peer: TcpPeer, onView: (view: Uint8Array) => void, afterDrain: () => void = () => {}): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(peer.isEnded() && peer.getAvailableBytes() === 0)) {
    for (let view = peer.read(MiB); view.length > 0; view = peer.read(MiB)) onView(view);
    afterDrain();
    if (Date.now() > deadline) throw new Error("timed out reading");
    await tick();
  }
}

describe("TcpPeer read slabs", () => {
  it("keeps every view intact while nobody calls releaseReads()", async () => {
    const body = seededBytes(6 * MiB + 777, 11);
    const peer = await openPeer(await sender(body));
    const views: Uint8Array[] = [];
    await readAll(peer, (view) => {
      expect(view.length).toBeLessThanOrEqual(SLAB_BYTES);
      views.push(view);
    });
    expect(sha(Buffer.concat(views))).toBe(sha(body));
  });

  it("reuses released memory: copies taken before releaseReads() are whole, views kept past it are not", async () => {
    const body = seededBytes(8 * MiB + 5, 12);
    const port = await sender(body);
    const peer = await openPeer(port, MIN_READ_BUFFER_BYTES * 4);
    const copies: Buffer[] = [];
    const views: Uint8Array[] = [];
    await readAll(
      peer,
      (view) => {
        copies.push(Buffer.from(view));
        views.push(view);
      },
      () => peer.releaseReads(0),
    );
    expect(sha(Buffer.concat(copies))).toBe(sha(body));
    // A consumer that kept views past releaseReads() would read other bytes: this is what the
    // body tests of HTTPClient and HTTPRequest rely on to catch such a consumer.
    expect(sha(Buffer.concat(views))).not.toBe(sha(body));
    expect(peer.getPeakBufferedBytes()).toBeLessThanOrEqual(MIN_READ_BUFFER_BYTES * 4 + SLAB_BYTES);
  });

  it("pauses at the read bound with onread and resumes when read down to half", async () => {
    const body = seededBytes(4 * MiB, 13);
    const peer = await openPeer(await sender(body), MIN_READ_BUFFER_BYTES * 2);
    await waitUntil(() => peer.getAvailableBytes() >= MIN_READ_BUFFER_BYTES * 2, "a full read buffer");
    await new Promise((resolve) => setTimeout(resolve, 50));
    const bound = MIN_READ_BUFFER_BYTES * 2 + SLAB_BYTES;
    expect(peer.getAvailableBytes()).toBeLessThanOrEqual(bound);
    const hash = createHash("sha256");
    await readAll(
      peer,
      (view) => hash.update(view),
      () => peer.releaseReads(0),
    );
    expect(hash.digest("hex")).toBe(sha(body));
    expect(peer.getPeakBufferedBytes()).toBeLessThanOrEqual(bound);
  });

  it("hands its socket over to TLS after reading with onread (tunnel answer), with no unread byte left", async () => {
    const server = track(
      await startTcpServer((socket) => {
        socket.once("data", () => socket.write("HTTP/1.1 200 OK\r\n\r\n"));
      }),
    );
    const peer = await openPeer(server.port);
    expect(peer.write(new TextEncoder().encode("CONNECT x:1 HTTP/1.1\r\n\r\n"))).toBeGreaterThan(0);
    await waitUntil(() => peer.getAvailableBytes() === 19, "the answer");
    const answer = peer.read(100);
    expect(Buffer.from(answer).toString("latin1")).toBe("HTTP/1.1 200 OK\r\n\r\n");
    const socket = peer.detachSocket();
    expect(peer.getState()).toBe(PeerState.CLOSED);
    expect(socket.destroyed).toBe(false);
    socket.destroy();
    await tick();
    expect(Buffer.from(answer).toString("latin1")).toBe("HTTP/1.1 200 OK\r\n\r\n"); // never handed back for reuse
  });
});
