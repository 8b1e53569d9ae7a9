import type { HTTPClient } from "../client/http-client.ts";
import { parseProxySetting, type ProxyCredentials } from "../client/proxy-settings.ts";
import { TLSOptions } from "../client/tls-options.ts";
import { Err } from "../status/err.ts";
import { Node } from "./node.ts";
import { askProxyLogin, MAX_PROXY_LOGIN_ATTEMPTS, proxyRealm, type ProxyLoginHandler } from "./proxy-login.ts";

/** How an {@link HTTPRequest} treats redirects (Fetch's and Electron's `redirect` option). */
export type RedirectMode = "follow" | "error" | "manual";

/** A proxy setting as given to `setHttpProxy` / `setHttpsProxy`. */
type ProxyArgs = [host: string, port: number, credentials: ProxyCredentials | undefined];

/**
 * The settings of an {@link HTTPRequest}, with Godot's names and defaults: how bodies are decoded,
 * limited and stored, redirects, the timeout, TLS options, proxies, and the reason behind the last
 * failure. Settings that shape a running request (`bodySizeLimit`, `downloadChunkSize`,
 * `downloadFile`) are ignored while it runs, as in Godot.
 */
export abstract class HTTPRequestSettings extends Node {
  /** Adds `Accept-Encoding: gzip, deflate` (unless given) and decodes such bodies. Default true. */
  acceptGzip = true;
  /** Most redirects followed; -1 for no limit. Default 8. */
  maxRedirects = 8;
  /**
   * What a redirect does: `"follow"` (default) follows it; `"error"` ends the request with
   * `RESULT_REDIRECT_LIMIT_REACHED` and a reason naming the target; `"manual"` emits
   * `redirectReceived` and waits for `followRedirect()` or `cancelRequest()`.
   */
  redirectMode: RedirectMode = "follow";
  /**
   * Supplies proxy credentials on demand (Electron's `login` event for a proxy); `null` (default)
   * for none. It is called synchronously inside the tick when the HTTPS proxy refuses the `CONNECT`
   * tunnel with 407, or when a plain `http://` request through the HTTP proxy gets a final 407
   * response, with the proxy's address, the realm of its `Proxy-Authenticate: Basic` challenge and
   * the attempt number.
   *
   * Credentials it returns are set on that proxy as {@link HTTPRequestSettings.setHttpProxy} /
   * {@link HTTPRequestSettings.setHttpsProxy} with credentials would (they stay for later requests),
   * and the same hop is sent again on a new connection. It is asked at most
   * {@link MAX_PROXY_LOGIN_ATTEMPTS} times per request; after that, or when it returns `null` or
   * throws (a throw counts as `null`, with the error in {@link HTTPRequestSettings.getErrorReason}),
   * the request ends as without a handler: `RESULT_CANT_CONNECT` with the proxy's status in the reason
   * for the tunnel, `RESULT_SUCCESS` with code 407 and the proxy's response for plain HTTP. A plain
   * request whose body is a streamed `BodySource` cannot be sent again: once credentials are given
   * it ends with `RESULT_REQUEST_FAILED` (they stay set for the next request). Only a 407 is a
   * challenge: a proxy that answers wrong credentials with another status (tinyproxy sends 401)
   * ends the request with that answer.
   *
   * @example
   * ```ts
   * req.setHttpsProxy("proxy.lan", 3128);
   * req.proxyLoginHandler = ({ realm, attempt }) => (attempt === 1 ? { user: "me", password: secretFor(realm) } : null);
   * ```
   */
  proxyLoginHandler: ProxyLoginHandler | null = null;
  /** How many times {@link HTTPRequestSettings.proxyLoginHandler} was asked during the running request. */
  protected proxyLoginAttempts = 0;
  /** TLS options for `https://` URLs. */
  protected tlsOptions: TLSOptions = TLSOptions.client();
  /** The proxy settings as given: `[host, port]` for each scheme. */
  protected readonly proxies: { http: ProxyArgs; https: ProxyArgs } = { http: ["", -1, undefined], https: ["", -1, undefined] };
  /** `bodySizeLimit`. */
  protected limit = -1;
  /** `downloadChunkSize`. */
  protected chunkSize = 65536;
  /** `downloadFile`. */
  protected file = "";
  /** `timeout`. */
  protected timeoutSeconds = 0;
  /** Why the last request failed or the last call was refused. */
  protected reason = "";

  /** Most decoded body bytes accepted; -1 for no limit (default). Changes are ignored while a request runs. */
  get bodySizeLimit(): number {
    return this.limit;
  }

  /** Sets the limit; -1 or any negative value removes it. */
  set bodySizeLimit(bytes: number) {
    if (this.guardSetter("bodySizeLimit") && Number.isInteger(bytes)) this.limit = bytes < 0 ? -1 : bytes;
  }

  /** Bytes read from the connection per read (256 … 16 MiB, default 65536); each tick still drains everything that arrived. */
  get downloadChunkSize(): number {
    return this.chunkSize;
  }

  /** Sets the read size; values outside 256 … 16 MiB are ignored (see {@link HTTPRequestSettings.getErrorReason}). */
  set downloadChunkSize(bytes: number) {
    if (!this.guardSetter("downloadChunkSize")) return;
    if (Number.isInteger(bytes) && bytes >= 256 && bytes <= 16 * 1024 * 1024) this.chunkSize = bytes;
    else this.reason = `downloadChunkSize must be 256-16777216, got ${bytes}`;
  }

