import type { ProxyCredentials } from "../client/proxy-settings.ts";
import { getHeaderValues } from "../client/wire/headers.ts";

/** The most times `HTTPRequest.proxyLoginHandler` is asked during one request. */
export const MAX_PROXY_LOGIN_ATTEMPTS = 3;

/**
 * What an `HTTPRequest.proxyLoginHandler` is told when a proxy asks for credentials
 * (Electron's `login` event `authInfo` with `isProxy: true`).
 */
export interface ProxyLoginInfo {
  /** The proxy's host (lower-cased, IPv6 without brackets). */
  readonly host: string;
  /** The proxy's port. */
  readonly port: number;
  /** Which proxy asked: `"http"` (set by `setHttpProxy`) or `"https"` (the CONNECT proxy of `setHttpsProxy`). */
  readonly scheme: "http" | "https";
  /** The realm of the proxy's `Proxy-Authenticate: Basic realm="…"` challenge, `""` when there is none. */
  readonly realm: string;
  /** 1 for the first question in this request, up to {@link MAX_PROXY_LOGIN_ATTEMPTS}. */
  readonly attempt: number;
}

/**
 * Supplies proxy credentials on demand: return them to retry with them, or `null` to give up (the
 * request then ends as it would without a handler).
 */
export type ProxyLoginHandler = (info: ProxyLoginInfo) => ProxyCredentials | null;

/** What asking a {@link ProxyLoginHandler} gave. @internal */
export type ProxyLoginAnswer =
  | { readonly kind: "credentials"; readonly credentials: ProxyCredentials }
  | { readonly kind: "declined"; readonly note: string };

/**
 * Calls a handler without letting it throw: a throw counts as a refusal, explained in `note`.
 *
 * @param handler - The handler.
 * @param info - What to tell it.
 * @returns Its credentials, or why there are none.
 * @internal
 */
export function askProxyLogin(handler: ProxyLoginHandler, info: ProxyLoginInfo): ProxyLoginAnswer {
  let answer: unknown;
  try {
    answer = handler(info);
  } catch (error) {
    return { kind: "declined", note: `proxyLoginHandler threw: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (answer === null || answer === undefined) return { kind: "declined", note: "" };
  if (
    typeof answer !== "object" ||
    typeof (answer as { user?: unknown }).user !== "string" ||
    typeof (answer as { password?: unknown }).password !== "string"
  ) {
    return { kind: "declined", note: "proxyLoginHandler returned something other than { user, password } or null" };
  }
  const { user, password } = answer as ProxyCredentials;
  return { kind: "credentials", credentials: { user, password } };
}

/**
 * The realm of the first Basic challenge in `Proxy-Authenticate` (quoted or token form).
 *
 * @param headers - Header lines `"Name: value"`.
 * @returns The realm, or `""` when no Basic challenge carries one.
 * @internal
 */
export function proxyRealm(headers: readonly string[]): string {
  for (const value of getHeaderValues(headers, "proxy-authenticate")) {
    const basic = /(?:^|,)\s*basic(?:\s+(.*))?$/i.exec(value);
    if (basic === null) continue;
    const match = /(?:^|[\s,])realm\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/i.exec(` ${basic[1] ?? ""}`);
    if (match !== null) return match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : (match[2] ?? "");
  }
  return "";
}
