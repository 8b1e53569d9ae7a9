/**
 * The cache's decisions, table by table: freshness (max-age, Expires, heuristics), validation with
 * ETag and Last-Modified, Vary, no-store / no-cache / must-revalidate / immutable /
 * stale-while-revalidate / stale-if-error, the Fetch cache modes, invalidation, 304 refresh, and
 * the memory store's byte bound.
 */
import { describe, expect, it } from "vitest";
import { MemoryCacheStore } from "../../src/session/cache-store.ts";
import { currentAge, freshnessLifetime, HTTPCache, type CacheMode } from "../../src/session/http-cache.ts";

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);
const httpDate = (ms: number): string => new Date(ms).toUTCString();
const body = (text: string): Uint8Array => new TextEncoder().encode(text);
const get = (url = "http://example.com/a", headers: string[] = []) => ({ method: "GET", url, headers });

function cached(headers: string[], request = get()): HTTPCache {
  const cache = new HTTPCache();
  expect(cache.store(request, 200, [`Date: ${httpDate(T0)}`, ...headers], body("stored"), T0, T0)).toBe(true);
  return cache;
}

describe("freshness and age", () => {
  it.each([
    [["Cache-Control: max-age=60"], 60_000],
    [["Cache-Control: max-age=60", `Expires: ${httpDate(T0 + 600_000)}`], 60_000],
    [[`Expires: ${httpDate(T0 + 600_000)}`], 600_000],
    [["Expires: 0"], 0],
    [[`Last-Modified: ${httpDate(T0 - 1_000_000)}`], 100_000],
    [[`Last-Modified: ${httpDate(T0 - 10 * 86_400_000 * 10)}`], 86_400_000],
    [[], 0],
  ])("lifetime of %j is %i ms", (headers, expected) => {
    const response = {
      url: "u",
      status: 200,
      headers: [`Date: ${httpDate(T0)}`, ...headers],
      body: body(""),
      requestTime: T0,
      responseTime: T0,
      varyHeaders: [],
    };
    expect(freshnessLifetime(response)).toBe(expected);
  });

  it("age counts the Age header, the response delay and the time resident", () => {
    const response = {
      url: "u",
      status: 200,
      headers: [`Date: ${httpDate(T0)}`, "Age: 10"],
      body: body(""),
      requestTime: T0 - 2_000,
      responseTime: T0,
      varyHeaders: [],
    };
    expect(currentAge(response, T0 + 5_000)).toBe(10_000 + 2_000 + 5_000);
  });
});

