/**
 * The settings one request of an `HTTPRequest` runs with, frozen as `request()` starts it.
 *
 * @module
 */
import type { TLSOptions } from "../client/tls-options.ts";
import type { PhaseTimeouts } from "./phase-timer.ts";
import type { ProxyLoginHandler } from "./proxy-login.ts";
import type { RetryPolicy } from "./retry-policy.ts";

/** How an {@link HTTPRequest} treats redirects (Fetch's and Electron's `redirect` option). */
export type RedirectMode = "follow" | "error" | "manual";

/**
 * The node's settings as they were when `request()` started the request: a request reads only
 * these, so changing `maxRedirects`, `redirectMode`, the TLS options or the proxy login handler
 * while it runs applies to the next request, never to the middle of this one. (`timeout` stays
 * live: it is counted by the node's ticks. Proxy settings apply to every later connection.)
 *
 * @internal
 */
export interface RequestSettings {
  /** `acceptGzip`. */
  readonly acceptGzip: boolean;
  /** `maxRedirects` (-1: no limit). */
  readonly maxRedirects: number;
  /** `redirectMode`. */
  readonly redirectMode: RedirectMode;
  /** The TLS options for `https://` URLs, redirects included. */
  readonly tlsOptions: TLSOptions;
  /** `bodySizeLimit` (-1: none). */
  readonly bodySizeLimit: number;
  /** `downloadChunkSize`. */
  readonly downloadChunkSize: number;
  /** `downloadFile` (`""`: in memory). */
  readonly downloadFile: string;
  /** `proxyLoginHandler`. */
  readonly proxyLoginHandler: ProxyLoginHandler | null;
  /** `retryPolicy`, or the request's `retry` option; null for one attempt. */
  readonly retry: RetryPolicy | null;
  /** `connectTimeout`, `headTimeout`, `idleTimeout`. */
  readonly timeouts: PhaseTimeouts;
  /** `useEnvironmentProxy`, or the request's option. */
  readonly useEnvironmentProxy: boolean;
}
