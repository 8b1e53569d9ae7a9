import { constants as bufferConstants } from "node:buffer";
import { Result } from "../status/result.ts";
import type { ContentDecoder } from "./content-decoder.ts";
import type { DownloadSink } from "./download-sink.ts";
import type { IntegrityCheck } from "./integrity.ts";

/**
 * The most bytes reserved up front for an in-memory body whose length is announced: a server's
 * `Content-Length` is a claim, so a larger body starts here and grows (doubling, never past the
 * announced length) as its bytes actually arrive.
 */
export const MAX_PREALLOCATED_BYTES: number = 8 * 1024 * 1024;

/**
 * The most decoded bytes a body hands out per tick (`content-encoded` bodies): the rest of what
 * arrived waits, undecoded, for the next tick, as unread wire bytes do, so one tick never inflates
 * a compression bomb and no `bodyData` chunk of a decoded body is larger than this (plus one
 * 64 KiB output chunk).
 */
export const DECODED_BYTES_PER_TICK: number = 4 * 1024 * 1024;

/** The largest body kept in memory: the largest array this Node allocates. */
const MAX_IN_MEMORY = Math.min(bufferConstants.MAX_LENGTH, 2 ** 32);

const EMPTY = new Uint8Array(0);

/** Why collecting a body failed: the {@link Result} to report and a reason. */
export interface CollectFailure {
  /** The result to report. */
  readonly result: Result;
  /** A human-readable reason. */
  readonly reason: string;
}

/** Settings of a {@link BodyCollector}. */
export interface BodyCollectorOptions {
  /** Decodes the content coding, or null to keep the bytes as received. */
  readonly decoder: ContentDecoder | null;
  /** Writes the body to a file instead of memory, or null. */
  readonly sink: DownloadSink | null;
  /** The most decoded bytes allowed, or -1 for no limit. */
  readonly limit: number;
  /**
   * The body length when it is known before the first byte (a Content-Length body that is not
   * decoded), or -1. An in-memory body then starts with room for that many bytes (at most
   * {@link MAX_PREALLOCATED_BYTES}) and grows by doubling up to it; otherwise it grows by doubling.
   */
  readonly expectedLength?: number;
  /** The most decoded bytes handed out per tick; default {@link DECODED_BYTES_PER_TICK}. */
  readonly decodedBytesPerTick?: number;
  /** Checks the decoded body against Subresource Integrity metadata before it is accepted, or undefined. */
  readonly integrity?: IntegrityCheck | undefined;
  /** Receives each decoded piece as it is produced; when given, the body is not also kept in memory. */
  readonly onData?: ((piece: Uint8Array) => void) | undefined;
}

/**
 * Takes the body of a final response piece by piece within a tick: decodes it, counts decoded
 * bytes against the limit (so a compression bomb stops early), and writes it to a download file or
 * keeps it in memory.
 *
 * Pieces may be views into a connection's reused receive memory (see
 * `HTTPClient.readResponseBodyPiece`), so nothing keeps them past the call that takes them: the
 * download file is written at once, and an in-memory body is copied into one array of its own,
 * grown by doubling (never past the limit or the announced length).
 *
 * A decoded body hands out at most `decodedBytesPerTick` bytes between two {@link startTick}
 * calls: {@link canTakeMore} turns false, the undecoded rest waits in the decoder and
 * {@link resume} continues it in the next tick.
 *
 * @internal
 */
export class BodyCollector {
  private readonly decoder: ContentDecoder | null;
  private readonly sink: DownloadSink | null;
  private readonly limit: number;
  private readonly onData: ((piece: Uint8Array) => void) | undefined;
  private readonly integrity: IntegrityCheck | undefined;
  private readonly expectedLength: number;
  /** The in-memory body; its first `filled` bytes are set. */
  private body: Uint8Array = EMPTY;
  private filled = 0;
  private decoded = 0;
  private rawSeen = 0;
  private failure: CollectFailure | null = null;
  /** Receives the decoder's output; made only for a decoded body. */
  private readonly keep: (piece: Uint8Array) => boolean;
  private readonly perTick: number;
  /** Decoded bytes this tick may still hand out. */
  private tickLeft: number;

  /** @param options - Decoder, sink and limit. */
  constructor(options: BodyCollectorOptions) {
    this.decoder = options.decoder;
    this.sink = options.sink;
    this.limit = options.limit;
    this.onData = options.onData;
    this.integrity = options.integrity;
    this.expectedLength = options.expectedLength ?? -1;
    this.keep = this.decoder === null ? rejectPiece : (piece: Uint8Array): boolean => this.accept(piece);
    const perTick = options.decodedBytesPerTick ?? DECODED_BYTES_PER_TICK;
    this.perTick = perTick > 0 ? perTick : DECODED_BYTES_PER_TICK;
    this.tickLeft = this.perTick;
  }

  /** Starts a tick: the decoded-bytes budget is full again. */
  startTick(): void {
    this.tickLeft = this.perTick;
  }

  /** True when decoded work waits for a later tick (see {@link resume}). */
  hasPending(): boolean {
    return this.decoder !== null && this.decoder.pending;
  }

  /** True when this tick may take more received bytes: nothing waits and budget is left. */
  canTakeMore(): boolean {
    return this.failure === null && (this.decoder === null || (this.tickLeft > 0 && !this.decoder.pending));
  }

