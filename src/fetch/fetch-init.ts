/**
 * The `init` argument of this library's `fetch()`: Fetch's `RequestInit`, every member, plus
 * `pollHttp` for what Fetch has no words for. What each member does here, where it differs from a
 * browser, is said on the member.
 *
 * @module
 */
import type { PollHttpInit } from "./poll-http-init.ts";

/** Request headers: a `Headers`, a record (an array value is sent joined with `", "`), or name/value pairs. */
export type FetchHeadersInit =
  | Headers
  | Readonly<Record<string, string | readonly string[]>>
  | Iterable<readonly [string, string]>
  | readonly (readonly string[])[];

/**
 * A request body. Besides Fetch's kinds, an iterable or async iterable of `Uint8Array` (as Node's
 * own `fetch` takes) is sent like a `ReadableStream`, and needs `duplex: "half"` too.
 */
export type FetchBodyInit =
  | string
  | ArrayBuffer
  | ArrayBufferView
  | Blob
  | FormData
  | URLSearchParams
  | ReadableStream<Uint8Array>
  | Iterable<Uint8Array>
  | AsyncIterable<Uint8Array>;

/** Fetch's `RequestInit`, as this library's `fetch()` takes it. */
export interface FetchRequestInit {
  /** Any token; `DELETE`, `GET`, `HEAD`, `OPTIONS`, `POST`, `PUT` are upper-cased whatever their case, others sent as given; `CONNECT`, `TRACE`, `TRACK` are refused (TypeError). Default `GET`. */
  readonly method?: string;
  /** The request headers. `Accept: *\/*`, `Accept-Encoding: gzip, deflate`, `User-Agent` and `Host` are added unless given. */
  readonly headers?: FetchHeadersInit;
  /** The body; not with `GET` or `HEAD` (TypeError). A `ReadableStream` (or an iterable) needs `duplex: "half"` and is sent chunked. */
  readonly body?: FetchBodyInit | null;
  /**
   * `"follow"` (default, at most 20 redirects or `pollHttp.maxRedirects`), `"error"` (a redirect
   * rejects with a TypeError whose cause is `RESULT_REDIRECT_LIMIT_REACHED`), `"manual"` (resolves
   * with the 3xx response itself, as Node's `fetch` does, not a browser's opaque one; its body is not
   * read: `response.body` is null).
   */
  readonly redirect?: "follow" | "error" | "manual";
  /**
   * Aborts the request: before it starts or while waiting for the head (the promise rejects with
   * `signal.reason`), or while the body streams (the body errors with it). An abort acts at once,
   * not at the next tick: it comes from outside the tree, like a call to `cancelRequest()`.
   */
  readonly signal?: AbortSignal | null;
  /** Subresource Integrity metadata. With it, the promise resolves only once the whole body arrived and matched (as in Fetch); a mismatch rejects. Metadata with no known algorithm checks nothing, as in Fetch. */
  readonly integrity?: string;
  /**
   * Accepted; it changes nothing: the request pool keeps every connection alive for its origin's
   * next request anyway, and a request never outlives the tree that carries it (Fetch's promise to
   * finish a request after the page is gone has no counterpart). With a `ReadableStream` body it is
   * refused (TypeError), as in Fetch.
   */
  readonly keepalive?: boolean;
  /**
   * `"high"`, `"low"` or `"auto"` (default): the request's place in the request pool's queue, as
   * the pool's priorities 750, 250 and 500 (a direct `pool.request()` of the same pool may use any
   * rank from 1 to 1000). A higher one starts first once a connection of its origin is free; equal
   * ones start in the order they were made. A request that starts at once is not affected.
   */
  readonly priority?: "high" | "low" | "auto";
  /**
   * How the HTTP cache is used (`RequestOptions.cache`): the pool's `httpCache` (for the fetch's
   * own pool, the one given to `createFetch({ httpCache })`), else the tree's `httpCache`. Without either, every request goes to
   * the network and nothing is stored, and `"only-if-cached"` rejects with a TypeError whose cause
   * is a `FetchFailure` with `RESULT_REQUEST_FAILED` (as it does with a cache that holds nothing for
   * the request); nothing is sent then.
   */
  readonly cache?: "default" | "no-store" | "reload" | "no-cache" | "force-cache" | "only-if-cached";
  /**
   * Which hops the cookie jar (the pool's `cookieJar`, for the fetch's own pool the one given to
   * `createFetch({ cookieJar })`, else the tree's) and the pool's `authLoginHandler` apply to: `"same-origin"` (the default, as in Fetch) hops to the
   * request URL's origin, `"include"` every hop, `"omit"` none. Without a jar no cookie is stored or
   * sent by the library (a `Cookie` header you give is sent), whichever value.
   */
  readonly credentials?: "omit" | "same-origin" | "include";
  /** Browser-only (CORS): accepted and ignored; `"navigate"` is refused as in Fetch. */
  readonly mode?: "cors" | "no-cors" | "same-origin" | "navigate";
  /** Browser-only: accepted and ignored; no `Referer` header is sent (give one in `headers` if needed). */
  readonly referrer?: string;
  /** Browser-only: accepted and ignored. */
  readonly referrerPolicy?: string;
  /** Browser-only: only `null` is accepted, as outside a window in Fetch. */
  readonly window?: null;
  /** `"half"`: required with a `ReadableStream` body, as in Fetch. */
  readonly duplex?: "half";
  /** Options beyond Fetch: timeouts, limits, download file, TLS, proxies, progress callbacks. */
  readonly pollHttp?: PollHttpInit;
}
