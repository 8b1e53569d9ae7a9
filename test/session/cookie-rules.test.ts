/**
 * The cookie jar's rules, table-driven: each attribute, domain and path matching, public-suffix
 * refusal, expiry, prefixes, ordering, SameSite across sites, limits and the date parser.
 */
import { describe, expect, it } from "vitest";
import { CookieJar, defaultCookiePath, domainMatches, pathMatches } from "../../src/session/cookie-jar.ts";
import { parseCookieDate } from "../../src/session/cookie-date.ts";
import { PublicSuffixList } from "../../src/session/public-suffix-list.ts";
import { parseSetCookie } from "../../src/session/set-cookie.ts";

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);

describe("parseCookieDate (RFC 6265bis §5.1.1)", () => {
  it.each([
    ["Wed, 09 Jun 2021 10:18:14 GMT", Date.UTC(2021, 5, 9, 10, 18, 14)],
    ["Wednesday, 09-Jun-21 10:18:14 GMT", Date.UTC(2021, 5, 9, 10, 18, 14)],
    ["Wed Jun  9 10:18:14 2021", Date.UTC(2021, 5, 9, 10, 18, 14)],
    ["09 Jun 2021 10:18:14", Date.UTC(2021, 5, 9, 10, 18, 14)],
    ["Thu, 01 Jan 70 00:00:01 GMT", Date.UTC(1970, 0, 1, 0, 0, 1)],
    ["Fri, 01 Jan 69 00:00:00 GMT", Date.UTC(2069, 0, 1)],
    ["1 JANUARY 2030 1:2:3", Date.UTC(2030, 0, 1, 1, 2, 3)],
  ])("%s", (text, expected) => {
    expect(parseCookieDate(text)).toBe(expected);
  });

  it.each([
    "",
    "Wed, 09 Jun 2021",
    "09 Jun 2021 25:00:00",
    "32 Jun 2021 10:00:00",
    "31 Apr 2021 10:00:00",
    "09 Foo 2021 10:00:00",
    "09 Jun 1600 10:00:00",
    "09 Jun 2021 10:60:00",
  ])("refuses %j", (text) => {
    expect(parseCookieDate(text)).toBeNull();
  });
});

describe("parseSetCookie", () => {
  it("reads the name, value and every attribute; the last occurrence wins", () => {
    const parsed = parseSetCookie(
      " sid = abc ; Expires=Wed, 09 Jun 2021 10:18:14 GMT; Max-Age=60; Domain=.Example.COM; Path=/a; Secure; HttpOnly; SameSite=Lax; Max-Age=120; Foo=bar",
    );
    expect(parsed).toEqual({
      ok: true,
      cookie: {
        name: "sid",
        value: "abc",
        expires: Date.UTC(2021, 5, 9, 10, 18, 14),
        maxAge: 120,
        domain: "example.com",
        path: "/a",
        secure: true,
        httpOnly: true,
        sameSite: "lax",
      },
    });
  });

  it.each([
    ["a=1; SameSite=Strict", "strict"],
    ["a=1; SameSite=none", "none"],
    ["a=1; SameSite=bogus", "default"],
    ["a=1", "default"],
  ])("SameSite of %j is %s", (line, sameSite) => {
    const parsed = parseSetCookie(line);
    expect(parsed.ok && parsed.cookie.sameSite).toBe(sameSite);
  });

  it("a nameless cookie takes the whole pair as its value", () => {
    expect(parseSetCookie("justvalue; Path=/")).toMatchObject({ ok: true, cookie: { name: "", value: "justvalue", path: "/" } });
  });

  it.each(["a=b\u0001c", "=", " ; Path=/", `a=${"x".repeat(4096)}`])("ignores %j entirely", (line) => {
    expect(parseSetCookie(line).ok).toBe(false);
  });

  it("ignores an invalid Max-Age or Expires, keeping an earlier valid one", () => {
    const parsed = parseSetCookie("a=1; Max-Age=10; Max-Age=1e3; Expires=never");
    expect(parsed).toMatchObject({ ok: true, cookie: { maxAge: 10 } });
    expect(parsed.ok && parsed.cookie.expires).toBeUndefined();
  });

  it("a relative Path means the default path", () => {
    const parsed = parseSetCookie("a=1; Path=/x; Path=rel");
    expect(parsed.ok && parsed.cookie.path).toBeUndefined();
  });
});

