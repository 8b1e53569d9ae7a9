import { concatBytes } from "../client/bytes.ts";
import { Result } from "../status/result.ts";
import type { ContentDecoder } from "./content-decoder.ts";
import type { DownloadSink } from "./download-sink.ts";
import type { IntegrityCheck } from "./integrity.ts";

/** The largest body collected into one array allocated up front. */
const MAX_PREALLOCATED = 1024 * 1024 * 1024;

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
   * decoded), or -1. An in-memory body is then collected into one array of that size, so it never
   * takes twice its size (pieces plus their concatenation).
   */
  readonly expectedLength?: number;
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
 * @internal
 */
export class BodyCollector {
  private readonly decoder: ContentDecoder | null;
  private readonly sink: DownloadSink | null;
  private readonly limit: number;
  private readonly onData: ((piece: Uint8Array) => void) | undefined;
  private readonly integrity: IntegrityCheck | undefined;
  private readonly pieces: Uint8Array[] = [];
  private readonly expectedLength: number;
  private whole: Uint8Array | null = null;
  private decoded = 0;
  private rawSeen = 0;
  private failure: CollectFailure | null = null;
  private readonly keep = (piece: Uint8Array): boolean => this.accept(piece);

  /** @param options - Decoder, sink and limit. */
  constructor(options: BodyCollectorOptions) {
    this.decoder = options.decoder;
    this.sink = options.sink;
    this.limit = options.limit;
    this.onData = options.onData;
    this.integrity = options.integrity;
    this.expectedLength = options.expectedLength ?? -1;
  }

  /** Decoded body bytes so far. */
  getDecodedBytes(): number {
    return this.decoded;
  }

  /**
   * Takes a piece of body as received (after de-chunking).
   *
   * @param raw - The bytes; the collector copies what it keeps only when it must.
   * @returns null, or the failure that ends the request.
   */
  push(raw: Uint8Array): CollectFailure | null {
    if (this.failure !== null) return this.failure;
    this.rawSeen += raw.length;
    if (this.decoder === null) {
      this.accept(raw);
      return this.failure;
    }
    const pushed = this.decoder.push(raw, this.keep);
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
    return { ok: true, body: this.concat() };
  }

  /** Drops everything: the download's temporary file is removed and the target left as it was. */
  abort(): void {
    this.sink?.abort();
    this.pieces.length = 0;
    this.whole = null;
  }

  private accept(piece: Uint8Array): boolean {
    if (piece.length === 0) return true;
    this.decoded += piece.length;
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
    } else if (this.expectedLength > 0 && this.decoded <= this.expectedLength && this.allocateWhole()) {
      this.whole?.set(piece, this.decoded - piece.length);
    } else {
      if (this.whole !== null) {
        // More than announced (cannot happen for a parsed Content-Length body): keep what was collected.
        this.pieces.push(this.whole.subarray(0, this.decoded - piece.length));
        this.whole = null;
      }
      this.pieces.push(piece);
    }
    return true;
  }

  /** @returns true when the body has (or now got) its single array of the announced size. */
  private allocateWhole(): boolean {
    if (this.whole !== null) return true;
    if (this.pieces.length > 0 || this.expectedLength > MAX_PREALLOCATED) return false;
    try {
      this.whole = new Uint8Array(this.expectedLength);
      return true;
    } catch {
      return false; // not enough memory for one array: collect pieces instead
    }
  }

  private concat(): Uint8Array {
    if (this.whole !== null) return this.whole.subarray(0, this.decoded);
    return concatBytes(this.pieces.splice(0));
  }
}