describe("decisions", () => {
  it("a fresh response is used; its Age is delivered", () => {
    const decision = cached(["Cache-Control: max-age=60"]).decide(get(), "default", T0 + 30_000);
    expect(decision).toMatchObject({ action: "use", stale: false });
    expect(decision.action === "use" && decision.headers.at(-1)).toBe("Age: 30");
  });

  it("a stale response with validators is validated with If-None-Match and If-Modified-Since", () => {
    const lm = httpDate(T0 - 1000);
    const decision = cached(["Cache-Control: max-age=60", 'ETag: "v1"', `Last-Modified: ${lm}`]).decide(get(), "default", T0 + 60_000);
    expect(decision).toMatchObject({ action: "validate", conditionalHeaders: ['If-None-Match: "v1"', `If-Modified-Since: ${lm}`] });
  });

  it("a stale response without validators is fetched again", () => {
    expect(cached(["Cache-Control: max-age=60"]).decide(get(), "default", T0 + 61_000)).toEqual({ action: "fetch", store: true });
  });

  it("freshness changes exactly at the boundary", () => {
    const cache = cached(["Cache-Control: max-age=60", 'ETag: "x"']);
    expect(cache.decide(get(), "default", T0 + 59_999).action).toBe("use");
    expect(cache.decide(get(), "default", T0 + 60_000).action).toBe("validate");
  });

  it("no-cache in the response validates every time; must-revalidate refuses max-stale", () => {
    expect(cached(["Cache-Control: no-cache", 'ETag: "x"']).decide(get(), "default", T0).action).toBe("validate");
    const strict = cached(["Cache-Control: max-age=1, must-revalidate", 'ETag: "x"']);
    expect(strict.decide(get("http://example.com/a", ["Cache-Control: max-stale"]), "default", T0 + 5_000).action).toBe("validate");
    const lax = cached(["Cache-Control: max-age=1", 'ETag: "x"']);
    expect(lax.decide(get("http://example.com/a", ["Cache-Control: max-stale=10"]), "default", T0 + 5_000)).toMatchObject({
      action: "use",
      stale: true,
    });
  });

  it("request directives: no-cache, Pragma, max-age, min-fresh, no-store, only-if-cached", () => {
    const cache = cached(["Cache-Control: max-age=60", 'ETag: "x"']);
    const at = T0 + 30_000;
    expect(cache.decide(get("http://example.com/a", ["Cache-Control: no-cache"]), "default", at).action).toBe("validate");
    expect(cache.decide(get("http://example.com/a", ["Pragma: no-cache"]), "default", at).action).toBe("validate");
    expect(cache.decide(get("http://example.com/a", ["Cache-Control: max-age=10"]), "default", at).action).toBe("validate");
    expect(cache.decide(get("http://example.com/a", ["Cache-Control: min-fresh=40"]), "default", at).action).toBe("validate");
    expect(cache.decide(get("http://example.com/a", ["Cache-Control: no-store"]), "default", at)).toEqual({
      action: "fetch",
      store: false,
    });
    expect(cache.decide(get("http://example.com/b", ["Cache-Control: only-if-cached"]), "default", at).action).toBe("fail");
  });

  it("immutable: fresh, not even a reload revalidates", () => {
    const cache = cached(["Cache-Control: max-age=60, immutable", 'ETag: "x"']);
    expect(cache.decide(get("http://example.com/a", ["Cache-Control: no-cache"]), "default", T0 + 1_000).action).toBe("use");
    expect(cache.decide(get(), "default", T0 + 60_000).action).toBe("validate");
  });

  it("stale-while-revalidate serves stale within its window and asks for a background validation", () => {
    const cache = cached(["Cache-Control: max-age=10, stale-while-revalidate=20", 'ETag: "x"']);
    expect(cache.decide(get(), "default", T0 + 15_000)).toMatchObject({ action: "use", stale: true, revalidate: true });
    expect(cache.decide(get(), "default", T0 + 31_000).action).toBe("validate");
  });

  it("stale-if-error marks a validation whose failure may be answered from the cache", () => {
    const cache = cached(["Cache-Control: max-age=10, stale-if-error=60", 'ETag: "x"']);
    expect(cache.decide(get(), "default", T0 + 20_000)).toMatchObject({ action: "validate", staleIfError: true });
    expect(cache.decide(get(), "default", T0 + 80_000)).toMatchObject({ action: "validate", staleIfError: false });
  });

  const modes: [CacheMode, number, string][] = [
    ["default", 30_000, "use"],
    ["default", 90_000, "validate"],
    ["no-store", 30_000, "fetch"],
    ["reload", 30_000, "fetch"],
    ["no-cache", 30_000, "validate"],
    ["force-cache", 90_000, "use"],
    ["only-if-cached", 90_000, "use"],
  ];
  it.each(modes)("mode %s at +%i ms: %s", (mode, at, action) => {
    const cache = cached(["Cache-Control: max-age=60", 'ETag: "x"']);
    const decision = cache.decide(get(), mode, T0 + at);
    expect(decision.action).toBe(action);
    if (mode === "no-store") expect(decision).toEqual({ action: "fetch", store: false });
  });

  it("force-cache fetches and only-if-cached fails when nothing is stored", () => {
    const cache = new HTTPCache();
    expect(cache.decide(get(), "force-cache", T0)).toEqual({ action: "fetch", store: true });
    expect(cache.decide(get(), "only-if-cached", T0).action).toBe("fail");
  });
});