describe("matching helpers", () => {
  it.each([
    ["example.com", "example.com", true],
    ["www.example.com", "example.com", true],
    ["wwwexample.com", "example.com", false],
    ["example.com", "www.example.com", false],
    ["1.2.3.4", "1.2.3.4", true],
    ["1.2.3.4", "2.3.4", false],
  ])("domainMatches(%s, %s) = %s", (host, domain, expected) => {
    expect(domainMatches(host, domain)).toBe(expected);
  });

  it.each([
    ["/a/b", "/a/b", true],
    ["/a/b/c", "/a/b", true],
    ["/a/bc", "/a/b", false],
    ["/a/b/c", "/a/b/", true],
    ["/", "/a", false],
    ["/anything", "/", true],
  ])("pathMatches(%s, %s) = %s", (path, cookiePath, expected) => {
    expect(pathMatches(path, cookiePath)).toBe(expected);
  });

  it.each([
    ["", "/"],
    ["/", "/"],
    ["/a", "/"],
    ["/a/b", "/a"],
    ["/a/b/", "/a/b"],
    ["rel", "/"],
  ])("defaultCookiePath(%j) = %j", (path, expected) => {
    expect(defaultCookiePath(path)).toBe(expected);
  });
});

describe("public suffixes", () => {
  const list = PublicSuffixList.shared();
  it.each([
    ["com", true],
    ["co.uk", true],
    ["github.io", true],
    ["example.com", false],
    ["example.co.uk", false],
    ["anything.ck", true], // *.ck
    ["www.ck", false], // !www.ck
    ["city.kobe.jp", false], // !city.kobe.jp
    ["x.kobe.jp", true], // *.kobe.jp
    ["unknowntld", true], // the implicit * rule
  ])("isPublicSuffix(%s) = %s", (name, expected) => {
    expect(list.isPublicSuffix(name)).toBe(expected);
  });

  it.each([
    ["www.example.co.uk", "example.co.uk"],
    ["a.b.example.com", "example.com"],
    ["user.github.io", "user.github.io"],
    ["co.uk", ""],
    ["127.0.0.1", "127.0.0.1"],
  ])("getRegistrableDomain(%s) = %j", (host, expected) => {
    expect(list.getRegistrableDomain(host)).toBe(expected);
  });

  it("names its source and date", () => {
    expect(list.getSource()).toMatch(/Public Suffix List.*\d{4}-\d{2}-\d{2}/);
  });
});

/** One storage case: a Set-Cookie received from a URL, then the Cookie header each URL gets. */
interface StorageCase {
  readonly name: string;
  readonly from: string;
  readonly set: string;
  readonly stored: boolean;
  readonly sends?: Readonly<Record<string, string>>;
}

