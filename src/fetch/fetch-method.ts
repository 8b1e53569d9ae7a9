/**
 * Fetch's method rules: a method is any token; the six of the standard's table are upper-cased
 * whatever their case (`"get"` → `"GET"`), every other name is sent exactly as given (`"patch"` stays
 * `"patch"`, as in browsers and Node); `CONNECT`, `TRACE` and `TRACK` are forbidden.
 *
 * @module
 */

/** RFC 9110 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NORMALIZED = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
const FORBIDDEN = new Set(["CONNECT", "TRACE", "TRACK"]);

/**
 * Normalizes a `RequestInit.method` as Fetch does.
 *
 * @param method - The method as given.
 * @returns The method to send.
 * @throws TypeError for a name that is not a token or is forbidden (`fetch()` rejects with it).
 * @internal
 */
export function normalizeFetchMethod(method: string): string {
  if (method === "GET" || method === "POST") return method;
  if (!TOKEN.test(method)) throw new TypeError(`'${method}' is not a valid HTTP method.`);
  const upper = method.toUpperCase();
  if (FORBIDDEN.has(upper)) throw new TypeError(`'${method}' HTTP method is unsupported.`);
  return NORMALIZED.has(upper) ? upper : method;
}
