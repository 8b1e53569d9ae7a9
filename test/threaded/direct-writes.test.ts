/**
 * A plain TCP `ThreadedPeer` writes straight to its socket's descriptor while nothing of its
 * connection waits on the socket thread. A descriptor's number is reused by the operating system
 * once it is closed, so a write racing a close could land on another connection: here many
 * connections write tagged lines without pause while the servers reset, end or destroy them at
 * random (and stop reading now and then, so writes also fall back to the ring and come back), with
 * steady connections open beside them and new ones opened all the time (taking the freed numbers).
 * Every line a server receives must carry its connection's tag, in order, and every reply a client
 * receives its own. And a stream a slow reader takes in bursts, written partly straight to the
 * socket and partly through the ring as the kernel's buffer fills and drains, arrives intact. And
 * the socket thread closes nothing while the calling thread holds the descriptor for a write.
 */
import { untilPeer } from "../helpers/wait.ts";
import { fstatSync } from "node:fs";
import type { Socket } from "node:net";
import { Worker } from "node:worker_threads";
import { describe, expect, it, vi } from "vitest";
import { PeerState, type StreamPeer } from "../../src/client/peer/stream-peer.ts";
import { ChannelWord } from "../../src/client/threaded/channel-layout.ts";
import { SocketThread } from "../../src/client/threaded/socket-thread.ts";
import type { ThreadedPeer } from "../../src/client/threaded/threaded-peer.ts";
import { ThreadedNetwork } from "../../src/index.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { startTcpServer } from "../helpers/loopback-server.ts";
import { prng, seededBytes } from "../helpers/prng.ts";

const track = cleanupAfterEach().track;
const LOCAL = { address: "127.0.0.1", family: 4 } as const;

/** Connections the servers never close: ids 1 to STEADY. */
const STEADY = 4;
/** Connections open at once. */
const SLOTS = 24;
/** Connections to open in all. */
const TOTAL = 400;

interface Tally {
  /** Lines a server received on a connection they were not meant for, or out of order. */
  readonly foreign: string[];
  resets: number;
  ends: number;
}

/**
 * A server on a thread of its own that compares what it receives with `workerData.body`; it stops
 * reading after every `workerData.every` bytes until it gets a message. Posts its port, then its
 * verdict. Once told "done", it reads on to the end.
 */
const SLOW_READER = `
const { parentPort, workerData } = require("node:worker_threads");
const net = require("node:net");
const body = workerData.body;
const server = net.createServer((socket) => {
  let got = 0, intact = true, every = workerData.every;
  parentPort.on("message", (message) => {
    if (message === "done") every = Infinity;
    socket.resume();
  });
  socket.on("data", (chunk) => {
    if (intact && !chunk.equals(body.subarray(got, got + chunk.length))) intact = false;
    const before = got;
    got += chunk.length;
    if (got >= body.length) {
      parentPort.postMessage({ intact, got });
      parentPort.removeAllListeners("message");
      socket.destroy();
      server.close();
    } else if (Math.floor(got / every) > Math.floor(before / every)) {
      socket.pause();
    }
  });
});
server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
`;

/** A server that checks every line's tag and sequence, replies to each, and fails connections at random. */
async function taggedServer(seed: number, tally: Tally): Promise<number> {
  const next = prng(seed);
  const server = track(
    await startTcpServer((socket: Socket) => {
      let id = -1;
      let expected = 0;
      let text = "";
      let done = false;
      socket.on("error", () => {});
      socket.on("data", (chunk: Buffer) => {
        if (done) return;
        text += chunk.toString("latin1");
        let end = text.indexOf("\n");
        while (end >= 0 && !done) {
          const line = text.slice(0, end);
          text = text.slice(end + 1);
          end = text.indexOf("\n");
          const [tag = "", seq = "", pad = ""] = line.split(":");
          if (id < 0) id = Number(tag);
          if (
            Number(tag) !== id ||
            Number(seq) !== expected ||
            pad.length === 0 ||
            pad !== tag.repeat(Math.ceil(pad.length / tag.length)).slice(0, pad.length)
          ) {
            tally.foreign.push(`connection ${id} line ${expected}: ${line.slice(0, 80)}`);
          }
          expected++;
          socket.write(`${id}:${Number(seq)}\n`);
          if (id <= STEADY) continue;
          const fate = next();
          if (fate < 0.01) {
            done = true;
            tally.resets++;
            socket.resetAndDestroy();
          } else if (fate < 0.02) {
            done = true;
            tally.ends++;
            socket.end();
          } else if (fate < 0.025) {
            done = true;
            tally.resets++;
            socket.destroy();
          } else if (fate < 0.03) {
            // Stop reading for a while: the kernel's buffers fill and writes fall back to the ring.
            socket.pause();
            let turns = 1 + Math.floor(next() * 200);
            const later = (): void => {
              if (--turns > 0) setImmediate(later);
              else socket.resume();
            };
            setImmediate(later);
          }
        }
      });
    }),
  );
  return server.port;
}