const storage: StorageCase[] = [
  {
    name: "host-only by default",
    from: "http://example.com/",
    set: "a=1",
    stored: true,
    sends: { "http://example.com/": "a=1", "http://www.example.com/": "" },
  },
  {
    name: "Domain covers subdomains",
    from: "http://www.example.com/",
    set: "a=1; Domain=example.com",
    stored: true,
    sends: { "http://example.com/": "a=1", "http://x.y.example.com/": "a=1", "http://example.org/": "" },
  },
  {
    name: "Domain with a leading dot",
    from: "http://example.com/",
    set: "a=1; Domain=.example.com",
    stored: true,
    sends: { "http://sub.example.com/": "a=1" },
  },
  { name: "Domain of another site refused", from: "http://example.com/", set: "a=1; Domain=example.org", stored: false },
  { name: "Domain of a subdomain refused", from: "http://example.com/", set: "a=1; Domain=www.example.com", stored: false },
  { name: "public suffix domain refused", from: "http://www.example.co.uk/", set: "a=1; Domain=co.uk", stored: false },
  { name: "public suffix github.io refused", from: "https://me.github.io/", set: "a=1; Domain=github.io", stored: false },
  {
    name: "public suffix equal to the host: host-only",
    from: "http://github.io/",
    set: "a=1; Domain=github.io",
    stored: true,
    sends: { "http://github.io/": "a=1", "http://me.github.io/": "" },
  },
  {
    name: "IP host with its own Domain",
    from: "http://127.0.0.1/",
    set: "a=1; Domain=127.0.0.1",
    stored: true,
    sends: { "http://127.0.0.1/x": "a=1" },
  },
  {
    name: "default path is the directory",
    from: "http://example.com/a/b/c",
    set: "a=1",
    stored: true,
    sends: {
      "http://example.com/a/b/x": "a=1",
      "http://example.com/a/b": "a=1",
      "http://example.com/a": "",
      "http://example.com/a/bc": "",
    },
  },
  {
    name: "explicit Path",
    from: "http://example.com/",
    set: "a=1; Path=/docs",
    stored: true,
    sends: { "http://example.com/docs": "a=1", "http://example.com/docs/x?q=1": "a=1", "http://example.com/docsx": "" },
  },
  {
    name: "Secure over https",
    from: "https://example.com/",
    set: "a=1; Secure",
    stored: true,
    sends: { "https://example.com/": "a=1", "http://example.com/": "" },
  },
  { name: "Secure from http refused", from: "http://example.com/", set: "a=1; Secure", stored: false },
  {
    name: "HttpOnly is sent over HTTP",
    from: "http://example.com/",
    set: "a=1; HttpOnly",
    stored: true,
    sends: { "http://example.com/": "a=1" },
  },
  { name: "SameSite=None needs Secure", from: "https://example.com/", set: "a=1; SameSite=None", stored: false },
  {
    name: "SameSite=None with Secure",
    from: "https://example.com/",
    set: "a=1; SameSite=None; Secure",
    stored: true,
    sends: { "https://example.com/": "a=1" },
  },
  { name: "__Secure- needs Secure", from: "https://example.com/", set: "__Secure-a=1", stored: false },
  {
    name: "__Secure- with Secure",
    from: "https://example.com/",
    set: "__Secure-a=1; Secure",
    stored: true,
    sends: { "https://example.com/": "__Secure-a=1" },
  },
  { name: "__secure- matched without case", from: "https://example.com/", set: "__SECURE-a=1", stored: false },
  {
    name: "__Host- with Domain refused",
    from: "https://example.com/",
    set: "__Host-a=1; Secure; Path=/; Domain=example.com",
    stored: false,
  },
  { name: "__Host- without Path=/ refused", from: "https://example.com/x/y", set: "__Host-a=1; Secure", stored: false },
  {
    name: "__Host- done right",
    from: "https://example.com/x/y",
    set: "__Host-a=1; Secure; Path=/",
    stored: true,
    sends: { "https://example.com/": "__Host-a=1", "https://www.example.com/": "" },
  },
  { name: "nameless cookie", from: "http://example.com/", set: "token", stored: true, sends: { "http://example.com/": "token" } },
  { name: "nameless value posing as a prefix", from: "https://example.com/", set: "__Host-x; Secure; Path=/", stored: false },
];

