import type { HTTPClient } from "../client/http-client.ts";
import { parseProxySetting, type ProxyCredentials } from "../client/proxy-settings.ts";
import { TLSOptions } from "../client/tls-options.ts";
import { Err } from "../status/err.ts";
import { Node } from "./node.ts";

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
