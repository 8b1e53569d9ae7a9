/**
 * What an {@link HTTPRequestPool} is given: the options of its constructor and the per-request
 * options of {@link HTTPRequestPool.request}.
 *
 * @module
 */
import type { Network } from "../../client/network.ts";
import { parseProxySetting, type ProxyCredentials } from "../../client/proxy-settings.ts";
import type { TLSOptions } from "../../client/tls-options.ts";
import type { RedirectMode } from "../request-settings.ts";
import type { RequestOptions } from "../request-options.ts";
import type { HTTPRequestPool } from "./request-pool.ts";
import type { RequestPriority } from "./priority.ts";

/** The default of {@link HTTPRequestPoolOptions.maxConnectionsPerOrigin}, as browsers do. */
export const DEFAULT_MAX_CONNECTIONS_PER_ORIGIN = 6;
/** The default of {@link HTTPRequestPoolOptions.maxConnections}. */
export const DEFAULT_MAX_CONNECTIONS = 256;
/** The default of {@link HTTPRequestPoolOptions.maxQueued}. */
export const DEFAULT_MAX_QUEUED = 10_000;
/** The default of {@link HTTPRequestPoolOptions.maxNewConnectionsPerTick}. */
export const DEFAULT_MAX_NEW_CONNECTIONS_PER_TICK = 64;
/** The default of {@link HTTPRequestPoolOptions.maxStartsPerTick}. */
export const DEFAULT_MAX_STARTS_PER_TICK = 256;
/** The default of {@link HTTPRequestPoolOptions.tickBudgetMs}: well within a quarter of a 60 fps frame (4.17 ms). */
export const DEFAULT_TICK_BUDGET_MS = 3;

/** Options for a new {@link HTTPRequestPool}. Every limit can be changed later through the pool's property of the same name. */
export interface HTTPRequestPoolOptions {
  /** How host names are resolved and connections opened (e.g. a `ScriptedNetwork` in tests). */
  readonly network?: Network;
  /** A name for the node. Default `"HTTPRequestPool"`. */
  readonly name?: string;
  /** Most connections open at once to one origin (scheme, host, port). Default 6. */
  readonly maxConnectionsPerOrigin?: number;
  /** Most connections open at once over all origins. Default 256. */
  readonly maxConnections?: number;
  /** Most requests waiting to start; beyond it `request()` refuses with `ERR_BUSY`. Default 10,000. */
  readonly maxQueued?: number;
  /**
   * Most new connections the pool opens in one tick (requests that reuse a kept connection are not
   * counted). Default 64; the time budget usually stops a burst before.
   */
  readonly maxNewConnectionsPerTick?: number;
  /**
   * Most requests the pool starts in one tick, on new or kept connections. Default 256; the time
   * budget usually stops a burst before. In the counts-only mode (`tickBudgetMs: 0`), this and
   * {@link maxNewConnectionsPerTick} alone spread a burst: set them to what a frame of yours holds.
   */
  readonly maxStartsPerTick?: number;
  /**
   * Milliseconds of its clock after which the pool starts no more requests in a tick, counted from
   * when the tick reached the pool (its connections' work in the tick counts, and each start's
   * connect or first write); the first start of a tick is always allowed. Default 3, within a
   * quarter of a 60 fps frame: as many requests start per tick as fit, however much a start costs
   * on the machine. 0 for none: the counts-only mode, whose starts per tick do not depend on the
   * clock (for repeatable runs); it is the default on a deterministic network (`ScriptedNetwork`, a
   * cassette's `ReplayNetwork`: see `Network.deterministic`).
   */
  readonly tickBudgetMs?: number;
  /**
   * The clock the time budget reads, in milliseconds. Read only while {@link tickBudgetMs} is above
   * 0, and only in ticks with requests queued; default `performance.now()`. Timings of requests are
   * in each request's own time (the deltas it was given), as for an `HTTPRequest` made without a clock.
   */
  readonly clock?: () => number;
}

