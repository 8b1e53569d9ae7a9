import { writeSync } from "node:fs";
import { SlabQueue } from "../peer/slab-queue.ts";
import { MIN_READ_BUFFER_BYTES, peerErrorFrom } from "../peer/socket-peer.ts";
import { PeerState, type PeerError, type PeerErrorKind, type StreamPeer } from "../peer/stream-peer.ts";
import {
  CHANNEL_CONTROL_BYTES,
  CHANNEL_TEXT_BYTES,
  CHANNEL_TEXT_OFFSET,
  CHANNEL_WORDS,
  ChannelWord,
  NotifyWord,
} from "./channel-layout.ts";
import type { SocketThread } from "./socket-thread.ts";

const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder();

/** What a {@link ThreadedPeer} asks its socket thread to do first. */
export type ThreadedPeerStart =
  | { readonly t: "connect"; readonly host: string; readonly port: number; readonly family: 4 | 6 }
  | { readonly t: "tls"; readonly from: number; readonly options: Readonly<Record<string, unknown>> };

let nextChannelId = 1;

/**
 * A {@link StreamPeer} whose socket lives on the socket thread of a `ThreadedNetwork`. Its state,
 * error, end of stream and received bytes are read from shared memory with `Atomics`, so they
 * change whether or not this thread's event loop turns: a loop that never yields still sees the
 * connection open and the bytes come in.
 *
 * Received bytes wait in a ring of the read bound's size (the socket thread's socket reads straight
 * into it); when it is full the socket thread pauses the socket, and the reader asks it to resume
 * once the ring is down to half, so memory per connection stays bounded as with {@link TcpPeer}.
 * Once the reader has called {@link ThreadedPeer.releaseReads} (an `HTTPClient` does so when each
 * `poll()` starts), `read()` hands out views of the ring itself: no byte is copied on this thread,
 * and the bytes under a view stay taken (the socket thread does not overwrite them) until the
 * release that frees them. Before the first release, `read()` copies out of the ring into recycled
 * 64 KiB slabs, as {@link TcpPeer} does, freeing ring space at once, so a reader that never
 * releases never stops the stream. `write()` accepts only what fits in a send ring of the write
 * bound's size. While that ring is empty and the socket thread has no write pending, a plain TCP
 * connection (on Node 20 on Unix) writes the accepted bytes straight to the socket's descriptor with
 * one non-blocking `write(2)` (the socket thread never closes it meanwhile, see
 * `ChannelWord.TX_DIRECT`), and only what the kernel did not take goes into the ring.
 *
 * Made by `ThreadedNetwork.connect()` and `ThreadedNetwork.startTls()`.
 */
export class ThreadedPeer implements StreamPeer {
  /** The channel's number on the socket thread. */
  readonly id: number = nextChannelId++;
  readonly #thread: SocketThread;
  readonly #ctrl: Int32Array;
  readonly #text: Uint8Array;
  readonly #rx: Uint8Array;
  readonly #tx: Uint8Array;
  readonly #openingKind: PeerErrorKind;
  /** Bytes copied out of the ring (before the first release), handed out as views of recycled slabs. */
  readonly #queue: SlabQueue;
  /** Ring position of the next unread byte. */
  #readAt = 0;
  /** True from the first `releaseReads()` on: `read()` hands out views of the ring. */
  #views = false;
  /** Ring bytes handed out as views and not freed yet (`RX_HELD`); the oldest is at `#readAt - #held`. */
  #held = 0;
  /**
   * What was handed out since the oldest byte still kept, in read order, adjacent reads of one
   * kind merged: a positive length is views of the ring, a negative one views of the slab queue.
   */
  readonly #handed: number[] = [];
  /** True when views of the ring were handed out since the last release. */
  #fresh = false;
  /** True while news this peer announced itself (see `#resumeOrWake`) is owed to the listener. */
  #owesNotice = false;
  #writeAt = 0;
  /** Bytes written straight to the socket's descriptor. */
  #directBytes = 0;
  #closed = false;
  #idle = false;
  #error: PeerError | null = null;
  #listener: (() => void) | null = null;
  #seen = 0;

