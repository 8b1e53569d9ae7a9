import { requestFailure, type RequestFailure } from "./wire-failure.ts";

/** Host and port of an authority-form target (`CONNECT host:port`), IPv6 literals in brackets. */
const AUTHORITY_FORM = /^(?:\[[0-9A-Fa-f:.]+\]|[^\s:/?#@[\]]+):[0-9]{1,5}$/;
const ABSOLUTE_FORM = /^https?:\/\//i;

/**
 * Checks a request target against the forms Godot accepts (RFC 9112 §3.2) and the bytes HTTP
 * allows: origin form (`/path?query`) or absolute form (`http://…`, `https://…`) for every method,
 * `*` (asterisk form) only for OPTIONS, and for CONNECT only (and always) the authority form
 * `host:port`. Every character must be in 0x21–0xFF: no space, control character, CR, LF or NUL
 * (characters above 0xFF are allowed and sent as UTF-8, whose bytes are all ≥ 0x80).
 *
 * @param method - the request verb, e.g. `"GET"`
 * @param target - the request target as it will be written on the request line
 * @returns the failure (code `invalid-target`, the caller at fault), or `null` when it is acceptable
 */
export function validateRequestTarget(method: string, target: string): RequestFailure | null {
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return forbiddenCharacter(c, i);
  }
  return checkForm(method, target);
}

/**
 * The request target of a URL as a client is given it: its text before any `#fragment` (a
 * fragment is never sent, RFC 9110 §7.1), checked as {@link validateRequestTarget} checks a
 * target. One pass finds the fragment and checks the characters before it.
 *
 * @param method - the request verb, e.g. `"GET"`
 * @param url - the target as the caller gave it, perhaps with a fragment
 * @returns the target to write on the request line, or the failure (code `invalid-target`)
 *
 * @internal
 */
export function requestTargetOf(method: string, url: string): string | RequestFailure {
  let end = url.length;
  for (let i = 0; i < end; i++) {
    const c = url.charCodeAt(i);
    if (c === 0x23) end = i;
    else if (c <= 0x20 || c === 0x7f) return forbiddenCharacter(c, i);
  }
  const target = end === url.length ? url : url.slice(0, end);
  return checkForm(method, target) ?? target;
}

/** The form checks of {@link validateRequestTarget}, on a target whose characters are fine. */
function checkForm(method: string, target: string): RequestFailure | null {
  if (target.length === 0) return refuseTarget("the request target is empty");
  if (method === "CONNECT") {
    if (!AUTHORITY_FORM.test(target)) return refuseTarget("a CONNECT request target must be host:port");
    return null;
  }
  if (target === "*") {
    return method === "OPTIONS" ? null : refuseTarget("the request target * is only allowed with OPTIONS");
  }
  if (target.charCodeAt(0) === 0x2f || ABSOLUTE_FORM.test(target)) return null;
  return refuseTarget("the request target must start with /, http:// or https://");
}

function forbiddenCharacter(c: number, index: number): RequestFailure {
  return refuseTarget(`the request target contains a forbidden character (0x${c.toString(16).padStart(2, "0")}) at index ${index}`);
}

function refuseTarget(reason: string): RequestFailure {
  return requestFailure("invalid-target", reason);
}
