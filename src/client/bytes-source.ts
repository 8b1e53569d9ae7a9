import type { BodySource } from "./body-source.ts";

const EMPTY = new Uint8Array(0);

/**
 * A {@link BodySource} over bytes already in memory, sent with `Content-Length`. `read()` hands out
 * views of the array without copying, so do not modify the array while the request is running.
 *
 * @example
 * ```ts
 * declare const client: HTTPClient;
 * declare const bytes: Uint8Array;
 * client.request(Method.METHOD_PUT, "/blob", ["Content-Type: application/octet-stream"], new BytesSource(bytes));
 * ```
 */
export class BytesSource implements BodySource {
  /** The number of bytes, always known. */
  readonly length: number;
  #bytes: Uint8Array;
  /** The body as given, kept for {@link BytesSource.replay}. */
  readonly #body: Uint8Array;
  #offset = 0;

  /**
   * @param bytes - The body; a string is encoded as UTF-8.
   */
  constructor(bytes: Uint8Array | string) {
    this.#bytes = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    this.#body = this.#bytes;
    this.length = this.#bytes.length;
  }

  /** {@inheritDoc BodySource.replay} */
  replay(): BytesSource {
    return new BytesSource(this.#body);
  }

  /** {@inheritDoc BodySource.read} */
  read(maxBytes: number): Uint8Array | null {
    const left = this.#bytes.length - this.#offset;
    if (left <= 0) return null;
    const take = Math.min(left, maxBytes >= 1 ? Math.floor(maxBytes) : 1);
    const out = this.#bytes.subarray(this.#offset, this.#offset + take);
    this.#offset += take;
    return out;
  }

  /** {@inheritDoc BodySource.getError} */
  getError(): string {
    return "";
  }

  /** Drops the reference to the bytes; later reads return `null`. */
  close(): void {
    this.#bytes = EMPTY;
    this.#offset = 0;
  }
}
