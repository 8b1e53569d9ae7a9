/**
 * A cookie jar following RFC 6265bis: the storage model (§5.7) and the retrieval algorithm (§5.8.3),
 * for an HTTP client. Time is never read here: every call that depends on it takes `now`, in
 * milliseconds since the epoch, so a simulation that derives `now` from its tree's time expires
 * cookies on the same tick on every run.
 *
 * @module
 */
import { parseHttpUrl, type HttpUrl } from "../client/url.ts";
import { isIpLiteral, PublicSuffixList } from "./public-suffix-list.ts";
import { parseSetCookie, type SameSite } from "./set-cookie.ts";

/** One cookie in the jar. */
export interface StoredCookie {
  /** The cookie name (may be empty). */
  readonly name: string;
  /** The cookie value. */
  readonly value: string;
  /** The host (host-only cookies) or the domain (domain cookies) it belongs to; lower-case. */
  readonly domain: string;
  /** The path it applies under. */
  readonly path: string;
  /** When it expires, in milliseconds since the epoch; `null` for a session cookie. */
  readonly expires: number | null;
  /** True when it is sent to exactly `domain` only, not to its subdomains. */
  readonly hostOnly: boolean;
  /** True when it is sent over https only. */
  readonly secure: boolean;
  /** True when the server marked it `HttpOnly` (kept for export; an HTTP client sends it). */
  readonly httpOnly: boolean;
  /** Its `SameSite` attribute. */
  readonly sameSite: SameSite;
  /** When it was first stored (ms since the epoch); kept when a cookie replaces it. */
  readonly creationTime: number;
  /** When it was last sent or stored (ms since the epoch). */
  readonly lastAccessTime: number;
}

/** Settings of a {@link CookieJar}. */
export interface CookieJarOptions {
  /** The public suffixes refused as cookie domains; the shipped list by default, `null` for none. */
  readonly publicSuffixes?: PublicSuffixList | null;
  /** At most this many cookies per domain; the least recently used go first. Default 180. */
  readonly maxCookiesPerDomain?: number;
  /** At most this many cookies in all. Default 3000. */
  readonly maxCookies?: number;
}

/** Options of {@link CookieJar.getCookieHeader} and {@link CookieJar.getCookies}. */
export interface CookieRequestContext {
  /**
   * The registrable domain of the site that started the request chain (the first URL of a chain
   * of redirects). When it differs from the request's own site, `SameSite=Strict` cookies are not
   * sent, nor `SameSite=Lax` ones for a method other than GET, HEAD, OPTIONS or TRACE. Absent: the
   * request is same-site (a request a user started).
   */
  readonly siteForCookies?: string;
  /** The request method, for `SameSite=Lax`. Default `GET`. */
  readonly method?: string;
}

/** The outcome of {@link CookieJar.setCookie}. */
export type SetCookieOutcome =
  | {
      /** The cookie was stored, replaced one, or removed one (an expiry in the past). */
      readonly stored: true;
    }
  | {
      /** The cookie was ignored. */
      readonly stored: false;
      /** Why, in words. */
      readonly reason: string;
    };

interface Entry {
  name: string;
  value: string;
  domain: string;
  path: string;
  expires: number | null;
  hostOnly: boolean;
  secure: boolean;
  httpOnly: boolean;
  sameSite: SameSite;
  creationTime: number;
  lastAccessTime: number;
  /** Tie-breaker for equal times: the order cookies were first stored in. */
  serial: number;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);
const DAY_MS = 86_400_000;
/** RFC 6265bis caps both `Expires` and `Max-Age` at 400 days from now. */
export const MAX_COOKIE_LIFETIME_MS: number = 400 * DAY_MS;

/**
 * True when `host` domain-matches `domain` (RFC 6265bis §5.1.3).
 *
 * @param host - A canonical (lower-case) host name or IP literal.
 * @param domain - A canonical domain.
 * @returns Whether cookies of `domain` may apply to `host`.
 */
export function domainMatches(host: string, domain: string): boolean {
  if (host === domain) return true;
  return !isIpLiteral(host) && host.endsWith(domain) && host.charCodeAt(host.length - domain.length - 1) === 0x2e;
}

/**
 * True when `requestPath` path-matches `cookiePath` (RFC 6265bis §5.1.4).
 *
 * @param requestPath - The path of the request target, without the query.
 * @param cookiePath - The cookie's path.
 * @returns Whether the cookie applies under this path.
 */
export function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath.charCodeAt(cookiePath.length) === 0x2f;
}

/**
 * The default cookie path of a request path (RFC 6265bis §5.1.4): up to, not including, its last `/`.
 *
 * @param requestPath - The path of the request target, without the query.
 * @returns The directory of the path, `/` at least.
 */
