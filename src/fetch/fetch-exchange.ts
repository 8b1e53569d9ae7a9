import { STATUS_CODES } from "node:http";
import type { BodySource } from "../client/body-source.ts";
import { Err } from "../status/err.ts";
import { Result } from "../status/result.ts";
import type { PoolRequestOptions } from "../request-node/pool/pool-options.ts";
import type { PoolRequest } from "../request-node/pool/pool-request.ts";
import type { HTTPRequestPool } from "../request-node/pool/request-pool.ts";
import type { RequestCompletedArgs } from "../request-node/tick-emissions.ts";
import { FetchFailure, networkError } from "./fetch-failure.ts";
import type { PollHttpInit } from "./poll-http-init.ts";
import { ResponseStream } from "./response-stream.ts";
import type { StreamUpload } from "./stream-upload.ts";

/**
 * Tells whoever runs the tree when a fetch starts and stops needing ticks (the default `fetch()`'s
 * own runner stops when no fetch needs one).
 *
 * @internal
 */
export interface FetchActivity {
  /** One more fetch needs ticks. */
  busy(): void;
  /** One fewer. */
  idle(): void;
}

/** What one fetch sends and how it is answered. */
export interface ExchangeSetup {
  /** The pool that queues and runs it. */
  readonly pool: HTTPRequestPool;
  /** The pool's options for it (priority, settings; `redirectMode: "manual"`). */
  readonly options: PoolRequestOptions;
  /** The URL (`href`). */
  readonly url: string;
  /** The method as sent. */
  readonly method: string;
  /** Header lines. */
  readonly headers: readonly string[];
  /** The body. */
  readonly body: Uint8Array | BodySource;
  /** The pump of a stream body. */
  readonly upload: StreamUpload | null;
  /** Fetch's redirect mode. */
  readonly redirect: "follow" | "error" | "manual";
  /** Usable integrity metadata, or "" (also in {@link ExchangeSetup.options}). */
  readonly integrity: string;
  /** The abort signal. */
  readonly signal: AbortSignal | null;
  /** The options beyond Fetch. */
  readonly pollHttp: PollHttpInit | undefined;
  /** `response.body`'s high-water mark. */
  readonly highWaterMark: number;
  /** Told when the fetch needs ticks. */
  readonly activity: FetchActivity;
}

/** Property descriptors of every response (`redirected`, `type`). */
const REDIRECTED: PropertyDescriptor = Object.freeze({ value: true, enumerable: true });
const NOT_REDIRECTED: PropertyDescriptor = Object.freeze({ value: false, enumerable: true });
const BASIC: PropertyDescriptor = Object.freeze({ value: "basic", enumerable: true });

/** Statuses whose response has no body. */
const NULL_BODY = new Set([204, 205, 304]);

/**
 * One fetch in flight as a request of an `HTTPRequestPool`: it queues the request, follows the
 * handle's signals, resolves with a `Response` when the final head arrives (at the end of that
 * tick), feeds the body tick by tick, and follows redirects itself (to know the final URL).
 *
 * @internal
 */
export class FetchExchange {
  /** Settles with the response, or a TypeError. */
  readonly promise: Promise<Response>;
  readonly #setup: ExchangeSetup;
  #resolve!: (response: Response) => void;
  #reject!: (error: unknown) => void;
  #settled = false;
  #ended = false;
  /** True while this fetch counts as busy for {@link FetchActivity}. */
  #busy = false;
  #url: string;
  #redirected = false;
  #stream: ResponseStream | null = null;
  /** The body stream made while the request was out (see {@link FetchExchange.#prepare}), taken by a head with a body. */
  #prepared: ResponseStream | null = null;
  /** The pool's handle, once queued. */
  #request: PoolRequest | null = null;
  /** Body pieces kept until the end when integrity must be checked first. */
  readonly #kept: Uint8Array[] | null;

