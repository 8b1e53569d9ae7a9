import type { ConnectTarget } from "./connector.ts";
import { ProxyTunnel } from "./proxy-tunnel.ts";
import type { ProxySettings } from "./proxy-settings.ts";
import { TLSOptions } from "./tls-options.ts";
import { bareHost } from "./host-name.ts";

/** What `HTTPClient.connectToHost` decided: the origin, and how to reach it. */
export interface ConnectionPlan {
  /** The origin host, lower-cased, IPv6 without brackets. */
  readonly host: string;
  /** The origin port. */
  readonly port: number;
  /** TLS settings for the origin, or null for plain HTTP. */
  readonly tls: TLSOptions | null;
  /** What the connector connects to (the origin or a proxy) and how. */
  readonly target: ConnectTarget;
  /** The HTTP proxy requests go through (absolute-form targets), or null. */
  readonly viaHttpProxy: ProxySettings | null;
}

/**
 * Reads `connectToHost`'s arguments as Godot does (an `https://` prefix turns TLS on with verifying
 * defaults, `http://` turns it off), accepts bracketed IPv6 literals, and picks the proxy for the
 * scheme: plain HTTP goes to an HTTP proxy with absolute-form targets, TLS through a `CONNECT`
 * tunnel of the HTTPS proxy.
 *
 * @param host - The host, optionally prefixed with `http://` or `https://`.
 * @param port - 1–65535, or -1 for the scheme's default.
 * @param tlsOptions - TLS settings, or null.
 * @param httpProxy - The proxy for plain connections, or null.
 * @param httpsProxy - The proxy for TLS connections, or null.
 * @returns The plan, or why the arguments are invalid.
 * @internal
 */
export function planConnection(
  host: string,
  port: number,
  tlsOptions: TLSOptions | null,
  httpProxy: ProxySettings | null,
  httpsProxy: ProxySettings | null,
): ConnectionPlan | { readonly invalid: string } {
  let name = host.trim();
  let tls = tlsOptions;
  const lower = name.toLowerCase();
  if (lower.startsWith("http://")) {
    name = name.slice(7);
    tls = null;
  } else if (lower.startsWith("https://")) {
    name = name.slice(8);
    tls = tlsOptions ?? TLSOptions.client();
  }
  const bare = bareHost(name);
  if (bare === null) return { invalid: `invalid host ${JSON.stringify(host)}` };
  const effectivePort = port === -1 ? (tls === null ? 80 : 443) : port;
  if (!Number.isInteger(effectivePort) || effectivePort < 1 || effectivePort > 65535) {
    return { invalid: `invalid port ${port}: must be 1-65535, or -1 for the default` };
  }
  const origin = bare;
  const proxy = tls === null ? httpProxy : httpsProxy;
  const authority = formatAuthority(origin, effectivePort);
  return {
    host: origin,
    port: effectivePort,
    tls,
    viaHttpProxy: tls === null ? proxy : null,
    target: {
      host: proxy?.host ?? origin,
      port: proxy?.port ?? effectivePort,
      tls,
      servername: origin,
      tunnel: proxy !== null && tls !== null ? new ProxyTunnel(authority, proxy.authorization) : null,
    },
  };
}

/**
 * `host:port`, with an IPv6 literal in brackets.
 *
 * @param host - Host name or IP literal without brackets.
 * @param port - The port.
 * @returns The authority.
 * @internal
 */
export function formatAuthority(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The `Host` header value: the port is left out when it is the scheme's default.
 *
 * @param host - Host name or IP literal without brackets.
 * @param port - The port.
 * @param tls - Whether the connection uses TLS (default port 443, else 80).
 * @returns The value.
 * @internal
 */
export function formatHostValue(host: string, port: number, tls: boolean): string {
  if (port === (tls ? 443 : 80)) return host.includes(":") ? `[${host}]` : host;
  return formatAuthority(host, port);
}