describe("storage and retrieval (RFC 6265bis §5.7, §5.8.3)", () => {
  it.each(storage)("$name", (c) => {
    const jar = new CookieJar();
    const outcome = jar.setCookie(c.from, c.set, NOW);
    expect(outcome.stored, JSON.stringify(outcome)).toBe(c.stored);
    if (!c.stored) expect(jar.size).toBe(0);
    for (const [url, header] of Object.entries(c.sends ?? {})) expect(jar.getCookieHeader(url, NOW), url).toBe(header);
  });

  it("orders the header by path length, then by creation time; a replacement keeps its creation time", () => {
    const jar = new CookieJar();
    jar.setCookie("http://example.com/", "first=1; Path=/", NOW);
    jar.setCookie("http://example.com/", "deep=1; Path=/a/b", NOW + 1);
    jar.setCookie("http://example.com/", "second=1; Path=/", NOW + 2);
    jar.setCookie("http://example.com/", "mid=1; Path=/a", NOW + 3);
    jar.setCookie("http://example.com/", "first=2; Path=/", NOW + 4);
    expect(jar.getCookieHeader("http://example.com/a/b/c", NOW + 5)).toBe("deep=1; mid=1; first=2; second=1");
  });

  it("the same name with other paths or domains are different cookies", () => {
    const jar = new CookieJar();
    jar.setCookie("http://www.example.com/", "a=host", NOW);
    jar.setCookie("http://www.example.com/", "a=domain; Domain=example.com", NOW);
    jar.setCookie("http://www.example.com/", "a=path; Path=/p", NOW);
    expect(jar.size).toBe(3);
    expect(jar.getCookieHeader("http://www.example.com/p", NOW)).toBe("a=path; a=host; a=domain");
  });

  it("expires by Max-Age, by Expires, and Max-Age wins over Expires", () => {
    const jar = new CookieJar();
    jar.setCookie("http://example.com/", "m=1; Max-Age=10", NOW);
    jar.setCookie("http://example.com/", `e=1; Expires=${new Date(NOW + 20_000).toUTCString()}`, NOW);
    jar.setCookie("http://example.com/", `both=1; Max-Age=30; Expires=${new Date(NOW + 5_000).toUTCString()}`, NOW);
    expect(jar.getCookieHeader("http://example.com/", NOW + 9_999)).toBe("m=1; e=1; both=1");
    expect(jar.getCookieHeader("http://example.com/", NOW + 10_000)).toBe("e=1; both=1");
    expect(jar.getCookieHeader("http://example.com/", NOW + 20_000)).toBe("both=1");
    expect(jar.getCookieHeader("http://example.com/", NOW + 30_000)).toBe("");
    expect(jar.purgeExpired(NOW + 30_000)).toBe(3);
  });

  it("Max-Age=0 and a past Expires remove a stored cookie", () => {
    const jar = new CookieJar();
    jar.setCookie("http://example.com/", "a=1", NOW);
    jar.setCookie("http://example.com/", "b=1", NOW);
    expect(jar.setCookie("http://example.com/", "a=x; Max-Age=0", NOW).stored).toBe(true);
    jar.setCookie("http://example.com/", "b=x; Expires=Thu, 01 Jan 1970 00:00:01 GMT", NOW);
    expect(jar.size).toBe(0);
  });

  it("caps lifetimes at 400 days", () => {
    const jar = new CookieJar();
    jar.setCookie("http://example.com/", "a=1; Max-Age=999999999", NOW);
    expect(jar.getAllCookies()[0]?.expires).toBe(NOW + 400 * 86_400_000);
  });

  it("a non-secure origin cannot overlay a Secure cookie", () => {
    const jar = new CookieJar();
    jar.setCookie("https://example.com/", "a=secure; Secure", NOW);
    expect(jar.setCookie("http://example.com/", "a=plain", NOW).stored).toBe(false);
    expect(jar.getCookieHeader("https://example.com/", NOW)).toBe("a=secure");
  });

  it("withholds SameSite cookies from cross-site requests as the rules say", () => {
    const jar = new CookieJar();
    jar.setCookie("https://shop.example/", "s=1; SameSite=Strict", NOW);
    jar.setCookie("https://shop.example/", "l=1; SameSite=Lax", NOW);
    jar.setCookie("https://shop.example/", "n=1; SameSite=None; Secure", NOW);
    jar.setCookie("https://shop.example/", "d=1", NOW);
    const url = "https://shop.example/cart";
    expect(jar.getCookieHeader(url, NOW)).toBe("s=1; l=1; n=1; d=1");
    expect(jar.getCookieHeader(url, NOW, { siteForCookies: "shop.example" })).toBe("s=1; l=1; n=1; d=1");
    expect(jar.getCookieHeader(url, NOW, { siteForCookies: "other.example", method: "GET" })).toBe("l=1; n=1; d=1");
    expect(jar.getCookieHeader(url, NOW, { siteForCookies: "other.example", method: "POST" })).toBe("n=1");
  });

  it("keeps at most maxCookiesPerDomain, evicting the least recently used", () => {
    const jar = new CookieJar({ maxCookiesPerDomain: 3 });
    for (let i = 0; i < 3; i++) jar.setCookie("http://example.com/", `c${i}=1`, NOW + i);
    jar.getCookieHeader("http://example.com/", NOW + 10); // all used at +10 …
    jar.setCookie("http://example.com/", "c0=again", NOW + 11); // … c0 refreshed at +11
    jar.setCookie("http://example.com/", "c3=1", NOW + 12);
    expect(jar.size).toBe(3);
    expect(jar.getCookieHeader("http://example.com/", NOW + 13)).not.toContain("c1=");
  });

  it("keeps at most maxCookies in all, evicting expired ones first", () => {
    const jar = new CookieJar({ maxCookies: 2 });
    jar.setCookie("http://a.example/", "old=1; Max-Age=1", NOW);
    jar.setCookie("http://b.example/", "keep=1", NOW);
    jar.setCookie("http://c.example/", "new=1", NOW + 5_000);
    expect(
      jar
        .getAllCookies()
        .map((c) => c.name)
        .sort(),
    ).toEqual(["keep", "new"]);
  });

  it("refuses a URL that does not parse, with its reason", () => {
    const jar = new CookieJar();
    expect(jar.setCookie("ftp://example.com/", "a=1", NOW)).toMatchObject({ stored: false });
    expect(jar.getCookieHeader("not a url", NOW)).toBe("");
  });

  it("storeResponseCookies takes every Set-Cookie line and nothing else", () => {
    const jar = new CookieJar();
    const n = jar.storeResponseCookies(
      "http://example.com/",
      ["Content-Type: text/plain", "Set-Cookie: a=1", "set-cookie:b=2; Path=/", "X: y"],
      NOW,
    );
    expect(n).toBe(2);
    expect(jar.getCookieHeader("http://example.com/", NOW)).toBe("a=1; b=2");
  });
});
