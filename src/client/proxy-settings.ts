import { bareHost } from "./host-name.ts";

/** A proxy a client connects through. */
export interface ProxySettings {
  /** The proxy's host name or IP literal (IPv6 without brackets). */
  readonly host: string;
  /** The proxy's port. */
  readonly port: number;
  /** The `Proxy-Authorization` value to send (`Basic …`), or `""` for none. */
  readonly authorization: string;
}

/** Credentials for Basic proxy authentication, sent only to the proxy. */
export interface ProxyCredentials {
  /** The user name. */
  readonly user: string;
  /** The password. */
  readonly password: string;
}

/**
 * Reads a proxy setting as Godot's `set_http_proxy(host, port)` takes it, plus credentials in a
 * `user:pass@host` form (percent-encoded where needed). An empty host or port -1 clears the setting.
 *
 * @param host - `host`, `user:pass@host`, `[::1]`, optionally with an `http://` prefix.
 * @param port - 1–65535, or -1 to clear.
 * @param credentials - Credentials given apart from the host; they win over a `user:pass@` part.
 * @returns The settings, `null` to clear, or a reason the input is invalid.
 * @internal
 */
export function parseProxySetting(
  host: string,
  port: number,
  credentials?: ProxyCredentials,
): ProxySettings | null | { readonly invalid: string } {
  let text = host.trim();
  if (text === "" || port === -1) return null;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { invalid: `invalid proxy port ${port}` };
  text = text.replace(/^https?:\/\//i, "").replace(/\/+$/, "");
  let authorization = "";
  const at = text.lastIndexOf("@");
  if (at >= 0) {
    const userinfo = text.slice(0, at);
    text = text.slice(at + 1);
    const colon = userinfo.indexOf(":");
    let user: string;
    let pass: string;
    try {
      user = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
      pass = decodeURIComponent(colon < 0 ? "" : userinfo.slice(colon + 1));
    } catch {
      return { invalid: "invalid percent-encoding in the proxy credentials" };
    }
    authorization = basicAuthorization(user, pass);
  }
  if (credentials !== undefined) {
    if (/[\x00-\x1f\x7f]/.test(credentials.user + credentials.password) || credentials.user.includes(":")) {
      return { invalid: "proxy credentials must not contain control characters, nor a user name a colon" };
    }
    authorization = basicAuthorization(credentials.user, credentials.password);
  }
  const bare = bareHost(text);
  if (bare === null) return { invalid: `invalid proxy host ${JSON.stringify(host)}` };
  return { host: bare, port, authorization };
}

/**
 * The value of a Basic `Authorization`/`Proxy-Authorization` header.
 *
 * @param user - The user name.
 * @param password - The password.
 * @returns `Basic <base64(user:password)>`.
 * @internal
 */
export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
}
