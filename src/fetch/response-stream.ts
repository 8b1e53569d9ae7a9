/**
 * The `ReadableStream` behind a fetched `Response.body`, fed once per tick with the bytes the
 * request node decoded in that tick. It queues at most about `highWaterMark` bytes: when a tick's
 * bytes fill it, the owner holds the body in the connection (`HTTPRequest.setBodyPaused`), so the
 * peer's read buffer fills and its socket stops reading; when the application reads again (`pull`),
 * the owner resumes. Memory stays flat whatever the body size.
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