/** One client connection: writes numbered lines tagged with its id and checks the replies. */
class Writer {
  readonly peer: StreamPeer;
  readonly id: number;
  #line = 0;
  #pending: Buffer = Buffer.alloc(0);
  #replies = "";
  #expected = 0;
  readonly #next: () => number;

  constructor(network: ThreadedNetwork, port: number, id: number) {
    this.id = id;
    this.peer = track(network.connect(LOCAL, port));
    this.#next = prng(id);
  }

  /** Writes lines until the peer refuses bytes or a few lines went out. */
  write(): void {
    for (let lines = 0; lines < 4; ) {
      if (this.#pending.length === 0) {
        const tag = String(this.id);
        const size = this.#next() < 0.05 ? 20_000 + Math.floor(this.#next() * 200_000) : 1 + Math.floor(this.#next() * 200);
        const pad = tag.repeat(Math.ceil(size / tag.length)).slice(0, size);
        this.#pending = Buffer.from(`${tag}:${this.#line++}:${pad}\n`, "latin1");
        lines++;
      }
      const n = this.peer.write(this.#pending);
      this.#pending = this.#pending.subarray(n);
      if (this.#pending.length > 0) return;
    }
  }

  /** Reads the replies; returns the ones not meant for this connection. */
  read(): string[] {
    const foreign: string[] = [];
    for (let bytes = this.peer.read(65_536); bytes.length > 0; bytes = this.peer.read(65_536)) {
      this.#replies += Buffer.from(bytes).toString("latin1");
    }
    this.peer.releaseReads?.(0);
    let end = this.#replies.indexOf("\n");
    while (end >= 0) {
      const line = this.#replies.slice(0, end);
      this.#replies = this.#replies.slice(end + 1);
      end = this.#replies.indexOf("\n");
      if (line !== `${this.id}:${this.#expected}`) foreign.push(`connection ${this.id} reply ${this.#expected}: ${line.slice(0, 80)}`);
      this.#expected++;
    }
    return foreign;
  }

  isOver(): boolean {
    const state = this.peer.getState();
    return state === PeerState.ERROR || state === PeerState.CLOSED || this.peer.isEnded();
  }
}

describe("ThreadedPeer direct writes", () => {
  it("never deliver a connection's bytes to another, however the connections around it are reset, ended and replaced", async () => {
    const tally: Tally = { foreign: [], resets: 0, ends: 0 };
    const ports = [await taggedServer(11, tally), await taggedServer(12, tally)];
    const network = track(new ThreadedNetwork({ writeBufferBytes: 65_536 }));
    const foreignReplies: string[] = [];
    let opened = 0;
    let direct = 0;
    const open = (): Writer => {
      opened++;
      return new Writer(network, ports[opened % 2] as number, opened);
    };
    const slots: Writer[] = [];
    for (let i = 0; i < SLOTS; i++) slots.push(open());
    let finished = 0;
    while (finished < TOTAL - SLOTS) {
      for (let i = 0; i < slots.length; i++) {
        const writer = slots[i] as Writer;
        if (writer.peer.getState() === PeerState.OPEN) writer.write();
        foreignReplies.push(...writer.read());
        if (writer.isOver()) {
          direct += (writer.peer as ThreadedPeer).getDirectWriteBytes();
          writer.peer.close();
          finished++;
          slots[i] = open();
        }
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    for (const writer of slots) {
      foreignReplies.push(...writer.read());
      direct += (writer.peer as ThreadedPeer).getDirectWriteBytes();
      writer.peer.close();
    }
    expect(tally.foreign).toEqual([]);
    expect(foreignReplies).toEqual([]);
    // The races were run: connections failed under writes, and the writes went straight to the sockets.
    expect(tally.resets).toBeGreaterThan(TOTAL / 4);
    expect(tally.ends).toBeGreaterThan(TOTAL / 10);
    expect(direct).toBeGreaterThan(0);
  }, 60_000);

  it("keep a stream in order when the kernel's buffer fills and writes go through the ring until it drained", async () => {
    const body = seededBytes(32 * 1024 * 1024, 5);
    // The reader runs on a thread of its own, so it drains the kernel's buffer while this thread writes.
    const reader = new Worker(SLOW_READER, { eval: true, workerData: { body, every: 2 * 1024 * 1024 } });
    const port = await new Promise<number>((resolve) => reader.once("message", resolve));
    const verdict = new Promise<{ intact: boolean; got: number }>((resolve) => reader.once("message", resolve));
    track({ close: () => reader.terminate() });
    const network = track(new ThreadedNetwork({ writeBufferBytes: 65_536 }));
    const peer = track(network.connect(LOCAL, port)) as ThreadedPeer;
    const next = prng(4);
    let sent = 0;
    while (sent < body.length) {
      expect(peer.getState()).not.toBe(PeerState.ERROR);
      const n =
        peer.getState() === PeerState.OPEN
          ? peer.write(body.subarray(sent, Math.min(body.length, sent + 1 + Math.floor(next() * 30_000))))
          : 0;
      sent += n;
      // The ring never holds more than the write bound.
      expect(peer.getPendingWriteBytes()).toBeLessThanOrEqual(65_536);
      if (n === 0) {
        // Refused: the kernel's buffer and the ring are full. Let the reader go on, and write on while it drains.
        reader.postMessage("resume");
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    reader.postMessage("done");
    expect(await verdict).toEqual({ intact: true, got: body.length });
    // Both paths were taken.
    expect(peer.getDirectWriteBytes()).toBeGreaterThan(0);
    expect(peer.getDirectWriteBytes()).toBeLessThan(body.length);
  }, 60_000);

  it.each(["the peer closes", "the server resets the connection", "the server ends the connection"])(
    "hold back the socket thread's close while the calling thread holds the descriptor for a write (%s)",
    async (how) => {
      // The control blocks, as the peers hand them to the socket thread.
      const blocks: Int32Array[] = [];
      const post = SocketThread.prototype.post;
      const spy = vi.spyOn(SocketThread.prototype, "post").mockImplementation(function (this: SocketThread, message) {
        const control = message["ctrl"];
        if (control instanceof SharedArrayBuffer) blocks.push(new Int32Array(control));
        post.call(this, message);
      });
      try {
        const server = track(await startTcpServer(() => {}));
        const network = track(new ThreadedNetwork());
        const first = track(network.connect(LOCAL, server.port));
        await untilPeer(first, () => first.getState() !== PeerState.CONNECTING);
        expect(first.getState()).toBe(PeerState.OPEN);
        const ctrl = blocks[0] as Int32Array;
        const fd = Atomics.load(ctrl, ChannelWord.TX_FD);
        const socket = fstatSync(fd);
        expect(socket.isSocket()).toBe(true);
        // Hold the descriptor as a write under way does, then have the connection closed, and open another.
        expect(Atomics.compareExchange(ctrl, ChannelWord.TX_DIRECT, 1, 2)).toBe(1);
        if (how === "the peer closes") first.close();
        else if (how === "the server resets the connection") server.connections[0]?.resetAndDestroy();
        else server.connections[0]?.end();
        const second = how === "the peer closes" ? track(network.connect(LOCAL, server.port)) : null;
        // The socket thread waits before the close: the descriptor stays this socket's (and the next connection does not open).
        for (let turn = 0; turn < 200; turn++) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          expect(fstatSync(fd).ino).toBe(socket.ino);
          if (second !== null) expect(second.getState()).toBe(PeerState.CONNECTING);
        }
        // Released, as at the end of the write: the socket thread goes on, and never hands the descriptor back.
        Atomics.store(ctrl, ChannelWord.TX_DIRECT, 1);
        Atomics.notify(ctrl, ChannelWord.TX_DIRECT);
        if (second !== null) {
          await untilPeer(second, () => second.getState() !== PeerState.CONNECTING);
          expect(second.getState()).toBe(PeerState.OPEN);
        }
        for (let turn = 0; turn < 100_000 && Atomics.load(ctrl, ChannelWord.TX_DIRECT) !== 0; turn++) {
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        expect(Atomics.load(ctrl, ChannelWord.TX_DIRECT)).toBe(0);
        if (how !== "the peer closes") {
          await untilPeer(first, () => first.getState() !== PeerState.OPEN || first.isEnded());
          if (how === "the server resets the connection") expect(first.getState()).toBe(PeerState.ERROR);
          else expect(first.isEnded()).toBe(true);
        }
      } finally {
        spy.mockRestore();
      }
    },
  );
});
