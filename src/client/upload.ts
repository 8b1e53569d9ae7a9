import type { BodySource } from "./body-source.ts";
import { BytesSource } from "./bytes-source.ts";
import type { StreamPeer } from "./peer/stream-peer.ts";
import { StreamingBodySource } from "./streaming-body-source.ts";

/** The most bytes asked of a source at once: one piece (and one chunk when chunked). */
export const UPLOAD_PIECE_BYTES: number = 256 * 1024;

const LAST_CHUNK = new Uint8Array([0x30, 0x0d, 0x0a, 0x0d, 0x0a]); // "0\r\n\r\n"

/** How an {@link Upload} frames the body. @internal */
export interface UploadFraming {
  /** True: each piece is a chunk and `0\r\n\r\n` ends the body; false: the bytes as they are. */
  readonly chunked: boolean;
  /** The body length the head announced or the source declared; -1 when unknown. */
  readonly length: number;
}

/**
 * Streams a {@link BodySource} into a peer as the peer accepts bytes. It asks the source for a
 * new piece only once the peer has taken the previous one, so at most one piece is held beyond
 * what the peer buffers. It never sends a wrong body: with a known length, the piece that
 * completes it is held back until the source confirms its end, and a source that yields more or
 * fewer bytes fails the upload before the body could look complete to the server; a chunked body
 * gets its last chunk only after the source ended cleanly.
 *
 * Sources other than {@link BytesSource} and {@link StreamingBodySource} may reuse the array a
 * `read()` returns, so their pieces are copied before a peer (which may keep a reference) gets them.
 *
 * @internal
 */
export class Upload {
  /** The declared length, or -1. */
  readonly length: number;
  /** True for a {@link BytesSource}: the body is in memory and goes out with the head. */
  readonly inMemory: boolean;
  private readonly source: BodySource;
  private readonly chunked: boolean;
  private readonly copy: boolean;
  /** Payload bytes the peer accepted. */
  private sent = 0;
  /** Payload bytes taken from the source. */
  private taken = 0;
  /** Bytes being written: the rest of `pending` from `offset`; its payload is `[payloadStart, payloadEnd)`. */
  private pending: Uint8Array | null = null;
  private offset = 0;
  private payloadStart = 0;
  private payloadEnd = 0;
  /** With a known length: the piece that completes the body, until the source confirms its end. */
  private held: Uint8Array | null = null;
  /** True once `pending` holds the last bytes of the body. */
  private last = false;
  private state: "sending" | "done" | "failed" | "closed" = "sending";
  private reason = "";

  /**
   * @param source - The body.
   * @param framing - Chunked or not, and the length to hold the source to.
   */
  constructor(source: BodySource, framing: UploadFraming) {
    this.source = source;
    this.chunked = framing.chunked;
    this.length = framing.length;
    this.inMemory = source instanceof BytesSource;
    this.copy = !(this.inMemory || source instanceof StreamingBodySource);
  }

  /**
   * Passes the client's activity listener to the source (for sources written from outside ticks).
   *
   * @param listener - The function, or null.
   */
  setActivityListener(listener: (() => void) | null): void {
    this.source.setActivityListener?.(listener);
  }

  /** Body bytes the peer has accepted (without chunk framing). */
  getBytesSent(): number {
    return this.sent;
  }

  /** True once the whole body, framing included, was accepted by the peer. */
  isDone(): boolean {
    return this.state === "done";
  }

  /** Why the upload failed, or `""`. */
  getFailure(): string {
    return this.state === "failed" ? this.reason : "";
  }

  /** Stops the upload and closes the source (unless it is done already, when it was closed then). Idempotent. */
  close(): void {
    if (this.state !== "sending") return;
    this.state = "closed";
    this.release();
  }

  /**
   * Writes as much of the body as the peer accepts now, asking the source for more as long as the
   * peer takes everything.
   *
   * @param peer - The connection.
   */
  pump(peer: StreamPeer): void {
    while (this.state === "sending") {
      if (this.pending !== null && !this.writePending(peer)) return;
      if (this.state !== "sending" || !this.nextPiece()) return;
    }
  }

