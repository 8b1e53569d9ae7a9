/**
 * The state one request shares with the requests before and after it: the cookie jar, the HTTP
 * cache and server logins, as one request's run sees them. The run asks it at four points — before
 * the first hop (answer from the cache?), as each hop is sent (which headers to add), as each
 * response head arrives (store cookies, log in, serve a validated response) and as the request
 * succeeds (store or invalidate) — and otherwise knows nothing of cookies, caches or logins.
 *
 * @module
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { concatBytes } from "../client/wire/bytes.ts";
import { formatUrl, originOf } from "../client/url.ts";
import { getHeaderValues, hasHeader } from "../client/wire/headers.ts";
import type { CookieJar } from "../session/cookie-jar.ts";
import type { CachedResponse } from "../session/cache-store.ts";
import {
  basicAuthorization,
  isSupportedDigest,
  parseAuthChallenges,
  type AuthChallenge,
  type AuthCredentials,
  type DigestAuth,
} from "../session/http-auth.ts";
import type { CacheDecision, CacheMode, CacheRequest, HTTPCache } from "../session/http-cache.ts";
import { verbOf } from "../status/method.ts";
import { askAuthLogin, MAX_AUTH_LOGIN_ATTEMPTS, type AuthLoginHandler } from "./auth-login.ts";
import type { Hop } from "./request-plan.ts";

/**
 * Where the response of the current (or last) request came from, as far as an HTTP cache goes:
 * - `"none"`: no cache was attached (or the request bypassed it: a range, a conditional header of its own);
 * - `"miss"`: the cache had nothing usable; the answer came from the network (and may have been stored);
 * - `"hit"`: the stored response was delivered without sending anything for it (no connection
 *   opened; within `stale-while-revalidate` a validation goes out in the background);
 * - `"validated"`: a conditional request was answered 304 and the stored body delivered;
 * - `"stale"`: validation failed with a 5xx and `stale-if-error` let the stored response be delivered.
 */
export type CacheOutcome = "none" | "miss" | "hit" | "validated" | "stale";

/** The Fetch cache modes, for checking `RequestOptions.cache`. @internal */
export const CACHE_MODES: ReadonlySet<string> = new Set<CacheMode>([
  "default",
  "no-store",
  "reload",
  "no-cache",
  "force-cache",
  "only-if-cached",
]);

/**
 * Fetch's `credentials`, for the cookie jar and server logins: `"include"` (the default) sends and
 * stores cookies and answers 401s on every hop; `"same-origin"` only on hops to the origin of the
 * request's first URL; `"omit"` never.
 */
export type CredentialsMode = "omit" | "same-origin" | "include";

/** The credentials modes, for checking `RequestOptions.credentials`. @internal */
export const CREDENTIALS_MODES: ReadonlySet<string> = new Set<CredentialsMode>(["omit", "same-origin", "include"]);

/** What a request is given for state across requests, fixed when it starts. @internal */
export interface SessionSettings {
  /** The cookie jar, or null: no `Cookie` sent, no `Set-Cookie` stored. */
  readonly jar: CookieJar | null;
  /** The HTTP cache, or null. */
  readonly cache: HTTPCache | null;
  /** The request's Fetch cache mode. */
  readonly cacheMode: CacheMode;
  /** The server login handler, or null. */
  readonly login: AuthLoginHandler | null;
  /** Which hops cookies and logins apply to. */
  readonly credentials: CredentialsMode;
  /** Digest nonce counts, kept by the node across requests. */
  readonly digest: DigestAuth;
  /** The date now, in milliseconds since the epoch (the tree's date). */
  readonly now: () => number;
}

/** How a request begins. @internal */
export type SessionStart =
  | { readonly kind: "network" }
  | { readonly kind: "cached"; readonly code: number; readonly headers: string[]; readonly body: Uint8Array }
  | { readonly kind: "fail"; readonly reason: string };

