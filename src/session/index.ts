export {
  CookieJar,
  domainMatches,
  pathMatches,
  defaultCookiePath,
  MAX_COOKIE_LIFETIME_MS,
  type StoredCookie,
  type CookieJarOptions,
  type CookieRequestContext,
  type SetCookieOutcome,
} from "./cookie-jar.ts";
export {
  parseSetCookie,
  MAX_COOKIE_NAME_VALUE_BYTES,
  MAX_COOKIE_ATTRIBUTE_BYTES,
  type SetCookie,
  type SetCookieParse,
  type SameSite,
} from "./set-cookie.ts";
export { parseCookieDate } from "./cookie-date.ts";
export { PublicSuffixList, isIpLiteral } from "./public-suffix-list.ts";
export { PUBLIC_SUFFIX_SOURCE } from "./public-suffix-data.ts";
export { formatNetscapeCookies, parseNetscapeCookies, saveCookieFile, loadCookieFile } from "./netscape-cookie-file.ts";
export { parseCacheControl, deltaSeconds, type CacheDirectives } from "./cache-control.ts";
export { MemoryCacheStore, variantsBytes, type CacheStore, type CachedResponse } from "./cache-store.ts";
export { DirectoryCacheStore } from "./directory-cache-store.ts";
export {
  HTTPCache,
  currentAge,
  freshnessLifetime,
  type CacheMode,
  type CacheRequest,
  type CacheDecision,
  type HTTPCacheOptions,
} from "./http-cache.ts";
export {
  parseAuthChallenges,
  basicAuthorization,
  isSupportedDigest,
  DigestAuth,
  type AuthChallenge,
  type AuthCredentials,
  type DigestRequest,
} from "./http-auth.ts";
