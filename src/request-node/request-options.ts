/**
 * What an {@link HTTPRequest} is given: the options of its constructor and the per-request options
 * of {@link HTTPRequest.request}.
 *
 * @module
 */
import type { Network } from "../client/network.ts";
import type { CacheMode } from "../session/http-cache.ts";
import type { CredentialsMode } from "./request-session.ts";
import type { HTTPRequest } from "./http-request.ts";
import type { RetryPolicy } from "./retry-policy.ts";

/** Options for a new {@link HTTPRequest}. */
export interface HTTPRequestOptions {
  /** How host names are resolved and connections opened (e.g. a `ScriptedNetwork` in tests). */
  readonly network?: Network;
  /** A name for the node. */
  readonly name?: string;
  /**
   * The clock {@link HTTPRequest.getTimings} reads, in milliseconds (e.g. `() => performance.now()`).
   * Without one, timings are in the node's own time: the sum of the deltas it was given, so a
   * request stepped in virtual time has exact, repeatable timings.
   */
  readonly clock?: () => number;
}

/** Per-request options of {@link HTTPRequest.request}, beyond Godot's arguments. */
export interface RequestOptions {
  /**
   * Cancels the request when aborted, as {@link HTTPRequest.cancelRequest} does (nothing is
   * emitted). A signal that is already aborted makes `request()` refuse with `ERR_INVALID_PARAMETER`.
   */
  readonly signal?: AbortSignal;
  /**
   * Where this request's body is written, for this request only: it takes the place of the node's
   * {@link HTTPRequest.downloadFile} (which is left as it is), with the same rules (a temporary
   * file renamed over the path on success; only a 2xx body with content). `""` keeps this body in
   * memory even when the node has a `downloadFile`. Redirects of the request write to the same path.
   *
   * @example
   * ```ts
   * declare const node: HTTPRequest;
   * node.request("https://example.com/level.pak", [], Method.METHOD_GET, "", { downloadFile: "level.pak" });
   * // …later, on the same node: this JSON stays in memory, level.pak is not touched
   * node.request("https://example.com/scores.json");
   * ```
   */
  readonly downloadFile?: string;
  /**
   * Subresource Integrity metadata (Fetch's `integrity`), e.g. `"sha256-…"`; several hashes may be
   * given, the strongest algorithm counts. A body that matches none ends the request with
   * `RESULT_REQUEST_FAILED` and a reason; with `downloadFile` no file is written. Metadata with no
   * usable hash makes `request()` refuse with `ERR_INVALID_PARAMETER`.
   */
  readonly integrity?: string;
  /**
   * The first byte wanted (OpenHarmony's `resumeFrom`): sends `Range: bytes=resumeFrom-[resumeTo]`.
   * The response is handled as any other: a 206 and its partial body come back with code 206 (or,
   * with `downloadFile`, the range's bytes become the file, as for any 2xx). Not a whole number from
   * 0, a `resumeTo` before it, a `Range` header among the custom headers, or `resume` as well make
   * `request()` refuse with `ERR_INVALID_PARAMETER`. No `Accept-Encoding` is added then.
   */
  readonly resumeFrom?: number;
  /** The last byte wanted, inclusive (OpenHarmony's `resumeTo`); `resumeFrom` defaults to 0 with it. */
  readonly resumeTo?: number;
  /**
   * Makes a `downloadFile` download resumable. The bytes go to `<downloadFile>.partial` (not the
   * target, which is only replaced, by a rename, on success). An interrupted or failed download
   * keeps that file; the next request with `resume` sends `Range: bytes=N-` for its N bytes and:
   * - 206 with `Content-Range: bytes N-(total-1)/total` → the body is appended, then the file is
   *   renamed over the target;
   * - 200 (the range was ignored) or another 2xx → the download restarts from byte 0;
   * - 416 with `Content-Range: bytes *\/N` → the partial file was already complete: it is renamed
   *   over the target and `RESULT_SUCCESS` is emitted with code 416 and an empty body;
   * - a 206 for another range → `RESULT_REQUEST_FAILED` with the reason; files untouched;
   * - any other status → delivered as usual (body in the signal), files untouched. Delete the
   *   partial file to start over.
   *
   * The target's own content is never resumed from. `getDownloadedBytes()` and
   * `downloadProgress` count this response's bytes; {@link HTTPRequest.getResumedFrom} tells the
   * bytes kept before them. No `Accept-Encoding` is added. Without `downloadFile`, with
   * `resumeFrom`/`resumeTo`, with `integrity` or a `Range` header, `request()` refuses with
   * `ERR_INVALID_PARAMETER`.
   */
  readonly resume?: boolean;
  /**
   * How the HTTP cache ({@link HTTPRequest.httpCache}, or the tree's) is used, as Fetch's
   * `RequestInit.cache`:
   * - `"default"` (the default): a fresh stored response is delivered without a request; a stale
   *   one with validators is validated (`If-None-Match` / `If-Modified-Since`; a 304 delivers the
   *   stored body); the answer is stored when RFC 9111 allows;
   * - `"no-store"`: the cache is neither read nor written;
   * - `"reload"`: always the network; the answer is stored;
   * - `"no-cache"`: a stored response is always validated first;
   * - `"force-cache"`: a stored response is delivered however stale; else the network;
   * - `"only-if-cached"`: a stored response is delivered however stale; with nothing stored the
   *   request ends at once with `RESULT_REQUEST_FAILED` (reason `only-if-cached: …`) and nothing
   *   is sent — also when no cache is attached.
   *
   * An unknown mode makes `request()` refuse with `ERR_INVALID_PARAMETER`. Without a cache the
   * other modes have no effect. A successful answer to an unsafe method (POST, PUT, DELETE, …) invalidates the stored
   * responses of its URL (and of a same-origin `Location` / `Content-Location`) in any mode.
   */
  readonly cache?: CacheMode;
  /**
   * Which hops the cookie jar and `authLoginHandler` apply to, as Fetch's `RequestInit.credentials`:
   * `"include"` (the default) every hop; `"same-origin"` only hops to the origin of the request's
   * URL (a redirect elsewhere neither sends nor stores cookies, nor answers a 401); `"omit"` none.
   * Header lines given by the caller are sent whatever the mode (redirects to another origin drop
   * `Authorization` and `Cookie` in any mode). An unknown mode makes `request()` refuse with
   * `ERR_INVALID_PARAMETER`.
   */
  readonly credentials?: CredentialsMode;
  /**
   * Whether this request takes the proxies the environment names, overriding
   * {@link HTTPRequest.useEnvironmentProxy} for it (redirects included).
   */
  readonly useEnvironmentProxy?: boolean;
  /** The retry policy of this request, overriding {@link HTTPRequest.retryPolicy} (`null`: one attempt). */
  readonly retry?: RetryPolicy | null;
}
