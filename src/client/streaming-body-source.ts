import type { BodySource } from "./body-source.ts";

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
/** Written chunks shorter than this are merged into one read, so tiny writes do not become tiny chunks. */
const MERGE_BELOW_BYTES = 16 * 1024;

/** The default {@link StreamingBodySourceOptions.highWaterMark}: 1 MiB. */
export const DEFAULT_BODY_HIGH_WATER_MARK: number = 1024 * 1024;

/** Settings of a {@link StreamingBodySource}. */
export interface StreamingBodySourceOptions {
  /**
   * The total body length when the application knows it (sent as `Content-Length`; writing more,
   * or ending with fewer bytes, fails the request). Default -1: unknown, sent chunked.
   */
  readonly length?: number;
  /** Buffered bytes from which {@link StreamingBodySource.write} returns false. Default {@link DEFAULT_BODY_HIGH_WATER_MARK}. */
  readonly highWaterMark?: number;
}

/**
 * A request body the application writes piece by piece, like Electron's `ClientRequest`:
 * {@link StreamingBodySource.write} between polls, then {@link StreamingBodySource.end}. The
 * client sends what has been written as the connection accepts it; until something is written,
 * `read()` returns an empty array and the request simply waits.
 *
 * Back-pressure: `write()` returns false once the bytes written but not yet taken by the client
 * reach the high-water mark. The chunk is still kept; write more only when
 * {@link StreamingBodySource.getBufferedBytes} has gone down. `Uint8Array` chunks are kept by
 * reference (not copied): do not modify one after writing it.
 *
 * No method throws. A misuse (writing after `end()`, more bytes than a fixed length, ending short
 * of it) fails the source, and with it the request, with a reason from `getError()`.
 *
 * @example
 * ```ts
 * declare const client: HTTPClient;
 * declare function hasMore(): boolean;
 * declare function nextPiece(): Uint8Array;
 * const body = new StreamingBodySource();
 * client.request(Method.METHOD_POST, "/upload", [], body); // Transfer-Encoding: chunked
 * // each frame:
 * while (hasMore() && body.write(nextPiece())) {}
 * if (!hasMore()) body.end();
 * client.poll();
 * ```
 */
export class StreamingBodySource implements BodySource {
  /** The fixed body length, or -1 when unknown (chunked). */
  readonly length: number;
  /** Buffered bytes from which `write()` returns false. */
  readonly highWaterMark: number;
  #chunks: Uint8Array[] = [];
  #head = 0;
  /** Offset into the chunk at `#head` already handed out. */
  #offset = 0;
  #buffered = 0;
  #written = 0;
  #ended = false;
  #closed = false;
  #error = "";
  #listener: (() => void) | null = null;

  /**
   * @param options - The fixed length (default unknown) and the high-water mark.
   */
  constructor(options: StreamingBodySourceOptions = {}) {
    const length = options.length ?? -1;
    const hwm = options.highWaterMark ?? DEFAULT_BODY_HIGH_WATER_MARK;
    this.length = Number.isSafeInteger(length) && length >= -1 ? length : -1;
    this.highWaterMark = Number.isFinite(hwm) && hwm >= 1 ? Math.floor(hwm) : DEFAULT_BODY_HIGH_WATER_MARK;
    if (this.length !== length) this.#error = `invalid body length ${String(length)}`;
  }

