import type { ProxyCredentials } from "../client/proxy-settings.ts";
import type { TLSOptions } from "../client/tls-options.ts";
import type { PoolRequestOptions } from "../request-node/pool/pool-options.ts";
import type { RequestPriority } from "../request-node/pool/priority.ts";
import type { RetryPolicy } from "../request-node/retry-policy.ts";

/** A proxy for {@link PollHttpInit.httpProxy} / {@link PollHttpInit.httpsProxy}. */
export interface FetchProxy {
  /** The proxy host. */
  readonly host: string;
  /** The proxy port. */
  readonly port: number;
  /** Basic credentials for the proxy. */
  readonly credentials?: ProxyCredentials;
}

/**
 * Per-request options beyond Fetch, given as `init.pollHttp` to a `fetch()` of this library.
 * They become the request's options in the `HTTPRequestPool` that runs it (see
 * `PoolRequestOptions` and `HTTPRequest`'s settings for details). An option not given takes the
 * pool's setting: the defaults below are those of a fetch's own pool; a pool given to
 * `createFetch({ pool })` applies its own (its timeout, TLS options, proxies, …).
 *
 * @example
 * ```ts
 * declare const url: string;
 * declare const bar: { set(done: number, total: number): void };
 * const res = await fetch(url, { pollHttp: { timeout: 5, bodySizeLimit: 1 << 20, onDownloadProgress: (n, total) => bar.set(n, total) } });
 * ```
 */
export interface PollHttpInit {
  /** Seconds of tick time (the deltas the node is given) before the request fails with `RESULT_TIMEOUT`; 0 (default) never. */
  readonly timeout?: number;
  /** Most decoded body bytes accepted; more fails with `RESULT_BODY_SIZE_LIMIT_EXCEEDED`. Default: no limit. */
  readonly bodySizeLimit?: number;
  /**
   * Writes a 2xx body to this file (through a temporary file renamed over it on success) instead of
   * `response.body`, which is then empty and ends once the file is complete: `await response.arrayBuffer()`
   * waits for the download, and rejects if it fails.
   */
  readonly downloadFile?: string;
  /** Bytes per read from the connection (256 … 16 MiB). Default 65536. */
  readonly downloadChunkSize?: number;
  /** Ask for and decode `gzip`/`deflate` bodies. Default true. */
  readonly acceptGzip?: boolean;
  /** Most redirects followed with `redirect: "follow"`. Default 20 (Fetch's limit), whatever the pool's. */
  readonly maxRedirects?: number;
  /** TLS options for `https://` (trusted CAs, client certificate, `unsafe`). Default: verified against the system's CAs. */
  readonly tlsOptions?: TLSOptions;
  /** A proxy for `http://` URLs. */
  readonly httpProxy?: FetchProxy;
  /** A proxy for `https://` URLs (a `CONNECT` tunnel). */
  readonly httpsProxy?: FetchProxy;
  /**
   * Bytes `response.body` keeps unread before the body is left in the connection until the
   * application reads (back-pressure). Default 1 MiB.
   */
  readonly bodyHighWaterMark?: number;
  /**
   * Retries, as `HTTPRequest.retryPolicy`: attempts that fail before the response is handed to
   * the application (connection errors, phase timeouts, retried statuses) are made again after the
   * policy's wait in tick time. Default none.
   */
  readonly retry?: RetryPolicy;
  /** Seconds a connection may take to be ready, as `HTTPRequest.connectTimeout`. Default no limit. */
  readonly connectTimeout?: number;
  /** Seconds from the request sent to the complete response head, as `HTTPRequest.headTimeout`. Default no limit. */
  readonly headTimeout?: number;
  /** Seconds without a body byte, as `HTTPRequest.idleTimeout`. Default no limit. */
  readonly idleTimeout?: number;
  /** Takes proxies from `http_proxy`, `https_proxy`, `no_proxy`…, as `HTTPRequest.useEnvironmentProxy`. Default false. */
  readonly useEnvironmentProxy?: boolean;
  /** Called at the end of each tick in which request body bytes went out: sent so far, total (-1 when unknown). */
  readonly onUploadProgress?: (sent: number, total: number) => void;
  /** Called at the end of each tick in which response body bytes arrived: received so far (on the wire), total (-1 when unknown). */
  readonly onDownloadProgress?: (received: number, total: number) => void;
}

/** The default `response.body` high-water mark. */
export const RESPONSE_HIGH_WATER_MARK: number = 1024 * 1024;
/** Fetch's redirect limit. */
const FETCH_MAX_REDIRECTS = 20;

/** A {@link PoolRequestOptions} being filled in. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The pool options of one fetch: the facade follows redirects itself (to know the final URL), so
 * `redirectMode` is `"manual"`; what `init` does not give is left to the pool.
 *
 * @param init - The options beyond Fetch, or undefined.
 * @param integrity - Usable integrity metadata, or "".
 * @param priority - Fetch's `priority`, or undefined for `"auto"`.
 * @returns The options; the pool refuses one out of range.
 * @internal
 */
export function poolOptionsOf(
  init: PollHttpInit | undefined,
  integrity: string,
  priority: RequestPriority | undefined,
): Mutable<PoolRequestOptions> {
  const options: Mutable<PoolRequestOptions> = { redirectMode: "manual", maxRedirects: init?.maxRedirects ?? FETCH_MAX_REDIRECTS };
  if (priority !== undefined) options.priority = priority;
  if (integrity !== "") options.integrity = integrity;
  if (init === undefined) return options;
  // Each member only when given, so the pool's own setting applies otherwise.
  if (init.timeout !== undefined) options.timeout = init.timeout;
  if (init.bodySizeLimit !== undefined) options.bodySizeLimit = init.bodySizeLimit;
  if (init.downloadFile !== undefined) options.downloadFile = init.downloadFile;
  if (init.downloadChunkSize !== undefined) options.downloadChunkSize = init.downloadChunkSize;
  if (init.acceptGzip !== undefined) options.acceptGzip = init.acceptGzip;
  if (init.tlsOptions !== undefined) options.tlsOptions = init.tlsOptions;
  if (init.httpProxy !== undefined) options.httpProxy = init.httpProxy;
  if (init.httpsProxy !== undefined) options.httpsProxy = init.httpsProxy;
  if (init.retry !== undefined) options.retry = init.retry;
  if (init.connectTimeout !== undefined) options.connectTimeout = init.connectTimeout;
  if (init.headTimeout !== undefined) options.headTimeout = init.headTimeout;
  if (init.idleTimeout !== undefined) options.idleTimeout = init.idleTimeout;
  if (init.useEnvironmentProxy !== undefined) options.useEnvironmentProxy = init.useEnvironmentProxy;
  return options;
}
