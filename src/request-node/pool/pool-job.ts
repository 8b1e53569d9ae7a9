/**
 * The pool's record of one request: what was asked, where it stands, and what it ended with. The
 * pool writes it; the request's handle ({@link PoolRequest}) reads it.
 *
 * @module
 */
import type { CacheOutcome } from "../request-session.ts";
import type { BodySource } from "../../client/body-source.ts";
import type { Err } from "../../status/err.ts";
import type { Method } from "../../status/method.ts";
import type { HTTPRequest } from "../http-request.ts";
import type { RequestOptions } from "../request-options.ts";
import type { TimingSnapshot } from "../timings.ts";
import type { PoolRequestOptions } from "./pool-options.ts";
import type { PoolRequest } from "./pool-request.ts";

/**
 * Where a pooled request stands: `queued` (waiting for a connection), `running` (on a connection),
 * `done` (`requestCompleted` was emitted), `cancelled` (by `cancel()`, its `AbortSignal` or the pool
 * leaving the tree; nothing is emitted), `refused` (`request()` did not queue it; see its `err`).
 */
export type PoolRequestState = "queued" | "running" | "done" | "cancelled" | "refused";

/** What the handle's owner sees of a finished request: the worker's figures when it ended. */
export interface PoolJobOutcome {
  readonly timings: TimingSnapshot;
  readonly downloaded: number;
  readonly bodySize: number;
  readonly resumedFrom: number;
  readonly cacheOutcome: CacheOutcome;
}

const NO_REQUEST_OPTIONS: RequestOptions = Object.freeze({});

/**
 * The options passed on to the node: range, resume, integrity, cache, credentials, retry policy and
 * environment proxies (the `AbortSignal` stays with the pool).
 */
function requestOptionsOf(options: PoolRequestOptions): RequestOptions {
  const { integrity, resumeFrom, resumeTo, resume, cache, credentials, retry, useEnvironmentProxy } = options;
  if (
    integrity === undefined &&
    resumeFrom === undefined &&
    resumeTo === undefined &&
    resume === undefined &&
    cache === undefined &&
    credentials === undefined &&
    retry === undefined &&
    useEnvironmentProxy === undefined
  ) {
    return NO_REQUEST_OPTIONS;
  }
  const out: { -readonly [K in keyof RequestOptions]: RequestOptions[K] } = {};
  if (integrity !== undefined) out.integrity = integrity;
  if (resumeFrom !== undefined) out.resumeFrom = resumeFrom;
  if (resumeTo !== undefined) out.resumeTo = resumeTo;
  if (resume !== undefined) out.resume = resume;
  if (cache !== undefined) out.cache = cache;
  if (credentials !== undefined) out.credentials = credentials;
  if (retry !== undefined) out.retry = retry;
  if (useEnvironmentProxy !== undefined) out.useEnvironmentProxy = useEnvironmentProxy;
  return out;
}

/** @internal */
export class PoolJob {
  /** Serial within the pool: the order of `request()` calls. */
  readonly seq: number;
  /** The origin (as WHATWG `URL.origin`) whose connections it uses and is counted against. */
  readonly origin: string;
  readonly url: string;
  readonly headers: readonly string[];
  readonly method: Method | string;
  readonly body: string | Uint8Array | BodySource;
  /** Range, resume and integrity options passed to the worker (the `AbortSignal` stays with the pool). */
  readonly requestOptions: RequestOptions;
  readonly options: PoolRequestOptions;
  /** The rank on the 1–1000 scale; changes only while queued. */
  rank: number;
  state: PoolRequestState = "queued";
  /** `OK`, or why it was refused. */
  err: Err;
  reason = "";
  /** The node running it while `running`. */
  worker: HTTPRequest | null = null;
  /** The node it ran on, while that node's figures are still this request's (until it starts another). */
  ranOn: HTTPRequest | null = null;
  /** Its figures, kept when the node it ran on started another request. */
  outcome: PoolJobOutcome | null = null;
  /** The handle given to the caller (set right after construction). */
  handle: PoolRequest | null = null;
  /** Removes the listener on `options.signal`, if any. */
  releaseSignal: () => void = () => {};

  constructor(
    seq: number,
    origin: string,
    url: string,
    headers: readonly string[],
    method: Method | string,
    body: string | Uint8Array | BodySource,
    options: PoolRequestOptions,
    rank: number,
    err: Err,
  ) {
    this.seq = seq;
    this.origin = origin;
    this.url = url;
    this.headers = headers;
    this.method = method;
    this.body = body;
    this.options = options;
    this.rank = rank;
    this.err = err;
    this.requestOptions = requestOptionsOf(options);
  }
}