/** What a response head means, as far as state across requests goes. @internal */
export type HeadVerdict =
  | { readonly kind: "final" }
  | { readonly kind: "retry" }
  | { readonly kind: "cached"; readonly code: number; readonly headers: string[]; readonly body: Uint8Array };

/** Request header fields that make the request the caller's own conditional or partial request: the cache stays out of it. */
const OWN_CONDITIONALS = ["if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range", "range"];
const NETWORK: SessionStart = { kind: "network" };
const FINAL: HeadVerdict = { kind: "final" };
const RETRY: HeadVerdict = { kind: "retry" };

/**
 * One request's view of the cookie jar, the HTTP cache and server logins.
 *
 * @internal
 */
export class RequestSession {
  /** Where the response came from (see {@link CacheOutcome}). */
  outcome: CacheOutcome = "none";
  readonly #settings: SessionSettings;
  readonly #first: Hop;
  /** The cache key: the first hop's URL. */
  readonly #key: string;
  readonly #verb: string;
  /** The site of the first URL, for `SameSite` on every hop. */
  readonly #site: string | undefined;
  /** The origin of the first URL, for `credentials: "same-origin"`. */
  readonly #origin: string;
  #decision: CacheDecision | null = null;
  #requestTime = 0;
  #responseTime = 0;
  #login: { readonly origin: string; readonly challenge: AuthChallenge; readonly credentials: AuthCredentials } | null = null;
  #attempts = 0;
  #captured: Uint8Array[] | null = null;
  #capturedBytes = 0;
  /** True while the current response is one the cache may store (judged from its head). */
  #keep = false;

  /**
   * @param settings - The jar, cache, mode, login handler and clock.
   * @param first - The request's first hop.
   * @param ranged - True when the request asks for a range (the cache stays out of it).
   */
  constructor(settings: SessionSettings, first: Hop, ranged: boolean) {
    this.#settings = settings;
    this.#first = first;
    this.#key = formatUrl(first.url);
    this.#verb = verbOf(first.method) ?? "GET";
    this.#site = settings.jar?.siteFor(first.url);
    this.#origin = originOf(first.url);
    if (settings.cache !== null && !ranged && !OWN_CONDITIONALS.some((name) => hasHeader(first.headers, name))) {
      this.#decision = settings.cache.decide(this.#cacheRequest(), settings.cacheMode, settings.now());
    }
  }

