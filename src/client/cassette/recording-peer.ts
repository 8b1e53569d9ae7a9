import { PeerState, type PeerError, type StreamPeer } from "../peer/stream-peer.ts";
import { HeadScanner } from "./head-scanner.ts";
import type { Recorder } from "./recorder.ts";

/**
 * A peer passed through, noting what the client saw of it. Every client call first notes what
 * changed since the last one, then counts itself (`op`), then does the work.
 */
export class RecordingPeer implements StreamPeer {
  readonly id: string;
  /** Called once when the client closes the peer or hands it to TLS. */
  onClosed: () => void = () => {};
  readonly #inner: StreamPeer;
  readonly #recorder: Recorder;
  readonly #requests: HeadScanner;
  readonly #responses: HeadScanner;
  #ops = 0;
  /** The state last noted: 0 connecting, 1 open, 2 failed. */
  #noted: 0 | 1 | 2 = 0;
  /** Bytes noted as arrived and not read yet. */
  #unread = 0;
  #ended = false;
  #pending = 0;
  #finished = false;

  constructor(inner: StreamPeer, id: string, recorder: Recorder, redact: readonly string[]) {
    this.#inner = inner;
    this.id = id;
    this.#recorder = recorder;
    const methods: string[] = [];
    this.#requests = new HeadScanner("request", redact, methods);
    this.#responses = new HeadScanner("response", redact, methods);
  }

  /** Notes what changed on the inner peer since the last look. */
  observe(): void {
    if (this.#finished) return;
    const t = this.#recorder.tick();
    const op = this.#ops;
    const inner = this.#inner;
    const state = inner.getState();
    if (state === PeerState.OPEN && this.#noted === 0) {
      this.#noted = 1;
      this.#recorder.add({ ev: "state", id: this.id, t, op, state: "open" });
    }
    const available = inner.getAvailableBytes();
    if (available > this.#unread) {
      this.#recorder.add({ ev: "arrive", id: this.id, t, op, n: available - this.#unread });
    }
    this.#unread = available;
    if (!this.#ended && inner.isEnded()) {
      this.#ended = true;
      this.#recorder.add({ ev: "end", id: this.id, t, op });
    }
    if (state === PeerState.ERROR && this.#noted !== 2) {
      this.#noted = 2;
      this.#recorder.add({ ev: "state", id: this.id, t, op, state: "error", error: copyError(inner.getError()) });
    }
    this.#notePending(inner.getPendingWriteBytes(), t, op);
  }

  getState(): PeerState {
    this.#enter();
    return this.#inner.getState();
  }

  getError(): PeerError | null {
    this.#enter();
    return this.#inner.getError();
  }

  getAvailableBytes(): number {
    this.#enter();
    return this.#inner.getAvailableBytes();
  }

  read(maxBytes: number): Uint8Array {
    this.#enter();
    const chunk = this.#inner.read(maxBytes);
    if (chunk.length > 0) {
      this.#unread = Math.max(0, this.#unread - chunk.length);
      this.#recorder.add({ ev: "read", id: this.id, t: this.#recorder.tick(), data: this.#responses.scan(chunk.slice()) });
    }
    return chunk;
  }

  releaseReads(keepLastBytes: number): void {
    this.#enter();
    this.#inner.releaseReads?.(keepLastBytes);
  }

  write(data: Uint8Array): number {
    this.#enter();
    const accepted = this.#inner.write(data);
    const written = data.slice(0, Math.max(0, accepted));
    this.#recorder.add({ ev: "write", id: this.id, t: this.#recorder.tick(), data: this.#requests.scan(written) });
    return accepted;
  }

  getPendingWriteBytes(): number {
    this.#enter();
    const pending = this.#inner.getPendingWriteBytes();
    this.#notePending(pending, this.#recorder.tick(), this.#ops - 1);
    return pending;
  }

  isEnded(): boolean {
    this.#enter();
    return this.#inner.isEnded();
  }

  close(): void {
    this.#enter();
    if (!this.#finished && this.#inner.getState() !== PeerState.CLOSED) {
      // Bytes that arrived but were never read still shaped what the client did (a connection
      // with extra bytes is not reused): keep them, so the replay offers them too.
      for (let chunk = this.#inner.read(65536); chunk.length > 0; chunk = this.#inner.read(65536)) {
        this.#recorder.add({ ev: "read", id: this.id, t: this.#recorder.tick(), data: this.#responses.scan(chunk.slice()), unread: true });
      }
      this.#recorder.add({ ev: "close", id: this.id, t: this.#recorder.tick() });
    }
    this.#finish();
    this.#inner.close();
  }

  setIdle(idle: boolean): void {
    this.#enter();
    this.#inner.setIdle?.(idle);
  }

  setActivityListener(listener: (() => void) | null): void {
    this.#inner.setActivityListener(listener);
  }

  /**
   * Hands the inner peer to TLS: this peer stops recording.
   *
   * @returns The inner peer.
   */
  handOver(): StreamPeer {
    this.#enter();
    this.#finish();
    return this.#inner;
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.onClosed();
  }

  #notePending(pending: number, t: number, op: number): void {
    if (pending === this.#pending || this.#finished) return;
    this.#pending = pending;
    this.#recorder.add({ ev: "pending", id: this.id, t, op, n: pending });
  }

  #enter(): void {
    this.observe();
    this.#ops++;
  }
}

function copyError(error: PeerError | null): PeerError {
  return error === null
    ? { kind: "io", code: "EUNKNOWN", message: "EUNKNOWN: the peer failed without an error" }
    : { kind: error.kind, code: error.code, message: error.message };
}
