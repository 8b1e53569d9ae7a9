/**
 * The proxy settings of an `HTTPRequest` as given to `setHttpProxy` / `setHttpsProxy`.
 *
 * @module
 */
import type { HTTPClient } from "../client/http-client.ts";
import { type ProxyCredentials, type ProxySettings, parseProxySetting } from "../client/proxy-settings.ts";

/** A proxy setting as given: host (optionally `user:pass@host`), port, credentials given apart. */
export type ProxyArgs = readonly [host: string, port: number, credentials: ProxyCredentials | undefined];

/**
 * The proxies of an `HTTPRequest` for `http://` and `https://` URLs, kept as given so each new
 * client of the node gets them, and a proxy login can add credentials to one.
 *
 * @internal
 */
export class RequestProxies {
  #http: ProxyArgs = ["", -1, undefined];
  #https: ProxyArgs = ["", -1, undefined];

  /**
   * Sets the proxy for `kind` URLs.
   *
   * @param kind - Which proxy.
   * @param host - The proxy host, optionally `user:pass@host`; `""` clears it.
   * @param port - The proxy port; -1 clears it.
   * @param credentials - Basic credentials, as an alternative to `user:pass@host`.
   * @returns null, or why the setting is refused (the old one is kept).
   */
  set(kind: "http" | "https", host: string, port: number, credentials: ProxyCredentials | undefined): string | null {
    const parsed = parseProxySetting(host, port, credentials);
    if (parsed !== null && "invalid" in parsed) return parsed.invalid;
    if (kind === "http") this.#http = [host, port, credentials];
    else this.#https = [host, port, credentials];
    return null;
  }

  /**
   * The proxy for `kind` URLs, parsed.
   *
   * @param kind - Which proxy.
   * @returns Its host and port, and the host and port as given; null when none is set.
   */
  get(kind: "http" | "https"): { readonly host: string; readonly port: number; readonly given: ProxyArgs } | null {
    const given = kind === "http" ? this.#http : this.#https;
    const [host, port] = given;
    const parsed: ProxySettings | null | { readonly invalid: string } = parseProxySetting(host, port);
    if (parsed === null || "invalid" in parsed) return null;
    return { host: parsed.host, port: parsed.port, given };
  }

  /**
   * Gives a client the proxy for `kind` URLs (both when `kind` is omitted).
   *
   * @param client - The client.
   * @param kind - Which proxy; both by default.
   */
  applyTo(client: HTTPClient, kind?: "http" | "https"): void {
    if (kind !== "https") client.setHttpProxy(...this.#http);
    if (kind !== "http") client.setHttpsProxy(...this.#https);
  }
}