  /**
   * Adds a chunk of the body.
   *
   * @param chunk - Bytes (kept by reference), or a string (encoded as UTF-8).
   * @returns True while fewer than `highWaterMark` bytes wait to be sent; false when the caller
   * should stop writing for now, and also when the chunk was refused (after `end()`, after the
   * source failed or was closed).
   */
  write(chunk: string | Uint8Array): boolean {
    if (this.#closed || this.#error !== "") return false;
    if (this.#ended) {
      this.#fail("write() after end()");
      return false;
    }
    const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    if (this.length >= 0 && this.#written + bytes.length > this.length) {
      this.#fail(`${this.#written + bytes.length} bytes written, more than the declared length ${this.length}`);
      return false;
    }
    if (bytes.length > 0) {
      this.#chunks.push(bytes);
      this.#buffered += bytes.length;
      this.#written += bytes.length;
      this.#listener?.();
    }
    return this.#buffered < this.highWaterMark;
  }

  /**
   * Writes an optional last chunk and marks the body complete. Ending with fewer bytes than a fixed
   * length fails the source. Calling it again does nothing.
   *
   * @param chunk - A last chunk, as for {@link StreamingBodySource.write}.
   */
  end(chunk?: string | Uint8Array): void {
    if (this.#ended || this.#closed || this.#error !== "") return;
    if (chunk !== undefined) this.write(chunk);
    if (this.#error !== "") return;
    this.#ended = true;
    if (this.length >= 0 && this.#written !== this.length) {
      this.#fail(`end() after ${this.#written} bytes, ${this.length} declared`);
    }
    this.#listener?.();
  }

  /**
   * Fails the body on purpose (the application cannot produce the rest): the request fails with
   * `reason`. Buffered bytes are dropped.
   *
   * @param reason - Why; default `"aborted by the application"`.
   */
  abort(reason = "aborted by the application"): void {
    if (this.#closed || this.#error !== "") return;
    this.#fail(reason === "" ? "aborted by the application" : reason);
  }

  /**
   * Registers the function the client calls to be told of new bytes, the end or a failure, so a
   * sleeping runner wakes when the application writes between ticks. Set by the client.
   *
   * @param listener - The function, or null.
   */
  setActivityListener(listener: (() => void) | null): void {
    this.#listener = listener;
  }

  /** The bytes written and not yet taken by the client. */
  getBufferedBytes(): number {
    return this.#buffered;
  }

  /** The bytes written so far in total. */
  getWrittenBytes(): number {
    return this.#written;
  }

  /** True once `end()` was called. */
  isEnded(): boolean {
    return this.#ended;
  }

  /**
   * Takes the next written bytes: views of the written chunks, except that chunks smaller than
   * 16 KiB waiting together are merged into one piece.
   *
   * @param maxBytes - The most bytes wanted (at least 1).
   * @returns Up to `maxBytes` bytes; an empty array while nothing is written and the body is not
   * ended; `null` once it is ended and taken, or failed (see `getError()`) or closed.
   */
  read(maxBytes: number): Uint8Array | null {
    if (this.#error !== "" || this.#closed) return null;
    const front = this.#chunks[this.#head];
    if (front === undefined) return this.#ended ? null : EMPTY;
    const max = maxBytes >= 1 ? Math.floor(maxBytes) : 1;
    const frontLeft = front.length - this.#offset;
    if (frontLeft >= max || frontLeft >= MERGE_BELOW_BYTES || this.#head === this.#chunks.length - 1) {
      return this.#take(front.subarray(this.#offset, this.#offset + Math.min(frontLeft, max)));
    }
    const out = new Uint8Array(Math.min(max, this.#buffered));
    let filled = 0;
    while (filled < out.length) {
      const chunk = this.#chunks[this.#head];
      if (chunk === undefined) break;
      const piece = chunk.subarray(this.#offset, this.#offset + Math.min(chunk.length - this.#offset, out.length - filled));
      out.set(piece, filled);
      filled += piece.length;
      this.#advance(piece.length);
    }
    return out;
  }

  /** {@inheritDoc BodySource.getError} */
  getError(): string {
    return this.#error;
  }

  /** Drops buffered bytes; later writes are refused and reads return `null`. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#clear();
  }

  #take(piece: Uint8Array): Uint8Array {
    this.#advance(piece.length);
    return piece;
  }

  /** Moves the read position `count` bytes on, within the chunk at `#head`. */
  #advance(count: number): void {
    this.#buffered -= count;
    this.#offset += count;
    const front = this.#chunks[this.#head];
    if (front !== undefined && this.#offset >= front.length) {
      this.#chunks[this.#head] = EMPTY;
      this.#head++;
      this.#offset = 0;
      if (this.#head === this.#chunks.length) {
        this.#chunks = [];
        this.#head = 0;
      } else if (this.#head >= 1024 && this.#head * 2 >= this.#chunks.length) {
        this.#chunks = this.#chunks.slice(this.#head);
        this.#head = 0;
      }
    }
  }

  #fail(reason: string): void {
    this.#error = reason;
    this.#clear();
    this.#listener?.();
  }

  #clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#offset = 0;
    this.#buffered = 0;
  }
}
