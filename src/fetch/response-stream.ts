/**
 * The `ReadableStream` behind a fetched `Response.body`, fed once per tick with the bytes the
 * request node decoded in that tick. It queues at most about `highWaterMark` bytes: when a tick's
 * bytes fill it, the owner holds the body in the connection (`HTTPRequest.setBodyPaused`), so the
 * peer's read buffer fills and its socket stops reading; when the application reads again (`pull`),
 * the owner resumes. Memory stays flat whatever the body size.
 *
 * What the process's RSS shows is more than what is held. A default reader owns every chunk it
 * reads, so each tick's bytes are an array of their own, and a dropped one is freed only when V8
 * collects it: when the young generation fills, or at the latest once the young arrays' memory
 * reaches 32 MiB (twice the largest semi-space, a constant of 64-bit V8 that
 * `--max-semi-space-size` does not change). A reader that drops every chunk of a 256 MiB body
 * therefore sees RSS grow by about 32 MiB of collectable chunks plus what is held (34-58 MiB
 * measured on Node 20; the runtime's own fetch 40-56 MiB). Chunks of 16 KiB to 1 MiB instead of
 * one per tick, a queue of 64 KiB to 4 MiB, `Buffer.allocUnsafeSlow` instead of `new Uint8Array`
 * and a smaller read bound on the connection all stay in that range, and a byte stream does no
 * better. Only 4 KiB chunks, whose read objects fill the young generation sooner, got below
 * 32 MiB (25-29 MiB), at three to five times the CPU per byte.
 *
 * @internal
 */
export class ResponseStream {
  /** The stream handed to `new Response()`. */
  readonly stream: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #open = true;
  readonly #onPull: () => void;
  readonly #onFull: () => void;

  /**
   * @param highWaterMark - Bytes queued before the body is held back.
   * @param onPull - The application wants more: resume reading the body.
   * @param onFull - The queue is full: hold the body back.
   * @param onCancel - The application cancelled the body: stop the request.
   */
  constructor(highWaterMark: number, onPull: () => void, onFull: () => void, onCancel: (reason: unknown) => void) {
    this.#onPull = onPull;
    this.#onFull = onFull;
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => {
          if (this.#open) this.#onPull();
        },
        cancel: (reason) => {
          if (!this.#open) return;
          this.#open = false;
          onCancel(reason);
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark }),
    );
  }

  /**
   * Queues a tick's bytes; holds the body back when the queue is full.
   *
   * @param chunk - Bytes the stream may keep.
   */
  push(chunk: Uint8Array): void {
    if (!this.#open) return;
    this.#controller.enqueue(chunk);
    const desired = this.#controller.desiredSize;
    if (desired !== null && desired <= 0) this.#onFull();
  }

  /** Ends the body. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#controller.close();
  }

  /**
   * Fails the body: the application's next read rejects with `error`.
   *
   * @param error - The error.
   */
  error(error: unknown): void {
    if (!this.#open) return;
    this.#open = false;
    this.#controller.error(error);
  }
}