  /** Writes `pending`; true when the peer took all of it. */
  private writePending(peer: StreamPeer): boolean {
    const pending = this.pending;
    if (pending === null) return true;
    const accepted = pending.length > this.offset ? peer.write(this.offset === 0 ? pending : pending.subarray(this.offset)) : 0;
    const from = this.offset;
    this.offset += accepted;
    this.sent += Math.max(0, Math.min(this.offset, this.payloadEnd) - Math.max(from, this.payloadStart));
    if (this.offset < pending.length) return false;
    this.pending = null;
    if (this.last) {
      this.state = "done";
      this.release();
    }
    return true;
  }

  /** Takes the next piece from the source into `pending`; false when there is none now. */
  private nextPiece(): boolean {
    for (;;) {
      let data: Uint8Array | null;
      try {
        data = this.source.read(UPLOAD_PIECE_BYTES);
      } catch (error) {
        return this.fail(`the request body source threw: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (data === null) return this.ended();
      if (!(data instanceof Uint8Array)) return this.fail("the request body source returned something that is not a Uint8Array");
      if (data.length === 0) return false;
      if (this.held !== null || (this.length >= 0 && this.taken + data.length > this.length)) {
        return this.fail(`the request body source yielded more than the ${this.length} bytes declared`);
      }
      this.taken += data.length;
      if (this.chunked) {
        this.setPending(frameChunk(data), false);
        return true;
      }
      const piece = this.copy ? copyOf(data) : data;
      if (this.taken !== this.length) {
        this.setPending(piece, false);
        return true;
      }
      this.held = piece; // completes the body: sent once the source confirms its end
    }
  }

  /** The source returned `null`: a failure, or the end of the body. */
  private ended(): boolean {
    const error = this.source.getError();
    if (error !== "") return this.fail(`the request body source failed: ${error}`);
    if (this.length >= 0 && this.taken !== this.length) {
      return this.fail(`the request body source ended after ${this.taken} bytes, ${this.length} declared`);
    }
    if (this.chunked) {
      this.setPending(LAST_CHUNK, true);
    } else if (this.held !== null) {
      this.setPending(this.held, true);
      this.held = null;
    } else {
      this.state = "done"; // an empty body
      this.release();
      return false;
    }
    return true;
  }

  private setPending(bytes: Uint8Array, last: boolean): void {
    this.pending = bytes;
    this.offset = 0;
    this.last = last;
    if (this.chunked) {
      // "<hex>\r\n" <payload> "\r\n", or the last chunk (no payload).
      this.payloadStart = last ? 0 : bytes.indexOf(0x0a) + 1;
      this.payloadEnd = last ? 0 : bytes.length - 2;
    } else {
      this.payloadStart = 0;
      this.payloadEnd = bytes.length;
    }
  }

  private fail(reason: string): false {
    this.state = "failed";
    this.reason = reason;
    this.release();
    return false;
  }

  private release(): void {
    this.pending = null;
    this.held = null;
    this.source.setActivityListener?.(null);
    try {
      this.source.close();
    } catch {
      // A source that fails to close has nothing more to give; the request's outcome stands.
    }
  }
}

/** A copy (not `slice()`: on a Buffer that is a view). */
function copyOf(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  out.set(data);
  return out;
}

/** One chunk: size line, a copy of the payload, CRLF. */
function frameChunk(data: Uint8Array): Uint8Array {
  const size = data.length.toString(16);
  const out = new Uint8Array(size.length + 2 + data.length + 2);
  for (let i = 0; i < size.length; i++) out[i] = size.charCodeAt(i);
  out[size.length] = 0x0d;
  out[size.length + 1] = 0x0a;
  out.set(data, size.length + 2);
  out[out.length - 2] = 0x0d;
  out[out.length - 1] = 0x0a;
  return out;
}