  /**
   * A file path to write the body to instead of memory; `""` (default) keeps it in memory. The body
   * goes to a temporary file beside it, renamed over it once complete; on any failure the file is
   * left as it was. Only a 2xx response with content (not 204, 205 or an answer to HEAD) is written:
   * for any other status (404, 304, …) the file is left untouched and the body is delivered in
   * `requestCompleted` as without `downloadFile`.
   */
  get downloadFile(): string {
    return this.file;
  }

  /** Sets the download path; `""` keeps bodies in memory. */
  set downloadFile(path: string) {
    if (this.guardSetter("downloadFile")) this.file = path;
  }

  /** Seconds of ticks (the deltas given to this node) before the request fails with `RESULT_TIMEOUT`; 0 (default) never. */
  get timeout(): number {
    return this.timeoutSeconds;
  }

  /** Sets the timeout; negative or non-finite values are ignored. */
  set timeout(seconds: number) {
    if (Number.isFinite(seconds) && seconds >= 0) this.timeoutSeconds = seconds;
    else this.reason = `timeout must be a number >= 0, got ${seconds}`;
  }

  /** Why the last request failed or the last call was refused, with the underlying cause; `""` if nothing failed. */
  getErrorReason(): string {
    return this.reason;
  }

  /**
   * Sets the TLS options used for `https://` URLs (including redirects to them). A kept connection
   * opened with other options is not reused.
   *
   * @param options - The options.
   */
  setTlsOptions(options: TLSOptions): void {
    this.tlsOptions = options;
  }

  /**
   * Sets the proxy for `http://` URLs (see {@link HTTPClient.setHttpProxy}); it applies to every
   * later connection, including redirects to `http://`.
   *
   * @param host - The proxy host, optionally `user:pass@host`; `""` clears it.
   * @param port - The proxy port; -1 clears it.
   * @param credentials - Basic credentials for the proxy, as an alternative to `user:pass@host`.
   * @returns `OK`, or `ERR_INVALID_PARAMETER` for a malformed host, port or credentials.
   */
  setHttpProxy(host: string, port: number, credentials?: ProxyCredentials): Err {
    return this.setProxy("http", host, port, credentials);
  }

  /**
   * Sets the proxy for `https://` URLs (see {@link HTTPClient.setHttpsProxy}); it applies to every
   * later connection, including redirects to `https://`.
   *
   * @param host - The proxy host, optionally `user:pass@host`; `""` clears it.
   * @param port - The proxy port; -1 clears it.
   * @param credentials - Basic credentials for the proxy, as an alternative to `user:pass@host`.
   * @returns `OK`, or `ERR_INVALID_PARAMETER` for a malformed host, port or credentials.
   */
  setHttpsProxy(host: string, port: number, credentials?: ProxyCredentials): Err {
    return this.setProxy("https", host, port, credentials);
  }

  /** True while a request runs. */
  protected abstract isRequestActive(): boolean;

  /**
   * Called after a proxy setting changed.
   *
   * @param kind - Which proxy.
   * @param host - The new host (`""` when cleared).
   * @param port - The new port (-1 when cleared).
   * @param credentials - Credentials given apart from the host, if any.
   */
  protected abstract onProxyChanged(kind: "http" | "https", host: string, port: number, credentials: ProxyCredentials | undefined): void;

  /**
   * Asks {@link HTTPRequestSettings.proxyLoginHandler} for credentials after the `kind` proxy
   * answered 407, and sets them on that proxy.
   *
   * @param kind - Which proxy asked.
   * @param headers - The proxy's answer, for its `Proxy-Authenticate` realm.
   * @returns `retry: true` when credentials were set; otherwise why not (`note`, `""` for a plain refusal).
   */
  protected loginToProxy(kind: "http" | "https", headers: readonly string[]): { readonly retry: true } | { readonly retry: false; readonly note: string } {
    const handler = this.proxyLoginHandler;
    if (handler === null) return { retry: false, note: "" };
    const [host, port] = this.proxies[kind];
    const proxy = parseProxySetting(host, port);
    if (proxy === null || "invalid" in proxy) return { retry: false, note: "" };
    if (this.proxyLoginAttempts >= MAX_PROXY_LOGIN_ATTEMPTS) {
      return { retry: false, note: `proxyLoginHandler was asked ${MAX_PROXY_LOGIN_ATTEMPTS} times` };
    }
    this.proxyLoginAttempts++;
    const answer = askProxyLogin(handler, { host: proxy.host, port: proxy.port, scheme: kind, realm: proxyRealm(headers), attempt: this.proxyLoginAttempts });
    if (answer.kind === "declined") return { retry: false, note: answer.note };
    if (this.setProxy(kind, host, port, answer.credentials) !== Err.OK) {
      return { retry: false, note: `proxyLoginHandler gave unusable credentials: ${this.reason}` };
    }
    return { retry: true };
  }

  /**
   * Records why a call was refused.
   *
   * @param err - The code to return.
   * @param reason - Why.
   * @returns `err`.
   */
  protected refuse(err: Err, reason: string): Err {
    this.reason = reason;
    return err;
  }

  private setProxy(kind: "http" | "https", host: string, port: number, credentials: ProxyCredentials | undefined): Err {
    const parsed = parseProxySetting(host, port, credentials);
    if (parsed !== null && "invalid" in parsed) return this.refuse(Err.ERR_INVALID_PARAMETER, parsed.invalid);
    this.proxies[kind] = [host, port, credentials];
    this.onProxyChanged(kind, host, port, credentials);
    return Err.OK;
  }

  private guardSetter(name: string): boolean {
    if (!this.isRequestActive()) return true;
    this.reason = `${name} cannot change while a request runs`;
    return false;
  }
}
