import { StreamingBodySource } from "../client/streaming-body-source.ts";

/**
 * A request body given as a `ReadableStream` (`duplex: "half"`), fed into a
 * {@link StreamingBodySource} the connection sends chunked. The stream is read only while the
 * source holds less than its high-water mark, so a large upload never sits whole in memory:
 * {@link StreamUpload.pump} is called again whenever the connection took bytes.
 *
 * @internal
 */
export class StreamUpload {
  /** The body the request sends. */
  readonly source: StreamingBodySource = new StreamingBodySource();
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #pumping = false;
  #done = false;

  /** @param stream - The application's body stream; it is locked from now on. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** Reads from the stream until the source is full or the stream ends. */
  pump(): void {
    if (this.#pumping || this.#done) return;
    this.#pumping = true;
    void this.#run();
  }

  /**
   * Stops reading and cancels the stream (the request ended or was aborted).
   *
   * @param reason - Passed to the stream's `cancel()`.
   */
  cancel(reason: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#reader.cancel(reason).catch(() => {});
    this.source.abort("the request ended before its body was sent");
  }

  async #run(): Promise<void> {
    try {
      while (!this.#done && this.source.getBufferedBytes() < this.source.highWaterMark) {
        const { done, value } = await this.#reader.read();
        if (this.#done) return;
        if (done) {
          this.#done = true;
          this.source.end();
          return;
        }
        if (!(value instanceof Uint8Array)) {
          this.#done = true;
          this.source.abort("the body stream gave a chunk that is not a Uint8Array");
          return;
        }
        this.source.write(value);
      }
    } catch (error) {
      this.#done = true;
      this.source.abort(`the body stream failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.#pumping = false;
    }
  }
}