  /**
   * Creates the channel and asks the socket thread to open it.
   *
   * @param thread - The socket thread.
   * @param start - A TCP connection to open, or TLS to start over another channel's socket.
   * @param readBufferBytes - The receive ring's size (already clamped).
   * @param writeBufferBytes - The send ring's size (already clamped).
   * @internal
   */
  constructor(thread: SocketThread, start: ThreadedPeerStart, readBufferBytes: number, writeBufferBytes: number) {
    this.#thread = thread;
    this.#openingKind = start.t === "tls" ? "tls" : "connect";
    const control = new SharedArrayBuffer(CHANNEL_CONTROL_BYTES);
    const rx = new SharedArrayBuffer(readBufferBytes);
    const tx = new SharedArrayBuffer(writeBufferBytes);
    this.#ctrl = new Int32Array(control, 0, CHANNEL_WORDS);
    this.#text = new Uint8Array(control, CHANNEL_TEXT_OFFSET, CHANNEL_TEXT_BYTES);
    this.#rx = new Uint8Array(rx);
    this.#tx = new Uint8Array(tx);
    this.#queue = new SlabQueue(readBufferBytes + MIN_READ_BUFFER_BYTES);
    thread.add(this);
    thread.setBusy(1); // a new peer is busy, as a socket being opened keeps the process alive
    thread.post({ ...start, id: this.id, ctrl: control, rx, tx });
  }