export function defaultCookiePath(requestPath: string): string {
  if (!requestPath.startsWith("/")) return "/";
  const last = requestPath.lastIndexOf("/");
  return last <= 0 ? "/" : requestPath.slice(0, last);
}

function pathOf(url: HttpUrl): string {
  const q = url.path.indexOf("?");
  return q < 0 ? url.path : url.path.slice(0, q);
}

function toUrl(url: string | HttpUrl): HttpUrl | string {
  if (typeof url !== "string") return url;
  const parsed = parseHttpUrl(url);
  return parsed.ok ? parsed.url : parsed.reason;
}

function snapshot(e: Entry): StoredCookie {
  return {
    name: e.name,
    value: e.value,
    domain: e.domain,
    path: e.path,
    expires: e.expires,
    hostOnly: e.hostOnly,
    secure: e.secure,
    httpOnly: e.httpOnly,
    sameSite: e.sameSite,
    creationTime: e.creationTime,
    lastAccessTime: e.lastAccessTime,
  };
}

/** Sort order of a `Cookie` header: longer paths first, then the earlier stored. */
function cookieOrder(a: Entry, b: Entry): number {
  return b.path.length - a.path.length || a.creationTime - b.creationTime || a.serial - b.serial;
}

/** Eviction order: expired first, then the least recently used, then the oldest. */
function evictionOrder(now: number): (a: Entry, b: Entry) => number {
  const expired = (e: Entry): number => (e.expires !== null && e.expires <= now ? 0 : 1);
  return (a, b) => expired(a) - expired(b) || a.lastAccessTime - b.lastAccessTime || a.serial - b.serial;
}

/**
 * Cookies received in `Set-Cookie` and sent back in `Cookie`, by the rules of RFC 6265bis.
 *
 * Attach a jar to a `SceneTree`, a request pool or one `HTTPRequest` (nothing is stored unless a jar
 * is attached); use it directly with any client by calling {@link CookieJar.storeResponseCookies}
 * after each response and {@link CookieJar.getCookieHeader} before each request.
 *
 * @example
 * ```ts
 * const jar = new CookieJar();
 * const now = Date.UTC(2026, 0, 1);
 * jar.setCookie("https://example.com/a/b", "sid=1; Path=/; Max-Age=60", now);
 * jar.getCookieHeader("https://example.com/x", now); // "sid=1"
 * jar.getCookieHeader("https://example.com/x", now + 61_000); // "" (expired)
 * ```
 */
export class CookieJar {
  readonly #byDomain = new Map<string, Entry[]>();
  readonly #suffixes: PublicSuffixList | null;
  readonly #maxPerDomain: number;
  readonly #maxCookies: number;
  #count = 0;
  #serial = 0;

  /**
   * Creates an empty jar.
   *
   * @param options - Public suffixes and limits.
   */
  constructor(options: CookieJarOptions = {}) {
    this.#suffixes = options.publicSuffixes === undefined ? PublicSuffixList.shared() : options.publicSuffixes;
    this.#maxPerDomain = Math.max(1, Math.floor(options.maxCookiesPerDomain ?? 180));
    this.#maxCookies = Math.max(1, Math.floor(options.maxCookies ?? 3000));
  }

  /** The number of cookies held, expired ones not yet purged included. */
  get size(): number {
    return this.#count;
  }