  /** @param setup - What to send and how. */
  constructor(setup: ExchangeSetup) {
    this.#setup = setup;
    this.#url = setup.url;
    this.#kept = setup.integrity === "" ? null : [];
    this.promise = new Promise<Response>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Queues the request in the pool and connects to its handle's signals; a refusal rejects at once. */
  start(): void {
    const { pool, signal, pollHttp, upload, url, headers, method, body, options } = this.#setup;
    upload?.pump();
    const request = pool.request(url, headers, method, body, options);
    if (request.err !== Err.OK) {
      upload?.cancel(undefined);
      this.#ended = true;
      const reason = request.getErrorReason();
      this.#fail(
        request.err === Err.ERR_BUSY
          ? new TypeError("fetch failed", { cause: new FetchFailure(Result.RESULT_REQUEST_FAILED, reason, 0, Err.ERR_BUSY) })
          : new TypeError(`fetch refused the request: ${reason}`),
      );
      return;
    }
    this.#request = request;
    // Body pieces come as views into receive memory: the response stream copies them straight
    // into the reader's buffer or its own store, with no array per tick in between.
    request._bodyDataViews = true;
    request.redirectReceived.connect(this.#onRedirect);
    request.headersReceived.connect(this.#onHeaders);
    request.bodyData.connect(this.#onData);
    request.requestCompleted.connect(this.#onCompleted);
    if (this.#watchesUpload()) request.uploadProgress.connect(this.#onUpload);
    if (pollHttp?.onDownloadProgress !== undefined) request.downloadProgress.connect(pollHttp.onDownloadProgress);
    signal?.addEventListener("abort", this.#onAbort, { once: true });
    this.#setBusy(true);
    // The response's body stream (the runtime's ReadableStream: costly to make on Node 20) is made
    // at the end of this job, while the request is out and the server answers, instead of when the
    // head arrives. With the default fetch's own runner this comes after the frame that sends the
    // request (the runner's first frame was queued first, by the line above).
    if (this.#kept === null && method !== "HEAD") process.nextTick(FetchExchange.#prepare, this);
  }

  /**
   * Makes the body stream ahead of the head, for a request that is running (one still queued gets
   * its stream when its head arrives: a burst of queued fetches holds no streams), unless the fetch
   * settled or ended meanwhile.
   */
  static #prepare(exchange: FetchExchange): void {
    if (exchange.#settled || exchange.#ended || exchange.#prepared !== null) return;
    if (exchange.#request?.getState() !== "running") return;
    exchange.#prepared = exchange.#newStream();
  }

  #newStream(): ResponseStream {
    return new ResponseStream(this.#setup.highWaterMark, this.#onPull, this.#onFull, this.#onCancel);
  }

  readonly #onRedirect = (code: number, _method: string, url: string, headers: string[]): void => {
    const mode = this.#setup.redirect;
    if (mode === "follow") {
      this.#url = hrefOf(url);
      this.#redirected = true;
      this.#request?.followRedirect();
      return;
    }
    this.#request?.cancel();
    this.#end();
    if (mode === "error") {
      this.#fail(networkError(Result.RESULT_REDIRECT_LIMIT_REACHED, `redirect ${code} to ${url} refused: redirect is "error"`, code));
    } else {
      this.#respond(code, headers, null);
    }
  };

  readonly #onHeaders = (code: number, headers: string[]): void => {
    if (this.#kept !== null) return; // resolved once the body matched its integrity metadata
    if (NULL_BODY.has(code) || this.#setup.method === "HEAD") {
      this.#respond(code, headers, null);
      return;
    }
    const stream = this.#prepared ?? this.#newStream();
    this.#prepared = null;
    this.#stream = stream;
    this.#respond(code, headers, stream.stream);
  };

  /** A piece of the body, valid only during the call (see `PoolRequest._bodyDataViews`). */
  readonly #onData = (piece: Uint8Array): void => {
    // Uint8Array's slice copies (a Buffer's slice would be a view).
    if (this.#kept !== null) this.#kept.push(Uint8Array.prototype.slice.call(piece));
    else this.#stream?.push(piece);
  };

  readonly #onCompleted = (...[result, code, headers, body]: RequestCompletedArgs): void => {
    const reason = this.#request?.getErrorReason() ?? "";
    this.#end();
    if (result !== Result.RESULT_SUCCESS) {
      this.#fail(networkError(result, reason, code));
      return;
    }
    if (!this.#settled) {
      const kept = this.#kept;
      const bytes = kept === null ? body : kept.length === 1 ? (kept[0] as Uint8Array) : Buffer.concat(kept);
      this.#respond(code, headers, NULL_BODY.has(code) || this.#setup.method === "HEAD" ? null : bytes);
      return;
    }
    this.#stream?.close();
  };

  readonly #onUpload = (sent: number, total: number): void => {
    this.#setup.upload?.pump();
    this.#setup.pollHttp?.onUploadProgress?.(sent, total);
  };

  readonly #onAbort = (): void => {
    if (this.#ended) return;
    const reason: unknown = this.#setup.signal?.reason;
    this.#request?.cancel();
    this.#end(reason);
    this.#fail(reason);
  };

  readonly #onFull = (): void => {
    this.#request?.setBodyPaused(true);
    this.#setBusy(false);
  };

  readonly #onPull = (): void => {
    if (this.#ended || this.#request?.isBodyPaused() !== true) return;
    this.#request.setBodyPaused(false);
    this.#setBusy(true);
  };

  readonly #onCancel = (reason: unknown): void => {
    if (this.#ended) return;
    this.#request?.cancel();
    this.#end(reason);
  };

  /** Resolves with a response (once). */
  #respond(code: number, lines: readonly string[], body: ReadableStream<Uint8Array> | Uint8Array | null): void {
    if (this.#settled) return;
    if (code < 200 || code > 599) {
      this.#stream = null;
      this.#fail(
        new TypeError("fetch failed", {
          cause: new FetchFailure(Result.RESULT_SUCCESS, `the status ${code} is outside 200-599, which a Response cannot carry`, code),
        }),
      );
      if (!this.#ended) {
        this.#request?.cancel();
        this.#end();
      }
      return;
    }
    const response = new Response(body, { status: code, statusText: STATUS_CODES[code] ?? "" });
    // Appended to the response's own headers: a Headers given to the constructor would be copied.
    const headers = response.headers;
    for (const line of lines) {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      try {
        headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
      } catch {
        // a value the runtime's Headers refuses; the engine accepted it, the Response cannot carry it
      }
    }
    Object.defineProperty(response, "url", { value: this.#url, enumerable: true });
    Object.defineProperty(response, "redirected", this.#redirected ? REDIRECTED : NOT_REDIRECTED);
    Object.defineProperty(response, "type", BASIC);
    this.#settled = true;
    this.#resolve(response);
  }

  /** Rejects the promise, or errors the body once the response was given. */
  #fail(error: unknown): void {
    if (!this.#settled) {
      this.#settled = true;
      this.#reject(error);
      return;
    }
    this.#stream?.error(error);
  }

  /** Whether the handle's `uploadProgress` is followed (reading the signal makes it). */
  #watchesUpload(): boolean {
    return this.#setup.upload !== null || this.#setup.pollHttp?.onUploadProgress !== undefined;
  }

  #setBusy(busy: boolean): void {
    if (this.#busy === busy) return;
    this.#busy = busy;
    if (busy) this.#setup.activity.busy();
    else this.#setup.activity.idle();
  }

  /** Disconnects from the request's handle (once); the pool's connection goes on with its next request. */
  #end(cancelReason?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    const { signal, pollHttp, upload } = this.#setup;
    const request = this.#request;
    if (request !== null) {
      request.redirectReceived.disconnect(this.#onRedirect);
      request.headersReceived.disconnect(this.#onHeaders);
      request.bodyData.disconnect(this.#onData);
      request.requestCompleted.disconnect(this.#onCompleted);
      if (this.#watchesUpload()) request.uploadProgress.disconnect(this.#onUpload);
      if (pollHttp?.onDownloadProgress !== undefined) request.downloadProgress.disconnect(pollHttp.onDownloadProgress);
    }
    signal?.removeEventListener("abort", this.#onAbort);
    upload?.cancel(cancelReason);
    this.#setBusy(false);
  }
}

/** A redirect target as a WHATWG `href` (the engine's own formatting may differ in details). */
function hrefOf(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}
