const EMPTY = new Uint8Array(0);

/**
 * The readable byte stream behind a fetched `Response.body` (as the runtime's own fetch gives: a
 * default reader and a BYOB reader both work), fed each tick with the pieces the request node
 * decoded in that tick. The pieces are views into the connection's receive memory, so they are
 * copied at once: into the buffer of a BYOB read that waits, else into one store reused for the
 * whole body. A default read takes what the store holds as a new array. The store keeps at most
 * about `highWaterMark` bytes: when a tick's bytes fill it, the owner holds the body in the
 * connection (`HTTPRequest.setBodyPaused`), so the peer's read buffer fills and its socket stops
 * reading; when the application reads it below that (`pull`), the owner resumes. Memory stays flat
 * whatever the body size.
 *
 * What the process's RSS shows is more than what is held. A default reader owns every chunk it
 * reads, so each is an array of its own, and a dropped one is freed only when V8
 * collects it: when the young generation fills, or at the latest once the young arrays' memory
 * reaches 32 MiB (twice the largest semi-space, a constant of 64-bit V8 that
 * `--max-semi-space-size` does not change). A reader that drops every chunk of a 256 MiB body
 * therefore sees RSS grow by about 32 MiB of collectable chunks plus what is held (34-58 MiB
 * measured on Node 20; the runtime's own fetch 40-56 MiB). Chunks of 16 KiB to 1 MiB instead of
 * one per tick, a queue of 64 KiB to 4 MiB, `Buffer.allocUnsafeSlow` instead of `new Uint8Array`
 * and a smaller read bound on the connection all stay in that range, and so does this byte stream
 * for a default reader. Only 4 KiB chunks, whose read objects fill the young generation sooner, got below
 * 32 MiB (25-29 MiB), at three to five times the CPU per byte. A BYOB reader that reuses its
 * buffer gets no new array at all, so its RSS grows by what is held (about 13 MiB): that is why
 * the body is a byte stream and why pieces reach it uncopied.
 *
 * @internal
 */
export class ResponseStream {
  /** The stream handed to `new Response()`. */
  readonly stream: ReadableStream<Uint8Array>;
  #controller!: ReadableByteStreamController;
  /** Bytes received and not read yet: `#store[#start, #end)`. */
  #store: Uint8Array = EMPTY;
  #start = 0;
  #end = 0;
  /** A read waits for bytes (the stream pulled and was not answered yet). */
  #wanted = false;
  /** A BYOB read came: the end of the body waits in the store for it rather than in a new array. */
  #byobSeen = false;
  /** True while {@link ResponseStream.#drain} runs (answering a read may pull again at once). */
  #draining = false;
  /** "closing": the body ended, the store still holds bytes; "done": nothing more happens. */
  #state: "open" | "closing" | "done" = "open";
  readonly #highWaterMark: number;
  readonly #onPull: () => void;
  readonly #onFull: () => void;

  /**
   * @param highWaterMark - Bytes stored before the body is held back.
   * @param onPull - The application read the store below `highWaterMark`: resume reading the body.
   * @param onFull - The store is full: hold the body back.
   * @param onCancel - The application cancelled the body: stop the request.
   */
  constructor(highWaterMark: number, onPull: () => void, onFull: () => void, onCancel: (reason: unknown) => void) {
    this.#highWaterMark = highWaterMark;
    this.#onPull = onPull;
    this.#onFull = onFull;
    this.stream = new ReadableStream(
      {
        type: "bytes",
        start: (controller) => {
          this.#controller = controller;
        },
        pull: (controller) => {
          this.#wanted = true;
          if (controller.byobRequest !== null) this.#byobSeen = true;
          this.#drain();
          if (this.#state === "open" && this.#end - this.#start < this.#highWaterMark) this.#onPull();
        },
        cancel: (reason) => {
          if (this.#state === "done") return;
          const open = this.#state === "open";
          this.#finish();
          if (open) onCancel(reason);
        },
      },
      // Pulled only when a read waits: the store, not the stream's queue, holds what arrived.
      { highWaterMark: 0 },
    );
  }

  /**
   * Takes a piece of the body; holds the body back when the store is full.
   *
   * @param piece - Bytes valid only during this call (a view into reused receive memory).
   */
  push(piece: Uint8Array): void {
    if (this.#state !== "open" || piece.length === 0) return;
    this.#keep(piece);
    this.#drain();
    if (this.#end - this.#start >= this.#highWaterMark) this.#onFull();
  }

  /** Ends the body: reads get what is stored, then the end. */
  close(): void {
    if (this.#state !== "open") return;
    this.#state = "closing";
    this.#drain();
    if (this.#state === "closing" && !this.#byobSeen) {
      // No BYOB read so far (a whole small body, read by `arrayBuffer()` or a default reader): the
      // rest goes to the stream's queue now, so the reads that follow need no pull.
      const store = this.#store;
      const rest = this.#start === 0 && this.#end === store.length ? store : store.slice(this.#start, this.#end);
      this.#finish();
      this.#controller.enqueue(rest);
      this.#controller.close();
    }
  }

  /**
   * Fails the body: the application's next read rejects with `error` (stored bytes are dropped).
   *
   * @param error - The error.
   */
  error(error: unknown): void {
    if (this.#state === "done") return;
    this.#finish();
    this.#controller.error(error);
  }

  /** Appends `piece` to the store, moving what is unread to the front or growing it when needed. */
  #keep(piece: Uint8Array): void {
    const unread = this.#end - this.#start;
    if (this.#end + piece.length > this.#store.length) {
      if (unread + piece.length > this.#store.length) {
        const grown = new Uint8Array(Math.max(unread + piece.length, 2 * this.#store.length));
        grown.set(this.#store.subarray(this.#start, this.#end));
        this.#store = grown;
      } else {
        this.#store.copyWithin(0, this.#start, this.#end);
      }
      this.#start = 0;
      this.#end = unread;
    }
    this.#store.set(piece, this.#end);
    this.#end += piece.length;
  }

  /** Answers waiting reads from the store; closes the stream once the ended body is all read. */
  #drain(): void {
    if (this.#draining || this.#state === "done") return;
    this.#draining = true;
    try {
      const controller = this.#controller;
      while (this.#wanted && this.#end > this.#start) {
        // Answering may pull again at once (another read waits): that sets #wanted again.
        this.#wanted = false;
        const request = controller.byobRequest;
        const view = request?.view;
        if (request != null && view != null) {
          const n = Math.min(view.byteLength, this.#end - this.#start);
          new Uint8Array(view.buffer, view.byteOffset, n).set(this.#store.subarray(this.#start, this.#start + n));
          this.#start += n;
          request.respond(n);
        } else {
          // A default read owns what it gets: a new array.
          const chunk = this.#store.slice(this.#start, this.#end);
          this.#start = this.#end;
          controller.enqueue(chunk);
        }
        if (this.#start === this.#end) this.#start = this.#end = 0;
      }
      if (this.#state === "closing" && this.#end === this.#start) {
        this.#finish();
        controller.close();
        // A BYOB read still waiting gets the end.
        controller.byobRequest?.respond(0);
      }
    } finally {
      this.#draining = false;
    }
  }

  #finish(): void {
    this.#state = "done";
    this.#store = EMPTY;
    this.#start = this.#end = 0;
  }
}
