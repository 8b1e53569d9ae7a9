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
): PoolRequestOptions {
  return {
    redirectMode: "manual",
    maxRedirects: init?.maxRedirects ?? FETCH_MAX_REDIRECTS,
    ...(priority !== undefined ? { priority } : {}),
    ...(integrity !== "" ? { integrity } : {}),
    ...(init?.timeout !== undefined ? { timeout: init.timeout } : {}),
    ...(init?.bodySizeLimit !== undefined ? { bodySizeLimit: init.bodySizeLimit } : {}),
    ...(init?.downloadFile !== undefined ? { downloadFile: init.downloadFile } : {}),
    ...(init?.downloadChunkSize !== undefined ? { downloadChunkSize: init.downloadChunkSize } : {}),
    ...(init?.acceptGzip !== undefined ? { acceptGzip: init.acceptGzip } : {}),
    ...(init?.tlsOptions !== undefined ? { tlsOptions: init.tlsOptions } : {}),
    ...(init?.httpProxy !== undefined ? { httpProxy: init.httpProxy } : {}),
    ...(init?.httpsProxy !== undefined ? { httpsProxy: init.httpsProxy } : {}),
    ...(init?.retry !== undefined ? { retry: init.retry } : {}),
    ...(init?.connectTimeout !== undefined ? { connectTimeout: init.connectTimeout } : {}),
    ...(init?.headTimeout !== undefined ? { headTimeout: init.headTimeout } : {}),
    ...(init?.idleTimeout !== undefined ? { idleTimeout: init.idleTimeout } : {}),
    ...(init?.useEnvironmentProxy !== undefined ? { useEnvironmentProxy: init.useEnvironmentProxy } : {}),
  };
}