  /**
   * Continues decoding what waits from an earlier tick, within this tick's budget.
   *
   * @returns null, or the failure that ends the request.
   */
  resume(): CollectFailure | null {
    if (this.failure !== null || this.decoder === null || !this.decoder.pending) return this.failure;
    const resumed = this.decoder.resume(this.keep, this.tickLeft);
    if (this.failure === null && !resumed.ok) {
      this.failure = { result: Result.RESULT_BODY_DECOMPRESS_FAILED, reason: `cannot decode the body: ${resumed.reason}` };
    }
    return this.failure;
  }

  /** Decoded body bytes so far. */
  getDecodedBytes(): number {
    return this.decoded;
  }

  /**
   * Takes a piece of body as received (after de-chunking).
   *
   * @param raw - The bytes; the collector keeps no reference to them after this call.
   * @returns null, or the failure that ends the request.
   */
  push(raw: Uint8Array): CollectFailure | null {
    if (this.failure !== null) return this.failure;
    this.rawSeen += raw.length;
    if (this.decoder === null) {
      this.accept(raw);
      return this.failure;
    }
    const pushed = this.decoder.push(raw, this.keep, this.tickLeft);
    if (this.failure === null && !pushed.ok) {
      this.failure = { result: Result.RESULT_BODY_DECOMPRESS_FAILED, reason: `cannot decode the body: ${pushed.reason}` };
    }
    return this.failure;
  }

  /**
   * Ends the body: checks the compressed stream is complete and commits the download file.
   *
   * @returns The body kept in memory (empty when it went to a file or to `onData`), or the failure.
   */
  finish(): { readonly ok: true; readonly body: Uint8Array } | ({ readonly ok: false } & CollectFailure) {
    if (this.failure === null && this.decoder !== null && this.rawSeen > 0) {
      const finished = this.decoder.finish(this.keep);
      if (this.failure === null && !finished.ok) {
        this.failure = { result: Result.RESULT_BODY_DECOMPRESS_FAILED, reason: `cannot decode the body: ${finished.reason}` };
      }
    }
    if (this.failure === null && this.integrity !== undefined) {
      const verdict = this.integrity.verify();
      if (!verdict.ok) this.failure = { result: Result.RESULT_REQUEST_FAILED, reason: `integrity check failed: ${verdict.reason}` };
    }
    if (this.failure === null && this.sink !== null) {
      const committed = this.sink.commit();
      if (!committed.ok) this.failure = { result: Result.RESULT_DOWNLOAD_FILE_WRITE_ERROR, reason: committed.reason };
    }
    if (this.failure !== null) {
      this.abort();
      return { ok: false, ...this.failure };
    }
    const body = this.filled === this.body.length ? this.body : this.body.subarray(0, this.filled);
    return { ok: true, body };
  }

  /** Drops everything: the download's temporary file is removed and the target left as it was. */
  abort(): void {
    this.sink?.abort();
    this.body = EMPTY;
    this.filled = 0;
  }

  private accept(piece: Uint8Array): boolean {
    if (piece.length === 0) return true;
    this.decoded += piece.length;
    this.tickLeft -= piece.length;
    if (this.limit >= 0 && this.decoded > this.limit) {
      this.failure = {
        result: Result.RESULT_BODY_SIZE_LIMIT_EXCEEDED,
        reason: `the body exceeds bodySizeLimit (${this.limit} bytes${this.decoder === null ? "" : ", counted after decoding"})`,
      };
      return false;
    }
    this.integrity?.update(piece);
    if (this.sink !== null) {
      const written = this.sink.write(piece);
      if (!written.ok) {
        this.failure = { result: Result.RESULT_DOWNLOAD_FILE_WRITE_ERROR, reason: written.reason };
        return false;
      }
    } else if (this.onData !== undefined) {
      this.onData(piece);
    } else {
      const needed = this.filled + piece.length;
      if (needed > MAX_IN_MEMORY) {
        this.failure = {
          result: Result.RESULT_BODY_SIZE_LIMIT_EXCEEDED,
          reason: `the body exceeds ${MAX_IN_MEMORY} bytes, the most kept in memory (stream it with bodyData or downloadFile)`,
        };
        return false;
      }
      if (needed > this.body.length && !this.grow(needed)) return false;
      this.body.set(piece, this.filled);
      this.filled = needed;
    }
    return true;
  }

  /**
   * Gives the in-memory body room for `needed` bytes: double the room (at least `needed`), at most
   * the limit, the announced length and the in-memory maximum; the first room for an announced
   * length is that length up to {@link MAX_PREALLOCATED_BYTES}.
   *
   * @returns false, with the failure set, when the memory cannot be allocated.
   */
  private grow(needed: number): boolean {
    const expected = this.expectedLength;
    let capacity = this.body.length === 0 && expected >= needed ? Math.min(expected, MAX_PREALLOCATED_BYTES) : this.body.length * 2;
    if (expected >= needed) capacity = Math.min(capacity, expected);
    if (this.limit >= 0) capacity = Math.min(capacity, this.limit);
    capacity = Math.max(needed, Math.min(capacity, MAX_IN_MEMORY));
    if (this.resize(capacity) || (capacity > needed && this.resize(needed))) return true;
    this.failure = { result: Result.RESULT_REQUEST_FAILED, reason: `cannot allocate ${needed} bytes to keep the body in memory` };
    return false;
  }

  /** @returns false when an array of `capacity` bytes cannot be allocated. */
  private resize(capacity: number): boolean {
    let next: Uint8Array;
    try {
      next = new Uint8Array(capacity);
    } catch {
      return false;
    }
    if (this.filled > 0) next.set(this.body.subarray(0, this.filled));
    this.body = next;
    return true;
  }
}

/** The `keep` of a collector without a decoder, never called. */
function rejectPiece(): boolean {
  return false;
}