describe("storing", () => {
  it.each([
    ["no-store", 200, ["Cache-Control: no-store, max-age=60"], false],
    ["no validator, no freshness", 200, [], false],
    ["heuristic with Last-Modified", 200, [`Last-Modified: ${httpDate(T0 - 100_000)}`], true],
    ["302 without explicit freshness", 302, ['ETag: "x"'], false],
    ["302 with max-age", 302, ["Cache-Control: max-age=5"], true],
    ["206 partial content", 206, ["Cache-Control: max-age=5"], false],
    ["Vary: *", 200, ["Cache-Control: max-age=5", "Vary: *"], false],
    ["private is fine for a private cache", 200, ["Cache-Control: private, max-age=5"], true],
  ])("%s → %s", (_name, status, headers, expected) => {
    expect(new HTTPCache().store(get(), status, headers, body("x"), T0, T0)).toBe(expected);
  });

  it("a POST is not stored, and invalidates the URL, Location and Content-Location of the same origin", () => {
    const cache = new HTTPCache();
    for (const path of ["/a", "/b", "/c"])
      cache.store(get(`http://example.com${path}`), 200, ["Cache-Control: max-age=60"], body("x"), T0, T0);
    cache.store(get("http://other.example/c"), 200, ["Cache-Control: max-age=60"], body("x"), T0, T0);
    expect(
      cache.store({ method: "POST", url: "http://example.com/a", headers: [] }, 200, ["Cache-Control: max-age=60"], body("x"), T0, T0),
    ).toBe(false);
    const removed = cache.invalidate("POST", "http://example.com/a", 201, ["Location: /b", "Content-Location: http://other.example/c"]);
    expect(removed).toBe(2);
    expect(cache.decide(get("http://example.com/a"), "default", T0).action).toBe("fetch");
    expect(cache.decide(get("http://example.com/b"), "default", T0).action).toBe("fetch");
    expect(cache.decide(get("http://example.com/c"), "default", T0).action).toBe("use");
    expect(cache.decide(get("http://other.example/c"), "default", T0).action).toBe("use");
    expect(cache.invalidate("POST", "http://example.com/c", 500, [])).toBe(0);
  });

  it("Vary keys variants by the named request headers", () => {
    const cache = new HTTPCache();
    const en = get("http://example.com/a", ["Accept-Language: en"]);
    const fr = get("http://example.com/a", ["Accept-Language: fr"]);
    cache.store(en, 200, ["Cache-Control: max-age=60", "Vary: Accept-Language"], body("hello"), T0, T0);
    expect(cache.decide(fr, "default", T0).action).toBe("fetch");
    cache.store(fr, 200, ["Cache-Control: max-age=60", "Vary: Accept-Language"], body("bonjour"), T0, T0);
    const a = cache.decide(en, "default", T0);
    const b = cache.decide(fr, "default", T0);
    expect(a.action === "use" && new TextDecoder().decode(a.response.body)).toBe("hello");
    expect(b.action === "use" && new TextDecoder().decode(b.response.body)).toBe("bonjour");
    expect(cache.decide(get("http://example.com/a"), "default", T0).action).toBe("fetch");
  });

  it("a 304 refreshes the stored headers and times but keeps the body and Content-Length", () => {
    const cache = cached(["Cache-Control: max-age=10", 'ETag: "v1"', "Content-Length: 6", "X-Old: 1"]);
    const decision = cache.decide(get(), "default", T0 + 20_000);
    if (decision.action !== "validate") throw new Error(decision.action);
    const refreshed = cache.refresh(
      decision.response,
      ["Cache-Control: max-age=100", 'ETag: "v1"', "Content-Length: 0", `Date: ${httpDate(T0 + 20_000)}`],
      T0 + 20_000,
      T0 + 20_000,
    );
    expect(refreshed.headers).toContain("Cache-Control: max-age=100");
    expect(refreshed.headers).toContain("Content-Length: 6");
    expect(refreshed.headers).toContain("X-Old: 1");
    expect(new TextDecoder().decode(refreshed.body)).toBe("stored");
    expect(cache.decide(get(), "default", T0 + 100_000).action).toBe("use");
  });

  it("delete, clear and flush", () => {
    const cache = cached(["Cache-Control: max-age=60"]);
    cache.delete("http://example.com/a");
    expect(cache.decide(get(), "default", T0).action).toBe("fetch");
    cache.store(get(), 200, ["Cache-Control: max-age=60"], body("x"), T0, T0);
    cache.flush();
    cache.clear();
    expect(cache.getStore().bytes).toBe(0);
  });
});

describe("memory store", () => {
  it("keeps its byte bound, evicting the least recently used", () => {
    const store = new MemoryCacheStore(3_100);
    const cache = new HTTPCache({ store });
    const big = new Uint8Array(900);
    for (const p of ["/1", "/2", "/3"]) cache.store(get(`http://e.example${p}`), 200, ["Cache-Control: max-age=60"], big, T0, T0);
    cache.decide(get("http://e.example/1"), "default", T0); // /1 used: /2 is now the least recently used
    cache.store(get("http://e.example/4"), 200, ["Cache-Control: max-age=60"], big, T0, T0);
    expect(store.bytes).toBeLessThanOrEqual(3_100);
    expect(store.keys().sort()).toEqual(["http://e.example/1", "http://e.example/3", "http://e.example/4"]);
    expect(cache.store(get("http://e.example/huge"), 200, ["Cache-Control: max-age=60"], new Uint8Array(5_000), T0, T0)).toBe(false);
  });
});
