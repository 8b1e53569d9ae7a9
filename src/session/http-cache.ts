/**
 * A private HTTP cache (RFC 9111) with the Fetch `cache` modes. It decides; the request run acts:
 * before a request, {@link HTTPCache.decide} says whether to answer from the cache, to validate a
 * stored response with a conditional request, or to go to the network; after the response,
 * {@link HTTPCache.store}, {@link HTTPCache.refresh} (a 304) and {@link HTTPCache.invalidate} keep
 * it up to date. Time is never read here: every call takes `now` in milliseconds since the epoch,
 * so ages and freshness follow the caller's clock (a tree's time in a simulation).
 *
 * @module
 */
import { getHeaderValue, getHeaderValues } from "../client/wire/headers.ts";
import { parseCacheControl, deltaSeconds, type CacheDirectives } from "./cache-control.ts";
import { MemoryCacheStore, type CachedResponse, type CacheStore } from "./cache-store.ts";

/** The Fetch `cache` modes (`RequestInit.cache`). */
export type CacheMode = "default" | "no-store" | "reload" | "no-cache" | "force-cache" | "only-if-cached";

/** What the cache needs to know of a request. */
export interface CacheRequest {
  /** The method, upper-case. */
  readonly method: string;
  /** The absolute URL (the cache key). */
  readonly url: string;
  /** The request's header lines (`"Name: value"`). */
  readonly headers: readonly string[];
}

/** What to do with a request, from {@link HTTPCache.decide}. */
export type CacheDecision =
  | {
      /** Answer from the cache; open no connection. */
      readonly action: "use";
      /** The stored response. */
      readonly response: CachedResponse;
      /** Its header lines as to be delivered, with a current `Age`. */
      readonly headers: readonly string[];
      /** True when it is stale (served by `force-cache`, `only-if-cached`, `max-stale` or `stale-while-revalidate`). */
      readonly stale: boolean;
      /** True when `stale-while-revalidate` allows it while a validation should be made in the background. */
      readonly revalidate: boolean;
    }
  | {
      /** Send a conditional request; a 304 answer means: use `response`, refreshed. */
      readonly action: "validate";
      /** The stored response to validate. */
      readonly response: CachedResponse;
      /** The header lines to add to the request (`If-None-Match`, `If-Modified-Since`). */
      readonly conditionalHeaders: readonly string[];
      /** True when the stored response may still be served if the validation fails (`stale-if-error`). */
      readonly staleIfError: boolean;
    }
  | {
      /** Go to the network. */
      readonly action: "fetch";
      /** Whether a storable answer may be stored (false for `no-store`). */
      readonly store: boolean;
    }
  | {
      /** Fail without touching the network (`only-if-cached` with nothing stored). */
      readonly action: "fail";
      /** Why. */
      readonly reason: string;
    };

/** Settings of an {@link HTTPCache}. */
export interface HTTPCacheOptions {
  /** Where responses are kept; an in-memory store of 64 MiB by default. */
  readonly store?: CacheStore;
  /** The longest heuristic freshness (10 % of the time since `Last-Modified`), in seconds. Default one day. */
  readonly maxHeuristicSeconds?: number;
  /** The largest body stored, in bytes; larger answers are delivered but not stored. Default 64 MiB. */
  readonly maxEntryBytes?: number;
}

/** Status codes a cache may store with heuristic freshness (RFC 9110 §15.1). */
const HEURISTIC_STATUSES = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);
/** Status codes a cache understands well enough to store at all. */
const STORABLE_STATUSES = new Set([...HEURISTIC_STATUSES, 302, 303, 307, 400, 403, 500, 502, 503, 504]);
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);
/** Header fields a 304 may not change in the stored response (RFC 9111 §3.2). */
const KEEP_ON_UPDATE = new Set(["content-length", "content-encoding", "transfer-encoding", "content-range", "connection"]);

function parseHttpDate(value: string | undefined): number | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

