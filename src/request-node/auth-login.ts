/**
 * Server logins: what an `HTTPRequest.authLoginHandler` is told when a server answers 401, and how
 * it is asked (Electron's `login` event for a server).
 *
 * @module
 */
import type { AuthCredentials } from "../session/http-auth.ts";

/** The most times `HTTPRequest.authLoginHandler` is asked during one request. */
export const MAX_AUTH_LOGIN_ATTEMPTS = 3;

/**
 * What an `HTTPRequest.authLoginHandler` is told when a server answers `401` with a challenge it
 * can answer (Electron's `login` event `authInfo` with `isProxy: false`).
 */
export interface AuthLoginInfo {
  /** The URL that answered 401. */
  readonly url: string;
  /** Its host (lower-cased, IPv6 without brackets). */
  readonly host: string;
  /** Its port. */
  readonly port: number;
  /** The challenge answered: `"digest"` when the server offers a Digest challenge that is supported, else `"basic"`. */
  readonly scheme: "basic" | "digest";
  /** The challenge's realm, `""` when it names none. */
  readonly realm: string;
  /** 1 for the first question in this request, up to {@link MAX_AUTH_LOGIN_ATTEMPTS}. */
  readonly attempt: number;
}

/**
 * Supplies a server's credentials on demand: return them to send the request again with them (to
 * that origin only), or `null` to give up (the 401 is then delivered as the response).
 */
export type AuthLoginHandler = (info: AuthLoginInfo) => AuthCredentials | null;

/**
 * Calls a handler without letting it throw: a throw counts as a refusal.
 *
 * @param handler - The handler.
 * @param info - What to tell it.
 * @returns Its credentials, or null.
 * @internal
 */
export function askAuthLogin(handler: AuthLoginHandler, info: AuthLoginInfo): AuthCredentials | null {
  let answer: unknown;
  try {
    answer = handler(info);
  } catch {
    return null;
  }
  if (answer === null || typeof answer !== "object") return null;
  const { user, password } = answer as { user?: unknown; password?: unknown };
  if (typeof user !== "string" || typeof password !== "string") return null;
  return { user, password };
}