  /**
   * Stores one cookie received from `url` (the storage model of RFC 6265bis §5.7).
   *
   * @param url - The URL of the response that carried it.
   * @param setCookie - One `Set-Cookie` field value.
   * @param now - The current time, in milliseconds since the epoch.
   * @returns Whether it was stored, and why not.
   */
  setCookie(url: string | HttpUrl, setCookie: string, now: number): SetCookieOutcome {
    const target = toUrl(url);
    if (typeof target === "string") return { stored: false, reason: target };
    const parsed = parseSetCookie(setCookie);
    if (!parsed.ok) return { stored: false, reason: parsed.reason };
    const c = parsed.cookie;
    const host = target.host;
    const secureOrigin = target.scheme === "https";

    let expires: number | null = null;
    if (c.maxAge !== undefined) expires = c.maxAge <= 0 ? Number.MIN_SAFE_INTEGER : now + Math.min(c.maxAge * 1000, MAX_COOKIE_LIFETIME_MS);
    else if (c.expires !== undefined) expires = Math.min(c.expires, now + MAX_COOKIE_LIFETIME_MS);

    let domain = c.domain ?? "";
    if (domain !== "" && this.#suffixes !== null && this.#suffixes.isPublicSuffix(domain)) {
      if (domain !== host) return { stored: false, reason: `the domain "${domain}" is a public suffix` };
      domain = ""; // a public suffix set by the suffix itself: a host-only cookie
    }
    let hostOnly: boolean;
    if (domain !== "") {
      if (!domainMatches(host, domain)) return { stored: false, reason: `the domain "${domain}" does not match the host "${host}"` };
      hostOnly = false;
    } else {
      hostOnly = true;
      domain = host;
    }
    const path = c.path ?? defaultCookiePath(pathOf(target));

    if (c.secure && !secureOrigin) return { stored: false, reason: "a Secure cookie from a non-secure origin" };
    if (c.sameSite === "none" && !c.secure) return { stored: false, reason: "SameSite=None without Secure" };
    const lowerName = c.name.toLowerCase();
    if (lowerName.startsWith("__secure-") && !c.secure) return { stored: false, reason: "a __Secure- cookie without Secure" };
    if (lowerName.startsWith("__host-") && !(c.secure && hostOnly && c.path === "/")) {
      return { stored: false, reason: "a __Host- cookie needs Secure, no Domain and Path=/" };
    }
    if (c.name === "" && /^__(secure|host)-/i.test(c.value))
      return { stored: false, reason: "a nameless cookie whose value looks like a prefix" };
    if (!c.secure && !secureOrigin && this.#shadowsSecure(c.name, domain, path, now)) {
      return { stored: false, reason: "it would overlay a Secure cookie from a non-secure origin" };
    }

    const list = this.#byDomain.get(domain) ?? [];
    const index = list.findIndex((e) => e.name === c.name && e.path === path && e.hostOnly === hostOnly);
    const old = index >= 0 ? list[index] : undefined;
    if (old !== undefined) {
      list.splice(index, 1);
      this.#count--;
    }
    if (expires !== null && expires <= now) {
      if (list.length === 0) this.#byDomain.delete(domain);
      return { stored: true }; // an expiry in the past removes the cookie
    }
    const entry: Entry = {
      name: c.name,
      value: c.value,
      domain,
      path,
      expires,
      hostOnly,
      secure: c.secure,
      httpOnly: c.httpOnly,
      sameSite: c.sameSite,
      creationTime: old?.creationTime ?? now,
      lastAccessTime: now,
      serial: old?.serial ?? this.#serial++,
    };
    list.push(entry);
    this.#byDomain.set(domain, list);
    this.#count++;
    this.#enforceLimits(domain, now);
    return { stored: true };
  }

  /**
   * Stores every `Set-Cookie` of a response.
   *
   * @param url - The URL of the response.
   * @param headers - The response's header lines (`"Name: value"`); lines other than `Set-Cookie` are skipped.
   * @param now - The current time, in milliseconds since the epoch.
   * @returns How many were stored (or removed by an expiry in the past).
   */
  storeResponseCookies(url: string | HttpUrl, headers: readonly string[], now: number): number {
    let stored = 0;
    for (const line of headers) {
      const colon = line.indexOf(":");
      if (colon < 0 || line.slice(0, colon).trim().toLowerCase() !== "set-cookie") continue;
      if (this.setCookie(url, line.slice(colon + 1).trim(), now).stored) stored++;
    }
    return stored;
  }

  /**
   * The cookies to send with a request to `url`, in `Cookie` header order (longer paths first, then
   * the earlier stored). Marks them as used now.
   *
   * @param url - The request URL.
   * @param now - The current time, in milliseconds since the epoch.
   * @param context - The site that started the request chain and the method, for `SameSite`.
   * @returns The cookies; none for a URL that does not parse.
   */
  getCookies(url: string | HttpUrl, now: number, context: CookieRequestContext = {}): StoredCookie[] {
    const target = toUrl(url);
    if (typeof target === "string") return [];
    const host = target.host;
    const path = pathOf(target);
    const secure = target.scheme === "https";
    const crossSite = context.siteForCookies !== undefined && context.siteForCookies !== this.#siteOf(host);
    const safeMethod = SAFE_METHODS.has((context.method ?? "GET").toUpperCase());
    const found: Entry[] = [];
    for (const domain of this.#candidateDomains(host)) {
      for (const e of this.#byDomain.get(domain) ?? []) {
        if (e.expires !== null && e.expires <= now) continue;
        if (e.hostOnly ? host !== e.domain : !domainMatches(host, e.domain)) continue;
        if (!pathMatches(path, e.path)) continue;
        if (e.secure && !secure) continue;
        if (crossSite && (e.sameSite === "strict" || ((e.sameSite === "lax" || e.sameSite === "default") && !safeMethod))) continue;
        found.push(e);
      }
    }
    found.sort(cookieOrder);
    for (const e of found) e.lastAccessTime = now;
    return found.map(snapshot);
  }

  /**
   * The site of a URL as this jar sees it for `SameSite`: its registrable domain under the jar's
   * public suffix list (the host itself for an IP literal or without a list). Pass the first URL of
   * a chain of redirects as {@link CookieRequestContext.siteForCookies} of every hop.
   *
   * @param url - A URL.
   * @returns The site; `""` for a URL that does not parse.
   */
  siteFor(url: string | HttpUrl): string {
    const target = toUrl(url);
    return typeof target === "string" ? "" : this.#siteOf(target.host);
  }

