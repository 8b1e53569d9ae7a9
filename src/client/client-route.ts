/**
 * The connect side of an `HTTPClient`: the proxy settings, the origin of the last `connectToHost`
 * and the way there (a direct or proxied connection, TLS, a `CONNECT` tunnel), the
 * {@link Connector} opening it, and the request heads written for that origin and route.
 *
 * @module
 */
import type { Network } from "./network.ts";
import type { StreamPeer } from "./peer/stream-peer.ts";
import { Connector, type ConnectorPhase } from "./connector.ts";
import { formatHostValue, planConnection } from "./connection-plan.ts";
import type { ProxyTunnel } from "./proxy-tunnel.ts";
import { parseProxySetting, type ProxyCredentials, type ProxySettings } from "./proxy-settings.ts";
import { TLSOptions } from "./tls-options.ts";
import { RequestHeadCache } from "./wire/request-head-cache.ts";
import type { RequestHeadResult } from "./wire/request-writer.ts";

/**
 * Where an `HTTPClient` connects and how: what `connectToHost` (or `setConnection`) was given,
 * the proxies for the next connection, and the connection being opened.
 *
 * @internal
 */
export class ClientRoute {
  /** The origin host of the last `connectToHost` (lower-cased, IPv6 without brackets), for `Host`. */
  host = "";
  /** The origin port, for `Host`; -1 before any connection. */
  port = -1;
  /** TLS settings for the origin, or null for plain HTTP. */
  tls: TLSOptions | null = null;
  private readonly network: Network;
  private httpProxy: ProxySettings | null = null;
  private httpsProxy: ProxySettings | null = null;
  /** The HTTP proxy requests go through (absolute-form targets), or null. */
  private viaHttpProxy: ProxySettings | null = null;
  /** The CONNECT tunnel of the last `connectToHost`, kept for its answer. */
  private tunnel: ProxyTunnel | null = null;
  private connector: Connector | null = null;
  /** The last request head written, reused by identical requests. */
  private readonly heads = new RequestHeadCache();

  /** @param network - How host names are resolved and connections opened. */
  constructor(network: Network) {
    this.network = network;
  }

  /**
   * Sets the proxy for `kind` connections, used from the next {@link ClientRoute.connect}.
   *
   * @param kind - `http` (requests with absolute-form targets) or `https` (a `CONNECT` tunnel).
   * @param host - The proxy host, optionally `user:pass@host`; `""` clears the setting.
   * @param port - The proxy port; -1 clears the setting.
   * @param credentials - Basic credentials, as an alternative to `user:pass@host`.
   * @returns null, or why the setting is refused (the old one is kept).
   */
  setProxy(kind: "http" | "https", host: string, port: number, credentials: ProxyCredentials | undefined): string | null {
    const parsed = parseProxySetting(host, port, credentials);
    if (parsed !== null && "invalid" in parsed) return parsed.invalid;
    if (kind === "http") this.httpProxy = parsed;
    else this.httpsProxy = parsed;
    return null;
  }

  /**
   * Plans a connection as `connectToHost` reads its arguments and starts opening it.
   *
   * @param host - Host name or IP literal, optionally prefixed with `http://` or `https://`.
   * @param port - 1–65535, or -1 for the scheme's default.
   * @param tlsOptions - TLS settings, or null.
   * @param activity - The activity listener for the connection.
   * @returns null, or why the arguments are refused (nothing is started).
   */
  connect(host: string, port: number, tlsOptions: TLSOptions | null, activity: (() => void) | null): string | null {
    const plan = planConnection(host, port, tlsOptions, this.httpProxy, this.httpsProxy);
    if ("invalid" in plan) return plan.invalid;
    this.host = plan.host;
    this.port = plan.port;
    this.tls = plan.tls;
    this.viaHttpProxy = plan.viaHttpProxy;
    this.tunnel = plan.target.tunnel;
    this.connector = new Connector(this.network, plan.target);
    this.connector.setActivityListener(activity);
    return null;
  }

  /**
   * Takes the origin of a connection opened elsewhere (`setConnection`): no tunnel, and TLS
   * settings only when the peer is a TLS connection.
   *
   * @param host - The host name for the `Host` header.
   * @param port - The port for the `Host` header.
   * @param tls - Whether the peer is a TLS connection.
   */
  adopt(host: string, port: number, tls: boolean): void {
    this.tunnel = null;
    this.host = host;
    this.port = port;
    this.tls = tls ? (this.tls ?? TLSOptions.client()) : null;
  }

  /** True while a connection is being opened by the connector. */
  isConnecting(): boolean {
    return this.connector !== null;
  }

  /** True while the connector resolves the host name. */
  isResolving(): boolean {
    return this.connector?.getPhase() === "resolving";
  }

  /**
   * Advances the connector.
   *
   * @param activity - The activity listener, set on the connection once there is one.
   * @returns Its phase; `"resolving"` without a connector.
   */
  step(activity: (() => void) | null): ConnectorPhase {
    const connector = this.connector;
    if (connector === null) return "resolving";
    connector.step();
    const phase = connector.getPhase();
    if (phase === "connecting") connector.getPeer()?.setActivityListener(activity);
    return phase;
  }

  /** Why the connector failed. */
  getReason(): string {
    return this.connector?.getReason() ?? "";
  }

  /** The connection being opened, or null. */
  getPeer(): StreamPeer | null {
    return this.connector?.getPeer() ?? null;
  }

  /** Takes the opened connection from the connector, which is done. */
  takePeer(): StreamPeer | null {
    const peer = this.connector?.takePeer() ?? null;
    this.connector = null;
    return peer;
  }

  /** Stops opening a connection. */
  cancel(): void {
    this.connector?.cancel();
    this.connector = null;
  }

  /**
   * Sets the activity listener on the connection being opened.
   *
   * @param listener - The function, or null.
   */
  setActivityListener(listener: (() => void) | null): void {
    this.connector?.setActivityListener(listener);
  }

  /** Whether the TLS handshake of the connection being opened has started. */
  isTlsStarted(): boolean {
    return this.connector?.isTlsStarted() === true;
  }

  /** The status code of the proxy's answer to the `CONNECT`, or 0. */
  getProxyResponseCode(): number {
    return this.tunnel?.getStatusCode() ?? 0;
  }

  /** The header lines of the proxy's answer to the `CONNECT`. */
  getProxyResponseHeaders(): string[] {
    return this.tunnel?.getHeaders() ?? [];
  }

  /**
   * The head of a request to the origin by this route: through an HTTP proxy, an absolute-form
   * target and the proxy's credentials (for the proxy only).
   *
   * @param verb - The method's name.
   * @param url - The request target as given.
   * @param headers - The caller's header lines.
   * @param bodyLength - The body length for `Content-Length`, or -1.
   * @param chunked - Whether the body is sent chunked.
   * @returns The head bytes, or why the request is refused.
   */
  writeHead(verb: string, url: string, headers: readonly string[], bodyLength: number, chunked: boolean): RequestHeadResult {
    const proxy = this.viaHttpProxy;
    let target = url;
    let allHeaders = headers;
    if (proxy !== null) {
      if (url.startsWith("/")) target = `http://${formatHostValue(this.host, this.port, this.tls !== null)}${url}`;
      if (proxy.authorization !== "") allHeaders = [...headers, `Proxy-Authorization: ${proxy.authorization}`];
    }
    return this.heads.write({
      method: verb, target, host: this.host, port: this.port, tls: this.tls !== null, headers: allHeaders, bodyLength, chunked,
    });
  }
}