function directivesOf(headers: readonly string[]): CacheDirectives {
  return parseCacheControl(getHeaderValues(headers, "cache-control"));
}

/** What is derived from a stored response's own fields, worked out once per response object (they are never changed). */
interface StoredFacts {
  /** Its `Cache-Control` directives. */
  readonly directives: CacheDirectives;
  /** Its corrected initial age (RFC 9111 §4.2.3), ms. */
  readonly initialAge: number;
  /** Its freshness lifetime per heuristic cap. */
  readonly lifetimes: Map<number, number>;
}

const FACTS = new WeakMap<CachedResponse, StoredFacts>();

function factsOf(response: CachedResponse): StoredFacts {
  let facts = FACTS.get(response);
  if (facts === undefined) {
    const date = parseHttpDate(getHeaderValue(response.headers, "date")) ?? response.responseTime;
    const ageHeader = Number(getHeaderValue(response.headers, "age") ?? "0");
    const ageValue = Number.isFinite(ageHeader) && ageHeader > 0 ? ageHeader * 1000 : 0;
    const apparentAge = Math.max(0, response.responseTime - date);
    const responseDelay = Math.max(0, response.responseTime - response.requestTime);
    facts = {
      directives: directivesOf(response.headers),
      initialAge: Math.max(apparentAge, ageValue + responseDelay),
      lifetimes: new Map(),
    };
    FACTS.set(response, facts);
  }
  return facts;
}

/** The request header lines that `Vary` names, normalised for comparison. */
function varyKey(varyNames: readonly string[], requestHeaders: readonly string[]): string[] {
  return varyNames.map((name) =>
    `${name}: ${getHeaderValues(requestHeaders, name)
      .map((v) => v.trim())
      .join(", ")}`.trimEnd(),
  );
}

function varyNamesOf(responseHeaders: readonly string[]): string[] {
  return getHeaderValues(responseHeaders, "vary")
    .flatMap((v) => v.split(","))
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v !== "");
}

/**
 * The age of a stored response now, in milliseconds (RFC 9111 §4.2.3).
 *
 * @param response - The stored response.
 * @param now - The current time (ms since the epoch).
 * @returns Its current age.
 */
export function currentAge(response: CachedResponse, now: number): number {
  return factsOf(response).initialAge + Math.max(0, now - response.responseTime);
}

/**
 * How long a stored response stays fresh, in milliseconds (RFC 9111 §4.2.1): `max-age`, else
 * `Expires` − `Date`, else 10 % of the time since `Last-Modified` for statuses that allow it.
 *
 * @param response - The stored response.
 * @param maxHeuristicMs - The cap of the heuristic.
 * @returns The freshness lifetime (0 when it must be validated before use).
 */
export function freshnessLifetime(response: CachedResponse, maxHeuristicMs = 86_400_000): number {
  const facts = factsOf(response);
  let lifetime = facts.lifetimes.get(maxHeuristicMs);
  if (lifetime === undefined) {
    lifetime = computeLifetime(response, facts.directives, maxHeuristicMs);
    facts.lifetimes.set(maxHeuristicMs, lifetime);
  }
  return lifetime;
}

function computeLifetime(response: CachedResponse, cc: CacheDirectives, maxHeuristicMs: number): number {
  const maxAge = deltaSeconds(cc, "max-age");
  if (maxAge !== undefined) return maxAge * 1000;
  const date = parseHttpDate(getHeaderValue(response.headers, "date")) ?? response.responseTime;
  const expiresText = getHeaderValue(response.headers, "expires");
  if (expiresText !== undefined) {
    const expires = parseHttpDate(expiresText);
    return expires === null ? 0 : Math.max(0, expires - date);
  }
  const lastModified = parseHttpDate(getHeaderValue(response.headers, "last-modified"));
  if (lastModified !== null && HEURISTIC_STATUSES.has(response.status)) {
    return Math.min(maxHeuristicMs, Math.max(0, Math.floor((date - lastModified) / 10)));
  }
  return 0;
}