  /**
   * The `Cookie` header value for a request to `url`: `name=value` pairs joined by `"; "`.
   *
   * @param url - The request URL.
   * @param now - The current time, in milliseconds since the epoch.
   * @param context - The site that started the request chain and the method, for `SameSite`.
   * @returns The value, or `""` when no cookie applies.
   */
  getCookieHeader(url: string | HttpUrl, now: number, context: CookieRequestContext = {}): string {
    return this.getCookies(url, now, context)
      .map((c) => (c.name === "" ? c.value : `${c.name}=${c.value}`))
      .join("; ");
  }

  /** Every cookie held, in storage order per domain; expired ones not yet purged included. */
  getAllCookies(): StoredCookie[] {
    const all: StoredCookie[] = [];
    for (const list of this.#byDomain.values()) for (const e of list) all.push(snapshot(e));
    return all;
  }

  /**
   * Adds a cookie as it is, with no storage rule applied (used to load a cookie file). A cookie with
   * the same name, domain, path and host-only flag is replaced.
   *
   * @param cookie - The cookie; its times are taken as given.
   */
  addStoredCookie(cookie: StoredCookie): void {
    const list = this.#byDomain.get(cookie.domain) ?? [];
    const index = list.findIndex((e) => e.name === cookie.name && e.path === cookie.path && e.hostOnly === cookie.hostOnly);
    if (index >= 0) {
      list.splice(index, 1);
      this.#count--;
    }
    list.push({ ...cookie, serial: this.#serial++ });
    this.#byDomain.set(cookie.domain, list);
    this.#count++;
    this.#enforceLimits(cookie.domain, cookie.lastAccessTime);
  }

  /**
   * Removes cookies.
   *
   * @param match - Which to remove; all when absent.
   * @returns How many were removed.
   */
  removeCookies(match?: (cookie: StoredCookie) => boolean): number {
    let removed = 0;
    for (const [domain, list] of this.#byDomain) {
      const kept = match === undefined ? [] : list.filter((e) => !match(snapshot(e)));
      removed += list.length - kept.length;
      if (kept.length === 0) this.#byDomain.delete(domain);
      else this.#byDomain.set(domain, kept);
    }
    this.#count -= removed;
    return removed;
  }

  /**
   * Removes the cookies that have expired.
   *
   * @param now - The current time, in milliseconds since the epoch.
   * @returns How many were removed.
   */
  purgeExpired(now: number): number {
    return this.removeCookies((c) => c.expires !== null && c.expires <= now);
  }

  /**
   * Removes the session cookies (those with no expiry), as a browser does when it closes.
   *
   * @returns How many were removed.
   */
  removeSessionCookies(): number {
    return this.removeCookies((c) => c.expires === null);
  }

  /** The host itself and each parent domain, the only keys that can hold a matching cookie. */
  #candidateDomains(host: string): string[] {
    if (isIpLiteral(host)) return [host];
    const out = [host];
    for (let dot = host.indexOf("."); dot >= 0; dot = host.indexOf(".", dot + 1)) out.push(host.slice(dot + 1));
    return out;
  }

  #siteOf(host: string): string {
    if (this.#suffixes === null || isIpLiteral(host)) return host;
    return this.#suffixes.getRegistrableDomain(host) || host;
  }

  /** RFC 6265bis §5.7 step 16: a non-secure origin may not overlay a Secure cookie. */
  #shadowsSecure(name: string, domain: string, path: string, now: number): boolean {
    for (const list of this.#byDomain.values()) {
      for (const e of list) {
        if (!e.secure || e.name !== name || (e.expires !== null && e.expires <= now)) continue;
        if ((domainMatches(e.domain, domain) || domainMatches(domain, e.domain)) && pathMatches(path, e.path)) return true;
      }
    }
    return false;
  }

  #enforceLimits(domain: string, now: number): void {
    const list = this.#byDomain.get(domain);
    if (list !== undefined && list.length > this.#maxPerDomain) {
      list.sort(evictionOrder(now));
      const drop = list.length - this.#maxPerDomain;
      list.splice(0, drop);
      this.#count -= drop;
    }
    if (this.#count <= this.#maxCookies) return;
    const all: Entry[] = [];
    for (const l of this.#byDomain.values()) all.push(...l);
    all.sort(evictionOrder(now));
    const doomed = new Set(all.slice(0, this.#count - this.#maxCookies));
    for (const [d, l] of this.#byDomain) {
      const kept = l.filter((e) => !doomed.has(e));
      if (kept.length === 0) this.#byDomain.delete(d);
      else this.#byDomain.set(d, kept);
    }
    this.#count -= doomed.size;
  }
}
