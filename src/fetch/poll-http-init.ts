import type { ProxyCredentials } from "../client/proxy-settings.ts";
import { TLSOptions } from "../client/tls-options.ts";
import type { HTTPRequest } from "../request-node/http-request.ts";

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
 * They set the `HTTPRequest` node that carries the request; see its settings for details.
 *
 * @example
 * ```ts
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
  /** Most redirects followed with `redirect: "follow"`. Default 20 (Fetch's limit). */
  readonly maxRedirects?: number;
  /** TLS options for `https://` (trusted CAs, client certificate, `unsafe`). Default: verified against the system's CAs. */
  readonly tlsOptions?: TLSOptions;
  /** A proxy for `http://` URLs. */
  readonly httpProxy?: FetchProxy;
  /** A proxy for `https://` URLs (a `CONNECT` tunnel). */
  readonly httpsProxy?: FetchProxy;
  /**
   * Bytes `response.body` queues before the body is left in the connection until the application
   * reads (back-pressure). Default 1 MiB.
   */
  readonly bodyHighWaterMark?: number;
  /** Called at the end of each tick in which request body bytes went out: sent so far, total (-1 when unknown). */
  readonly onUploadProgress?: (sent: number, total: number) => void;
  /** Called at the end of each tick in which response body bytes arrived: received so far (on the wire), total (-1 when unknown). */
  readonly onDownloadProgress?: (received: number, total: number) => void;
}

/** The default `response.body` high-water mark. */
export const RESPONSE_HIGH_WATER_MARK: number = 1024 * 1024;
/** Fetch's redirect limit. */
const FETCH_MAX_REDIRECTS = 20;
const DEFAULT_TLS = TLSOptions.client();
const NO_PROXY: FetchProxy = { host: "", port: -1 };

/** What was last applied to a node, so an unchanged TLS or proxy setting keeps its connection. */
interface Applied {
  tls: TLSOptions;
  http: FetchProxy;
  https: FetchProxy;
}

const applied = new WeakMap<HTTPRequest, Applied>();

/**
 * Sets a node for one fetch: every setting the last fetch on it may have changed is set again.
 *
 * @param node - The node.
 * @param init - The options, or undefined.
 * @returns An error message for an invalid option, or "".
 * @internal
 */
export function configureNode(node: HTTPRequest, init: PollHttpInit | undefined): string {
  node.redirectMode = "manual"; // the facade follows redirects itself, to know the final URL
  node.acceptGzip = init?.acceptGzip ?? true;
  node.downloadFile = init?.downloadFile ?? "";
  // Each setter ignores a value it cannot take (keeping the last fetch's): check that it took it.
  const wanted: readonly [name: string, value: number, set: (value: number) => void, get: () => number][] = [
    ["maxRedirects", init?.maxRedirects ?? FETCH_MAX_REDIRECTS, (v) => (node.maxRedirects = Number.isInteger(v) ? v : node.maxRedirects), () => node.maxRedirects],
    ["bodySizeLimit", init?.bodySizeLimit ?? -1, (v) => (node.bodySizeLimit = v), () => node.bodySizeLimit],
    ["timeout", init?.timeout ?? 0, (v) => (node.timeout = v), () => node.timeout],
    ["downloadChunkSize", init?.downloadChunkSize ?? 65536, (v) => (node.downloadChunkSize = v), () => node.downloadChunkSize],
  ];
  for (const [name, value, set, get] of wanted) {
    set(value);
    if (get() !== value && !(name === "bodySizeLimit" && value < 0 && get() === -1)) return `${name} cannot be ${String(value)}`;
  }
  let last = applied.get(node);
  if (last === undefined) {
    last = { tls: DEFAULT_TLS, http: NO_PROXY, https: NO_PROXY };
    applied.set(node, last);
  }
  const tls = init?.tlsOptions ?? DEFAULT_TLS;
  if (tls !== last.tls) {
    node.setTlsOptions(tls);
    last.tls = tls;
  }
  for (const kind of ["http", "https"] as const) {
    const wanted = (kind === "http" ? init?.httpProxy : init?.httpsProxy) ?? NO_PROXY;
    const had = last[kind];
    if (wanted.host === had.host && wanted.port === had.port && wanted.credentials === had.credentials) continue;
    const err = kind === "http" ? node.setHttpProxy(wanted.host, wanted.port, wanted.credentials) : node.setHttpsProxy(wanted.host, wanted.port, wanted.credentials);
    if (err !== 0) return node.getErrorReason();
    last[kind] = wanted;
  }
  return "";
}