/**
 * A private HTTP cache: see the module comment for how a request run uses it.
 *
 * @example
 * ```ts
 * const cache = new HTTPCache();
 * const request = { method: "GET", url: "http://example.com/a", headers: [] };
 * const now = Date.UTC(2026, 0, 1);
 * cache.store(request, 200, ["Cache-Control: max-age=60"], new TextEncoder().encode("hi"), now, now);
 * cache.decide(request, "default", now + 30_000).action; // "use"
 * cache.decide(request, "default", now + 61_000).action; // "fetch" (stale, no validator)
 * ```
 */
export class HTTPCache {
  readonly #store: CacheStore;
  readonly #maxHeuristicMs: number;
  /** The largest body stored, in bytes ({@link HTTPCacheOptions.maxEntryBytes}). */
  readonly maxEntryBytes: number;

  /**
   * Creates a cache.
   *
   * @param options - The store and the heuristic cap.
   */
  constructor(options: HTTPCacheOptions = {}) {
    this.#store = options.store ?? new MemoryCacheStore();
    this.#maxHeuristicMs = (options.maxHeuristicSeconds ?? 86_400) * 1000;
    this.maxEntryBytes = Math.max(0, Math.floor(options.maxEntryBytes ?? 64 * 1024 * 1024));
  }

  /** The store responses are kept in. */
  getStore(): CacheStore {
    return this.#store;
  }

