import { formatUrl } from "../client/url.ts";
import { Method, verbOf } from "../status/method.ts";
import { Result } from "../status/result.ts";
import type { RedirectMode } from "./request-settings.ts";
import { findLocation, isRedirectStatus, planRedirect } from "./redirect-policy.ts";
import type { Hop } from "./request-plan.ts";

const EMPTY = new Uint8Array(0);

/** What a response head means for the request. */
export type RedirectDecision =
  /** Not a redirect to follow (no redirect status, or no `Location`): the response is final. */
  | { readonly kind: "final" }
  /** End the request. */
  | { readonly kind: "fail"; readonly result: Result; readonly reason: string }
  /** Go on to `next`; `drain` when the 3xx body should be read so the connection carries it. */
  | { readonly kind: "follow"; readonly next: Hop; readonly drain: boolean; readonly method: string; readonly url: string };

/** The response head and the state a redirect decision needs. */
export interface RedirectSituation {
  /** The response code. */
  readonly code: number;
  /** The response header lines. */
  readonly headers: readonly string[];
  /** The hop that got this response. */
  readonly hop: Hop;
  /** Redirects followed so far. */
  readonly redirects: number;
  /** The node's `maxRedirects` (-1: no limit). */
  readonly maxRedirects: number;
  /** The node's `redirectMode`. */
  readonly mode: RedirectMode;
  /** True when the 3xx body is framed (a length or chunked), so it can be drained off the connection. */
  readonly bodyFramed: boolean;
}

/**
 * Decides what a response head does: RFC 9110 redirect rules (through `planRedirect`), the
 * redirect limit, `redirectMode` `"error"`, and streamed bodies that cannot be sent again. The 3xx
 * body is drained only when that lets the next hop reuse the connection: same origin and a framed
 * body; otherwise a slow or close-delimited body would hold the redirect up.
 *
 * @param situation - The response and the request's state.
 * @returns The decision.
 * @internal
 */
/** The decision for a response that is not a redirect to follow (one object for all of them). */
export const FINAL: RedirectDecision = { kind: "final" };

export function decideRedirect(situation: RedirectSituation): RedirectDecision {
  const { code, hop } = situation;
  if (!isRedirectStatus(code)) return FINAL;
  const plan = planRedirect({
    statusCode: code,
    method: verbOf(hop.method) ?? "GET",
    body: hop.body instanceof Uint8Array ? hop.body : EMPTY,
    headers: hop.headers,
    from: hop.url,
    location: findLocation(situation.headers),
  });
  if (!plan.ok) {
    if (plan.kind === "no-location") return FINAL;
    return { kind: "fail", result: Result.RESULT_REQUEST_FAILED, reason: `cannot follow the redirect: ${plan.reason}` };
  }
  if (situation.maxRedirects >= 0 && situation.redirects >= situation.maxRedirects) {
    return { kind: "fail", result: Result.RESULT_REDIRECT_LIMIT_REACHED, reason: `more than ${situation.maxRedirects} redirects` };
  }
  if (!(hop.body instanceof Uint8Array) && plan.body !== undefined) {
    return {
      kind: "fail",
      result: Result.RESULT_REQUEST_FAILED,
      reason: `cannot follow the ${code} redirect: a streamed body cannot be sent again`,
    };
  }
  const url = formatUrl(plan.url);
  if (situation.mode === "error") {
    return {
      kind: "fail",
      result: Result.RESULT_REDIRECT_LIMIT_REACHED,
      reason: `redirect ${code} to ${url} refused: redirectMode is "error"`,
    };
  }
  const method = plan.method === "HEAD" ? Method.METHOD_HEAD : plan.method === "GET" ? Method.METHOD_GET : hop.method;
  const next: Hop = { url: plan.url, method, headers: plan.headers, body: plan.body ?? EMPTY };
  return { kind: "follow", next, drain: plan.sameOrigin && situation.bodyFramed, method: plan.method, url };
}