  /**
   * The current state. A failure of an open connection shows only once the bytes received before
   * it are read: the socket thread writes them first, so a reader that found no byte and then
   * looks at the state can never miss bytes that came just before the failure.
   */
  getState(): PeerState {
    if (this.#closed) return PeerState.CLOSED;
    const state = Atomics.load(this.#ctrl, ChannelWord.STATE) as PeerState;
    // Bytes were received, so the connection was open.
    if (state === PeerState.ERROR && (this.#queue.size > 0 || this.#unread() > 0)) return PeerState.OPEN;
    return state;
  }

  /** {@inheritDoc StreamPeer.getError} */
  getError(): PeerError | null {
    if (this.getState() !== PeerState.ERROR) return null;
    if (this.#error === null) {
      const length = Atomics.load(this.#ctrl, ChannelWord.ERROR_LEN);
      const [kind = "io", code = "EUNKNOWN", ...rest] = decoder.decode(this.#text.slice(0, length)).split("\n");
      const known: PeerErrorKind = kind === "connect" || kind === "tls" ? kind : "io";
      this.#error = peerErrorFrom(known, Object.assign(new Error(rest.join("\n")), { code }));
    }
    return this.#error;
  }

  /** {@inheritDoc StreamPeer.getAvailableBytes} */
  getAvailableBytes(): number {
    return this.#closed ? 0 : this.#queue.size + this.#unread();
  }

  /**
   * Takes up to `maxBytes` received bytes: a view of the receive ring once the reader releases its
   * reads, a view of a recycled slab before (fewer bytes when the ring or a slab ends first: call
   * again until it returns an empty array).
   *
   * @param maxBytes - The most bytes to return; must be at least 1.
   * @returns The bytes, valid until {@link ThreadedPeer.releaseReads} frees them; empty when nothing is buffered.
   */
  read(maxBytes: number): Uint8Array {
    if (this.#closed) return EMPTY;
    const want = Math.floor(maxBytes);
    if (!(want > 0)) return EMPTY;
    if (this.#queue.size > 0 || !this.#views) {
      if (this.#queue.size === 0) this.#copyFromRing(want);
      const bytes = this.#queue.read(want);
      if (this.#views && bytes.length > 0) this.#note(-bytes.length);
      return bytes;
    }
    const ctrl = this.#ctrl;
    const capacity = this.#rx.length;
    const at = this.#readAt;
    const n = Math.min(want, Atomics.load(ctrl, ChannelWord.RX_USED) - this.#held, capacity - at);
    if (n <= 0) {
      this.#resumeOrWake();
      return EMPTY;
    }
    this.#readAt = at + n === capacity ? 0 : at + n;
    this.#held += n;
    this.#fresh = true;
    Atomics.store(ctrl, ChannelWord.RX_HELD, this.#held);
    this.#note(n);
    return this.#rx.subarray(at, at + n);
  }

  /**
   * Declares that the reader no longer uses the arrays `read()` returned, except those holding the
   * last `keepLastBytes` bytes it read; see `StreamPeer.releaseReads`. The ring bytes under the
   * other views are freed for the socket thread, and from now on `read()` hands out views of the
   * ring.
   *
   * @param keepLastBytes - How many of the most recently read bytes are still in use (0 for none).
   */
  releaseReads(keepLastBytes: number): void {
    const keep = Number.isFinite(keepLastBytes) ? Math.max(0, keepLastBytes) : Number.MAX_SAFE_INTEGER;
    this.#views = !this.#closed;
    // Count back from the newest read: the kept bytes in the ring, the rest in the slab queue.
    const handed = this.#handed;
    let rest = keep;
    let ringKept = 0;
    let cut = handed.length;
    while (cut > 0 && rest > 0) {
      const length = handed[cut - 1] as number;
      const size = Math.abs(length);
      const take = Math.min(size, rest);
      if (length > 0) ringKept += take;
      rest -= take;
      cut--;
      if (take < size) handed[cut] = length > 0 ? take : -take;
    }
    if (cut > 0) handed.splice(0, cut);
    this.#queue.release(keep - ringKept);
    this.#fresh = false;
    this.#owesNotice = false;
    const freed = this.#held - ringKept;
    if (freed <= 0 || this.#closed) return;
    this.#held = ringKept;
    Atomics.store(this.#ctrl, ChannelWord.RX_HELD, ringKept);
    Atomics.sub(this.#ctrl, ChannelWord.RX_USED, freed);
    this.#resumeIfDue();
  }

  /** {@inheritDoc StreamPeer.write} */
  write(data: Uint8Array): number {
    if (data.length === 0 || this.#closed || Atomics.load(this.#ctrl, ChannelWord.STATE) !== PeerState.OPEN) return 0;
    if (Atomics.load(this.#ctrl, ChannelWord.ENDED) === 1) return 0;
    const ctrl = this.#ctrl;
    const capacity = this.#tx.length;
    const used = Atomics.load(ctrl, ChannelWord.TX_USED);
    const accepted = Math.min(data.length, capacity - used);
    if (accepted < data.length) {
      // Refused room: ask for news of the drain, then look again (it may have drained meanwhile).
      Atomics.store(ctrl, ChannelWord.TX_WANTS_ROOM, 1);
      if (accepted <= 0) return Atomics.load(ctrl, ChannelWord.TX_USED) < capacity ? this.write(data) : 0;
    }
    // Nothing of this connection waits to be sent: the bytes may go to the socket first, in order.
    const direct = used === 0 ? this.#writeDirect(data, accepted) : 0;
    if (direct === accepted) {
      // No write of the socket thread will announce room: do it here (as a socket's callback would).
      if (accepted < data.length && Atomics.exchange(ctrl, ChannelWord.TX_WANTS_ROOM, 0) === 1) {
        Atomics.add(ctrl, ChannelWord.SEQ, 1);
        this.#thread.poke();
      }
      return accepted;
    }
    const rest = direct === 0 ? data : data.subarray(direct);
    const length = accepted - direct;
    const first = Math.min(length, capacity - this.#writeAt);
    this.#tx.set(first === rest.length ? rest : rest.subarray(0, first), this.#writeAt);
    if (length > first) this.#tx.set(rest.subarray(first, length), 0);
    this.#writeAt = (this.#writeAt + length) % capacity;
    Atomics.add(ctrl, ChannelWord.TX_USED, length);
    if (Atomics.compareExchange(ctrl, ChannelWord.TX_SIGNALED, 0, 1) === 0) this.#thread.signal(this.id, "write");
    return accepted;
  }

  /**
   * Writes up to `length` bytes straight to the socket's descriptor when the socket thread lets this
   * thread use it (see `ChannelWord.TX_DIRECT`): one non-blocking `write(2)`.
   *
   * @returns How many bytes the kernel took (0 when the descriptor is not ours to use, its buffer
   * is full or the write failed: the ring takes them, and the socket thread meets any error).
   */
  #writeDirect(data: Uint8Array, length: number): number {
    const ctrl = this.#ctrl;
    if (!this.#thread.isRunning() || Atomics.compareExchange(ctrl, ChannelWord.TX_DIRECT, 1, 2) !== 1) return 0;
    let written = 0;
    try {
      written = writeSync(Atomics.load(ctrl, ChannelWord.TX_FD), data, 0, length);
    } catch {
      written = 0;
    } finally {
      Atomics.store(ctrl, ChannelWord.TX_DIRECT, 1);
      Atomics.notify(ctrl, ChannelWord.TX_DIRECT);
    }
    this.#directBytes += written;
    return written;
  }

  /**
   * Bytes this peer wrote straight to its socket's descriptor rather than through the socket
   * thread (for tests of that path).
   *
   * @internal
   */
  getDirectWriteBytes(): number {
    return this.#directBytes;
  }

  /** {@inheritDoc StreamPeer.getPendingWriteBytes} */
  getPendingWriteBytes(): number {
    return this.#closed ? 0 : Atomics.load(this.#ctrl, ChannelWord.TX_USED);
  }

  /**
   * True once the remote end has closed its side and every byte before the close has been read.
   * (The bytes and the close arrive on another thread: a reader that found no byte and then sees
   * the end must be able to trust that no byte came in between.)
   */
  isEnded(): boolean {
    return Atomics.load(this.#ctrl, ChannelWord.ENDED) === 1 && this.#unread() === 0 && this.#queue.size === 0;
  }

  /** {@inheritDoc StreamPeer.close} */
  close(): void {
    if (this.#release()) this.#thread.post({ t: "close", id: this.id });
  }

  /**
   * Marks the peer handed over to a TLS peer: `CLOSED`, its socket left to the new channel.
   *
   * @internal
   */
  handOver(): void {
    this.#release();
  }

  /**
   * Tells the peer whether a request is in flight on it (see `StreamPeer.setIdle`): the socket
   * thread keeps the process alive while any of its peers is busy. A new peer is busy.
   *
   * @param idle - True when no request is in flight.
   */
  setIdle(idle: boolean): void {
    if (idle === this.#idle || this.#closed) return;
    this.#idle = idle;
    this.#thread.setBusy(idle ? -1 : 1);
  }

  /** {@inheritDoc StreamPeer.setActivityListener} */
  setActivityListener(listener: (() => void) | null): void {
    if (this.#closed) return;
    this.#listener = listener;
    // The network's word first: a change after it, and so any change this snapshot misses, wakes.
    const since = Atomics.load(this.#thread.notify, NotifyWord.SEQ);
    this.#seen = Atomics.load(this.#ctrl, ChannelWord.SEQ);
    this.#thread.listen(this, listener !== null, since);
    if (listener === null) return;
    // A pause of the socket thread that the snapshot above already counts brought its news before
    // this listener was set: when every byte is taken and the room it waits for is under views,
    // bring that news again, as after an empty read (the pause is stored before its news).
    if (this.#unread() === 0) this.#resumeOrWake();
    if (this.#owesNotice) this.#thread.poke();
  }

  /** The most unread bytes this peer has ever held at once (for tests of the memory bound). */
  getPeakBufferedBytes(): number {
    return Atomics.load(this.#ctrl, ChannelWord.PEAK);
  }

  /** The read buffer bound in bytes: the receive ring's size. */
  getReadBufferBytes(): number {
    return this.#rx.length;
  }

  /** The write buffer bound in bytes: the send ring's size. */
  getWriteBufferBytes(): number {
    return this.#tx.length;
  }

  /**
   * Calls the activity listener when the channel changed since it last did.
   *
   * @internal
   */
  onWake(): void {
    const seq = Atomics.load(this.#ctrl, ChannelWord.SEQ);
    if (seq === this.#seen && !this.#owesNotice) return;
    this.#seen = seq;
    this.#owesNotice = false;
    this.#listener?.();
  }

  /**
   * The socket thread is gone: an open or opening peer fails with kind `io` (or its opening kind).
   *
   * @param reason - Why.
   * @internal
   */
  onThreadStopped(reason: string): void {
    const state = this.getState();
    if (state !== PeerState.CONNECTING && state !== PeerState.OPEN) return;
    const kind = state === PeerState.CONNECTING ? this.#openingKind : "io";
    this.#error = peerErrorFrom(kind, Object.assign(new Error(reason), { code: "ECONNABORTED" }));
    Atomics.store(this.#ctrl, ChannelWord.STATE, PeerState.ERROR);
    this.#listener?.();
  }

  /** Received bytes in the ring not yet handed out. */
  #unread(): number {
    return Atomics.load(this.#ctrl, ChannelWord.RX_USED) - this.#held;
  }

  /** Records a read of `length` bytes: positive from the ring, negative from the slab queue. */
  #note(length: number): void {
    const handed = this.#handed;
    const last = handed.length - 1;
    if (last >= 0 && (handed[last] as number) > 0 === length > 0) handed[last] = (handed[last] as number) + length;
    else handed.push(length);
  }

  /**
   * Copies up to `max` bytes (up to the ring's end) from the receive ring into the slab queue,
   * freeing them in the ring at once (only while no view of the ring is held).
   */
  #copyFromRing(max: number): void {
    const capacity = this.#rx.length;
    const n = Math.min(max, this.#unread(), capacity - this.#readAt);
    if (n <= 0) return;
    this.#queue.push(this.#rx.subarray(this.#readAt, this.#readAt + n));
    this.#readAt = (this.#readAt + n) % capacity;
    Atomics.sub(this.#ctrl, ChannelWord.RX_USED, n);
    this.#resumeIfDue();
  }

  /**
   * Asks the socket thread to resume a paused socket once the ring is down to half, or once every
   * byte is taken and the views held leave room (the socket thread checks the same after pausing).
   *
   * @returns false when the socket stays paused.
   */
  #resumeIfDue(): boolean {
    const ctrl = this.#ctrl;
    if (Atomics.load(ctrl, ChannelWord.RX_PAUSED) !== 1) return true;
    const capacity = this.#rx.length;
    const used = Atomics.load(ctrl, ChannelWord.RX_USED);
    if (used > capacity / 2 && (used >= capacity || used !== this.#held)) return false;
    if (Atomics.compareExchange(ctrl, ChannelWord.RX_PAUSED, 1, 0) === 1) this.#thread.signal(this.id, "resume");
    return true;
  }

  /**
   * Every received byte is taken. When the socket thread waits for room that views handed out since
   * the last release hold, nothing will come to wake the reader, whose next release would free
   * them (an event-loop runner polls on news): so this peer brings the news itself, once per
   * release, to the listener it has or the next one set. (The socket thread brings it when it
   * pauses after this.)
   */
  #resumeOrWake(): void {
    if (this.#resumeIfDue() || !this.#fresh || this.#owesNotice) return;
    this.#owesNotice = true;
    this.#thread.poke();
  }

  /** @returns false when already closed. */
  #release(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    this.#queue.clear();
    this.#handed.length = 0;
    this.#listener = null;
    if (!this.#idle) this.#thread.setBusy(-1);
    this.#thread.remove(this);
    return true;
  }
}