/** Per-request options of {@link HTTPRequestPool.request}: those of `HTTPRequest.request()`, a priority and the node settings that may differ per request. */
export interface PoolRequestOptions extends RequestOptions {
  /** Where it stands in the queue: 1–1000 (OpenHarmony) or `"high"`, `"auto"`, `"low"` (Fetch). Default `"auto"` (500). */
  readonly priority?: RequestPriority;
  /** Writes the body to this file as `HTTPRequest.downloadFile` does; default `""` (in memory). */
  readonly downloadFile?: string;
  /** Seconds from the request's start (time in the queue not counted); default the pool's `timeout`. */
  readonly timeout?: number;
  /** As `HTTPRequest.connectTimeout`; default the pool's. */
  readonly connectTimeout?: number;
  /** As `HTTPRequest.headTimeout`; default the pool's. */
  readonly headTimeout?: number;
  /** As `HTTPRequest.idleTimeout`; default the pool's. */
  readonly idleTimeout?: number;
  /** Most decoded body bytes; default the pool's `bodySizeLimit`. */
  readonly bodySizeLimit?: number;
  /** Most redirects followed; default the pool's `maxRedirects`. */
  readonly maxRedirects?: number;
  /** What a redirect does; default the pool's `redirectMode`. */
  readonly redirectMode?: RedirectMode;
  /** Asks for and decodes gzip/deflate; default the pool's `acceptGzip`. */
  readonly acceptGzip?: boolean;
  /** Bytes per read (256 … 16 MiB); default the pool's `downloadChunkSize`. */
  readonly downloadChunkSize?: number;
  /** TLS options for `https://`; default the pool's (`setTlsOptions`). A kept connection opened with other options is not reused. */
  readonly tlsOptions?: TLSOptions;
  /** The proxy for `http://` URLs; default the pool's (`setHttpProxy`). A change closes the connection's kept connection. */
  readonly httpProxy?: PoolProxy;
  /** The proxy for `https://` URLs; default the pool's (`setHttpsProxy`). A change closes the connection's kept connection. */
  readonly httpsProxy?: PoolProxy;
}

/** A proxy of one request ({@link PoolRequestOptions.httpProxy}); `host` `""` and `port` -1 for none. */
export interface PoolProxy {
  /** The proxy host, optionally `user:pass@host`. */
  readonly host: string;
  /** The proxy port. */
  readonly port: number;
  /** Basic credentials for the proxy. */
  readonly credentials?: ProxyCredentials;
}

/**
 * Checks the per-request settings that `HTTPRequest`'s setters would ignore when out of range.
 *
 * @param options - The options.
 * @returns Why one is out of range, or `""`.
 * @internal
 */
export function requestOptionsProblem(options: PoolRequestOptions): string {
  const { timeout, bodySizeLimit, maxRedirects, downloadChunkSize } = options;
  const seconds =
    secondsProblem("timeout", timeout) ||
    secondsProblem("connectTimeout", options.connectTimeout) ||
    secondsProblem("headTimeout", options.headTimeout) ||
    secondsProblem("idleTimeout", options.idleTimeout);
  if (seconds !== "") return seconds;
  if (bodySizeLimit !== undefined && !Number.isInteger(bodySizeLimit))
    return `bodySizeLimit must be a whole number (negative for none), got ${String(bodySizeLimit)}`;
  if (maxRedirects !== undefined && !(Number.isInteger(maxRedirects) && maxRedirects >= 0))
    return `maxRedirects must be a whole number from 0, got ${String(maxRedirects)}`;
  if (
    downloadChunkSize !== undefined &&
    !(Number.isInteger(downloadChunkSize) && downloadChunkSize >= 256 && downloadChunkSize <= 16 * 1024 * 1024)
  ) {
    return `downloadChunkSize must be 256-16777216, got ${String(downloadChunkSize)}`;
  }
  return proxyProblem(options.httpProxy) || proxyProblem(options.httpsProxy);
}

/** Why a duration in seconds is out of range (not a number >= 0), or `""` (also when not given). */
function secondsProblem(name: string, value: number | undefined): string {
  return value === undefined || (Number.isFinite(value) && value >= 0) ? "" : `${name} must be a number >= 0, got ${String(value)}`;
}

/** Why a proxy setting is malformed, or `""` (also when not given). */
function proxyProblem(proxy: PoolProxy | undefined): string {
  if (proxy === undefined) return "";
  const parsed = parseProxySetting(proxy.host, proxy.port, proxy.credentials);
  return parsed !== null && "invalid" in parsed ? parsed.invalid : "";
}