  /**
   * How the request begins: from the network, from the cache (nothing is sent), or not at all
   * (`only-if-cached` with nothing stored).
   *
   * @returns The start.
   */
  start(): SessionStart {
    this.#requestTime = this.#settings.now();
    const decision = this.#decision;
    if (decision === null) {
      if (this.#settings.cacheMode !== "only-if-cached") return NETWORK;
      this.outcome = "miss";
      return {
        kind: "fail",
        reason:
          this.#settings.cache === null ? "only-if-cached: no HTTP cache is attached" : "only-if-cached: this request bypasses the cache",
      };
    }
    this.outcome = "miss";
    if (decision.action === "fail") return { kind: "fail", reason: decision.reason };
    if (decision.action !== "use") return NETWORK;
    this.outcome = "hit";
    return { kind: "cached", ...this.#served(decision.response, [...decision.headers]) };
  }

  /**
   * The cache key to validate in the background: set when the request began with a stale stored
   * response that `stale-while-revalidate` let it deliver at once; null otherwise.
   */
  backgroundValidationKey(): string | null {
    const decision = this.#decision;
    return decision?.action === "use" && decision.revalidate && this.outcome === "hit" ? this.#key : null;
  }

  /**
   * The header lines to send with a hop: its own, plus `Cookie` from the jar (unless the caller gave
   * one), `Authorization` when a login was answered for the hop's origin, and the validators when
   * the hop validates a stored response.
   *
   * @param hop - The hop being sent.
   * @returns The lines (the hop's own array when nothing is added).
   */
  headersFor(hop: Hop): readonly string[] {
    const credentials = this.#credentialsFor(hop);
    const jar = credentials ? this.#settings.jar : null;
    const login = credentials && this.#login !== null && originOf(hop.url) === this.#login.origin ? this.#login : null;
    const validate =
      this.#decision?.action === "validate" && hop.method === this.#first.method && formatUrl(hop.url) === this.#key
        ? this.#decision.conditionalHeaders
        : null;
    if (jar === null && login === null && validate === null) return hop.headers;
    const verb = verbOf(hop.method) ?? "GET";
    let lines = [...hop.headers];
    if (jar !== null && !hasHeader(lines, "cookie")) {
      const site = this.#site;
      const value = jar.getCookieHeader(
        hop.url,
        this.#settings.now(),
        site === undefined ? { method: verb } : { siteForCookies: site, method: verb },
      );
      if (value !== "") lines.push(`Cookie: ${value}`);
    }
    if (login !== null) {
      lines = lines.filter((line) => !/^authorization\s*:/i.test(line));
      const value =
        login.challenge.scheme === "digest"
          ? this.#settings.digest.authorize(login.challenge, login.credentials, { method: verb, uri: hop.url.path })
          : basicAuthorization(login.credentials);
      lines.push(`Authorization: ${value}`);
    }
    if (validate !== null) lines.push(...validate);
    return lines;
  }

  /**
   * Takes a response head: stores its cookies; a 401 with a challenge the login handler answers
   * means send the hop again; a 304 to a validation means deliver the stored response.
   *
   * @param hop - The hop it answers.
   * @param code - Its status.
   * @param headers - Its header lines.
   * @returns What to do.
   */
  onHead(hop: Hop, code: number, headers: readonly string[]): HeadVerdict {
    const now = this.#settings.now();
    this.#responseTime = now;
    if (this.#credentialsFor(hop)) this.#settings.jar?.storeResponseCookies(hop.url, headers, now);
    if (code === 401 && this.#loginFor(hop, headers)) return RETRY;
    const decision = this.#decision;
    const cache = this.#settings.cache;
    if (cache !== null) {
      const url = formatUrl(hop.url);
      cache.invalidate(verbOf(hop.method) ?? "GET", url, code, headers); // an unsafe method's non-error answer, redirects too
      this.#keep =
        decision !== null &&
        this.#verb === "GET" &&
        url === this.#key &&
        (decision.action === "validate" || (decision.action === "fetch" && decision.store)) &&
        cache.mayStore(this.#cacheRequest(), code, headers);
      this.#captured = null;
      this.#capturedBytes = 0;
    }
    if (decision?.action === "validate" && formatUrl(hop.url) === this.#key) {
      const cache = this.#settings.cache;
      if (code === 304 && cache !== null) {
        this.outcome = "validated";
        const refreshed = cache.refresh(decision.response, headers, this.#requestTime, now);
        return { kind: "cached", ...this.#served(refreshed, cache.deliveredHeaders(refreshed, now)) };
      }
      if (code >= 500 && decision.staleIfError && cache !== null) {
        this.outcome = "stale";
        return { kind: "cached", ...this.#served(decision.response, cache.deliveredHeaders(decision.response, now)) };
      }
    }
    return FINAL;
  }

  /** True when the current response's body should be kept for the cache (pass streamed pieces to {@link RequestSession.capture}). */
  wantsBody(): boolean {
    return this.#keep;
  }

  /**
   * Keeps a copy of a streamed body piece for the cache; past the cache's `maxEntryBytes` the copy
   * is dropped and the response will not be stored.
   *
   * @param piece - The piece (a view valid only now).
   */
  capture(piece: Uint8Array): void {
    if (!this.#keep) return;
    this.#capturedBytes += piece.length;
    if (this.#capturedBytes > (this.#settings.cache?.maxEntryBytes ?? 0)) {
      this.#keep = false;
      this.#captured = null;
      return;
    }
    (this.#captured ??= []).push(piece.slice());
  }

  /**
   * The request succeeded with a response from the network: stores it when the cache allows it
   * (unsafe methods invalidated as each head arrived).
   *
   * @param hop - The hop that got it.
   * @param code - Its status.
   * @param headers - Its header lines.
   * @param body - The body kept in memory (empty when it went to a file or to `bodyData`).
   * @param file - The download file, or `""`.
   */
  succeeded(hop: Hop, code: number, headers: readonly string[], body: Uint8Array, file: string): void {
    const cache = this.#settings.cache;
    if (cache === null || !this.#keep || formatUrl(hop.url) !== this.#key) return;
    let bytes = body;
    if (file !== "" && code >= 200 && code < 300 && code !== 204 && code !== 205) {
      // the body went to the file (an error page does not)
      try {
        if (statSync(file).size > cache.maxEntryBytes) return;
        bytes = readFileSync(file);
      } catch {
        return; // the file is gone already: nothing to store
      }
    } else if (this.#captured !== null) {
      bytes = concatBytes(this.#captured);
    }
    this.#captured = null;
    cache.store(this.#cacheRequest(), code, headers, bytes, this.#requestTime, this.#responseTime);
  }

  /** True when cookies and logins apply to a hop under the request's credentials mode. */
  #credentialsFor(hop: Hop): boolean {
    const mode = this.#settings.credentials;
    return mode === "include" || (mode === "same-origin" && originOf(hop.url) === this.#origin);
  }

  #cacheRequest(): CacheRequest {
    return { method: this.#verb, url: this.#key, headers: this.#first.headers };
  }

  /** A stored response as delivered: a HEAD gets no body. */
  #served(response: CachedResponse, headers: string[]): { code: number; headers: string[]; body: Uint8Array } {
    return { code: response.status, headers, body: this.#verb === "HEAD" ? new Uint8Array(0) : response.body };
  }

  /** Asks the login handler after a 401; true when it gave credentials to send the hop again with. */
  #loginFor(hop: Hop, headers: readonly string[]): boolean {
    const handler = this.#settings.login;
    if (handler === null || !this.#credentialsFor(hop) || this.#attempts >= MAX_AUTH_LOGIN_ATTEMPTS || !(hop.body instanceof Uint8Array))
      return false;
    const challenges = parseAuthChallenges(getHeaderValues(headers, "www-authenticate"));
    const challenge = challenges.find(isSupportedDigest) ?? challenges.find((c) => c.scheme === "basic");
    if (challenge === undefined) return false;
    this.#attempts++;
    const credentials = askAuthLogin(handler, {
      url: formatUrl(hop.url),
      host: hop.url.host,
      port: hop.url.port,
      scheme: challenge.scheme === "digest" ? "digest" : "basic",
      realm: challenge.params.get("realm") ?? "",
      attempt: this.#attempts,
    });
    if (credentials === null) return false;
    this.#login = { origin: originOf(hop.url), challenge, credentials };
    return true;
  }
}

/**
 * Puts a cached body into a download file: a file that already holds exactly these bytes is left
 * untouched (not even rewritten); otherwise the bytes go to a temporary file renamed over it.
 *
 * @param path - The download file.
 * @param body - The body.
 * @returns null, or why the file could not be written.
 * @internal
 */
export function writeCachedFile(path: string, body: Uint8Array): string | null {
  try {
    if (existsSync(path) && statSync(path).size === body.length && Buffer.from(body).equals(readFileSync(path))) return null;
  } catch {
    // unreadable: write it
  }
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    const fd = openSync(temp, "w");
    try {
      for (let written = 0; written < body.length; ) written += writeSync(fd, body, written, body.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    return null;
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // not created
    }
    return error instanceof Error ? error.message : String(error);
  }
}