  /**
   * Decides how to answer a request.
   *
   * @param request - The request.
   * @param mode - The Fetch cache mode.
   * @param now - The current time (ms since the epoch).
   * @returns Use a stored response, validate one, fetch, or fail (`only-if-cached` with nothing stored).
   */
  decide(request: CacheRequest, mode: CacheMode, now: number): CacheDecision {
    const requestCc = directivesOf(request.headers);
    const pragmaNoCache = getHeaderValues(request.headers, "pragma").some((v) => /(^|,)\s*no-cache\s*(,|$)/i.test(v));
    let effective = mode;
    if (requestCc.has("no-store")) effective = "no-store";
    else if (requestCc.has("only-if-cached")) effective = "only-if-cached";
    const cacheable = request.method === "GET" || request.method === "HEAD";
    if (effective === "no-store" || !cacheable) return { action: "fetch", store: effective !== "no-store" };
    if (effective === "reload") return { action: "fetch", store: true };

    const stored = this.#select(request);
    if (stored === undefined) {
      return effective === "only-if-cached"
        ? { action: "fail", reason: "only-if-cached: nothing stored for this request" }
        : { action: "fetch", store: true };
    }
    if (effective === "force-cache" || effective === "only-if-cached") {
      const fresh = this.#isFresh(stored, now, requestCc);
      return this.#use(stored, now, !fresh, false);
    }
    const responseCc = factsOf(stored).directives;
    const lifetime = freshnessLifetime(stored, this.#maxHeuristicMs);
    const age = currentAge(stored, now);
    // `immutable`: while fresh, not even a reload (request no-cache, max-age=0) revalidates it.
    if (responseCc.has("immutable") && !responseCc.has("no-cache") && effective === "default" && age < lifetime) {
      return this.#use(stored, now, false, false);
    }
    const mustValidate = effective === "no-cache" || requestCc.has("no-cache") || pragmaNoCache || responseCc.has("no-cache");
    if (!mustValidate) {
      if (this.#isFresh(stored, now, requestCc)) return this.#use(stored, now, false, false);
      const noStale = responseCc.has("must-revalidate");
      const maxStale = requestCc.get("max-stale");
      if (!noStale && maxStale !== undefined) {
        const allowed = maxStale === true ? Number.POSITIVE_INFINITY : (deltaSeconds(requestCc, "max-stale") ?? 0) * 1000;
        if (age - lifetime <= allowed) return this.#use(stored, now, true, false);
      }
      const swr = deltaSeconds(responseCc, "stale-while-revalidate");
      if (!noStale && swr !== undefined && age >= lifetime && age - lifetime <= swr * 1000) return this.#use(stored, now, true, true);
    }
    const conditional: string[] = [];
    const etag = getHeaderValue(stored.headers, "etag");
    const lastModified = getHeaderValue(stored.headers, "last-modified");
    if (etag !== undefined) conditional.push(`If-None-Match: ${etag}`);
    if (lastModified !== undefined) conditional.push(`If-Modified-Since: ${lastModified}`);
    if (conditional.length === 0) return { action: "fetch", store: true };
    const sie = deltaSeconds(responseCc, "stale-if-error") ?? deltaSeconds(requestCc, "stale-if-error");
    const staleIfError = !responseCc.has("must-revalidate") && sie !== undefined && age - lifetime <= sie * 1000;
    return { action: "validate", response: stored, conditionalHeaders: conditional, staleIfError };
  }

  /**
   * Stores a response when RFC 9111 §3 allows it.
   *
   * @param request - The request it answers.
   * @param status - Its status code.
   * @param headers - Its header lines.
   * @param body - Its body, decoded.
   * @param requestTime - When the request was sent (ms since the epoch).
   * @param responseTime - When the head arrived (ms since the epoch).
   * @returns True when it was stored.
   */
  store(
    request: CacheRequest,
    status: number,
    headers: readonly string[],
    body: Uint8Array,
    requestTime: number,
    responseTime: number,
  ): boolean {
    if (body.length > this.maxEntryBytes || !this.mayStore(request, status, headers)) return false;
    const varyNames = varyNamesOf(headers);
    const response: CachedResponse = {
      url: request.url,
      status,
      headers: [...headers],
      body,
      requestTime,
      responseTime,
      varyHeaders: varyKey(varyNames, request.headers),
    };
    const others = this.#store.get(request.url).filter((v) => v.varyHeaders.join("\n") !== response.varyHeaders.join("\n"));
    return this.#store.set(request.url, [response, ...others]);
  }

  /**
   * Whether RFC 9111 §3 lets a response be stored, judged from its head alone (so a caller can tell
   * before the body arrives whether to keep a copy of it): a GET, no `no-store`, a status a cache
   * understands, explicit freshness or a validator, no `Vary: *`.
   *
   * @param request - The request it answers.
   * @param status - Its status code.
   * @param headers - Its header lines.
   * @returns True when {@link HTTPCache.store} would store it (a body within `maxEntryBytes`).
   */
  mayStore(request: CacheRequest, status: number, headers: readonly string[]): boolean {
    if (request.method !== "GET") return false;
    const requestCc = directivesOf(request.headers);
    const responseCc = directivesOf(headers);
    if (requestCc.has("no-store") || responseCc.has("no-store")) return false;
    if (!STORABLE_STATUSES.has(status)) return false;
    const explicit =
      responseCc.has("max-age") ||
      responseCc.has("public") ||
      responseCc.has("private") ||
      getHeaderValue(headers, "expires") !== undefined;
    const heuristic = HEURISTIC_STATUSES.has(status);
    const validator = getHeaderValue(headers, "etag") !== undefined || getHeaderValue(headers, "last-modified") !== undefined;
    if (!explicit && !(heuristic && (validator || responseCc.has("no-cache")))) return false;
    return !varyNamesOf(headers).includes("*");
  }

  /**
   * Refreshes a stored response with the header fields of a 304 (RFC 9111 §4.3.4) and stores it.
   *
   * @param stored - The response that was validated (from the `validate` decision).
   * @param headers - The 304's header lines.
   * @param requestTime - When the conditional request was sent.
   * @param responseTime - When the 304 arrived.
   * @returns The refreshed response, with its headers as to be delivered.
   */
  refresh(stored: CachedResponse, headers: readonly string[], requestTime: number, responseTime: number): CachedResponse {
    const updated = new Map<string, string[]>();
    for (const line of headers) {
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      if (KEEP_ON_UPDATE.has(name)) continue;
      const list = updated.get(name) ?? [];
      list.push(line);
      updated.set(name, list);
    }
    const merged: string[] = [];
    for (const line of stored.headers) {
      const name = line
        .slice(0, Math.max(0, line.indexOf(":")))
        .trim()
        .toLowerCase();
      if (!updated.has(name)) merged.push(line);
    }
    for (const lines of updated.values()) merged.push(...lines);
    const refreshed: CachedResponse = { ...stored, headers: merged, requestTime, responseTime };
    const others = this.#store.get(stored.url).filter((v) => v.varyHeaders.join("\n") !== stored.varyHeaders.join("\n"));
    if (!directivesOf(merged).has("no-store")) this.#store.set(stored.url, [refreshed, ...others]);
    return refreshed;
  }

  /**
   * The headers to deliver a stored response with: its own, with `Age` set to its current age.
   *
   * @param response - The stored response.
   * @param now - The current time (ms since the epoch).
   * @returns The header lines.
   */
  deliveredHeaders(response: CachedResponse, now: number): string[] {
    const age = Math.floor(currentAge(response, now) / 1000);
    return [...response.headers.filter((l) => !/^age\s*:/i.test(l)), `Age: ${age}`];
  }

  /**
   * Invalidates what an unsafe request may have changed (RFC 9111 §4.4): after a non-error answer to
   * a method other than GET, HEAD, OPTIONS or TRACE, the request URL and the same-origin `Location`
   * and `Content-Location` URLs.
   *
   * @param method - The request method.
   * @param url - The absolute request URL.
   * @param status - The response status.
   * @param headers - The response's header lines.
   * @returns How many keys were removed.
   */
  invalidate(method: string, url: string, status: number, headers: readonly string[]): number {
    if (SAFE_METHODS.has(method.toUpperCase()) || status < 200 || status >= 400) return 0;
    const targets = [url];
    for (const name of ["location", "content-location"]) {
      const value = getHeaderValue(headers, name);
      if (value === undefined) continue;
      try {
        const resolved = new URL(value, url);
        if (resolved.origin === new URL(url).origin) targets.push(resolved.href.replace(/#.*$/, ""));
      } catch {
        // not a URL: nothing to invalidate
      }
    }
    let removed = 0;
    for (const key of new Set(targets)) {
      if (this.#store.get(key).length > 0) removed++;
      this.#store.delete(key);
    }
    return removed;
  }

  /**
   * Removes the stored responses of a URL (OpenHarmony's `delete()` for one entry).
   *
   * @param url - The absolute URL.
   */
  delete(url: string): void {
    this.#store.delete(url);
  }

  /** Removes every stored response. */
  clear(): void {
    this.#store.clear();
  }

  /** Makes what was stored durable (OpenHarmony's `flush()`). */
  flush(): void {
    this.#store.flush();
  }

  #select(request: CacheRequest): CachedResponse | undefined {
    for (const v of this.#store.get(request.url)) {
      const names = v.varyHeaders.map((line) => line.slice(0, line.indexOf(":")));
      if (varyKey(names, request.headers).join("\n") === v.varyHeaders.join("\n")) return v;
    }
    return undefined;
  }

  #isFresh(stored: CachedResponse, now: number, requestCc: CacheDirectives): boolean {
    const lifetime = freshnessLifetime(stored, this.#maxHeuristicMs);
    const age = currentAge(stored, now);
    const maxAge = deltaSeconds(requestCc, "max-age");
    if (maxAge !== undefined && age > maxAge * 1000) return false;
    const minFresh = deltaSeconds(requestCc, "min-fresh") ?? 0;
    return age + minFresh * 1000 < lifetime;
  }

  #use(stored: CachedResponse, now: number, stale: boolean, revalidate: boolean): CacheDecision {
    return { action: "use", response: stored, headers: this.deliveredHeaders(stored, now), stale, revalidate };
  }
}
