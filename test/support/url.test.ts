import { describe, expect, it } from "vitest";
import {
  formatHostHeader,
  formatUrl,
  originOf,
  parseHttpUrl,
  removeDotSegments,
  resolveReference,
  sameOrigin,
  type HttpUrl,
} from "../../src/client/url.ts";
import { prng as mulberry32 } from "../helpers/prng.ts";

function parse(text: string): HttpUrl {
  const result = parseHttpUrl(text);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(text)} to parse: ${result.reason}`);
  return result.url;
}

function reasonOf(text: string): string {
  const result = parseHttpUrl(text);
  if (result.ok) throw new Error(`expected ${JSON.stringify(text)} to be refused, got ${formatUrl(result.url)}`);
  return result.reason;
}

function resolve(base: HttpUrl, reference: string): string {
  const result = resolveReference(base, reference);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(reference)} to resolve: ${result.reason}`);
  return formatUrl(result.url);
}

/** WHATWG's answer, without the fragment and with an empty path shown as "/". */
function whatwg(text: string, base?: string): string {
  const url = new URL(text, base);
  url.hash = "";
  return url.href;
}

describe("parseHttpUrl: scheme, host, port", () => {
  it("parses the parts and applies defaults", () => {
    expect(parse("http://example.com/a/b?x=1")).toEqual({
      scheme: "http",
      host: "example.com",
      port: 80,
      explicitPort: false,
      path: "/a/b?x=1",
      isIPv6: false,
    });
    expect(parse("https://example.com")).toMatchObject({ scheme: "https", port: 443, path: "/" });
    expect(parse("HTTPS://EXAMPLE.com:8443/P")).toMatchObject({
      scheme: "https",
      host: "example.com",
      port: 8443,
      explicitPort: true,
      path: "/P",
    });
    expect(parse("http://h:80/")).toMatchObject({ port: 80, explicitPort: true });
    expect(parse("http://h:0080/")).toMatchObject({ port: 80, explicitPort: true });
    expect(parse("http://h:/x")).toMatchObject({ port: 80, explicitPort: false, path: "/x" });
    expect(parse("http://h:65535/")).toMatchObject({ port: 65535 });
    expect(parse("http://a")).toMatchObject({ host: "a", path: "/" });
  });

  it.each([
    ["ftp://foo.com", 'unsupported scheme "ftp:"'],
    ["file:///etc/passwd", 'unsupported scheme "file:"'],
    ["javascript:alert(1)", 'unsupported scheme "javascript:"'],
    ["foo.com/x", "has no scheme"],
    ["//foo.com/x", "has no scheme"],
    ["http:/foo.com", 'expected "//" after "http:"'],
    ["http:foo.com", 'expected "//" after "http:"'],
    ["http://", "empty host"],
    ["http:///x", "empty host"],
    ["http://:80/", "empty host"],
    ["http://foo.com:8080:433", 'more than one ":"'],
    ["http://foo.com:0/", "outside 1-65535"],
    ["http://foo.com:70000/", "outside 1-65535"],
    ["http://foo.com:99999999999999999999/", "outside 1-65535"],
    ["http://foo.com:abc/", "is not a number"],
    ["http://foo.com:-1/", "is not a number"],
    ["http://foo.com:+80/", "is not a number"],
    ["http://user:pass@foo.com/", "credentials in the URL"],
    ["http://user@foo.com/", "credentials in the URL"],
    ["http://@foo.com/", "credentials in the URL"],
    ["http://fo o.com/", "not allowed in a host name"],
    ["http://foo%2ecom/", "not allowed in a host name"],
    ["http://b\u00fccher.de/", "punycode"],
    ["http://127.1/", "dotted-quad"],
    ["http://0x7f.0.0.1/", "dotted-quad"],
    ["http://010.0.0.1/", "dotted-quad"],
    ["http://1.2.3.256/", "dotted-quad"],
    ["http://1.2.3.4./", "dotted-quad"],
    ["http://example.123/", "dotted-quad"],
    ["http://[::1/", 'no closing "]"'],
    ["http://[::1]x/", "after the IPv6 address"],
    ["http://[::1]:0/", "outside 1-65535"],
    ["http://[1:2:3:4:5:6:7:8:9]/", "invalid IPv6"],
    ["http://[1::2::3]/", "invalid IPv6"],
    ["http://[fe80::1%25eth0]/", "invalid IPv6"],
    ["http://[12345::]/", "invalid IPv6"],
    ["http://[::1.2.3]/", "invalid IPv6"],
    ["http://[1.2.3.4]/", "invalid IPv6"],
    [" http://h/", "leading or trailing spaces"],
    ["http://h/ ", "leading or trailing spaces"],
    ["http://h/\ud800", "unpaired UTF-16 surrogate"],
    ["http://h/?\udc00", "unpaired UTF-16 surrogate"],
  ])("refuses %j (%s)", (text, reason) => {
    expect(reasonOf(text)).toContain(reason);
  });

  it.each([
    ["http://h/a\r\nHost: evil", "U+000D"],
    ["http://h/a\nb", "U+000A"],
    ["http://h/a\u0000b", "U+0000"],
    ["http://h/a\tb", "U+0009"],
    ["http://h/a\u0001", "U+0001"],
    ["http://h/a\u007f", "U+007F"],
    ["http://h\r\n/", "U+000D"],
    ["ht\ttp://h/", "U+0009"],
    ["http://h/#frag\n", "U+000A"],
  ])("refuses control characters anywhere instead of stripping them: %j", (text, code) => {
    expect(reasonOf(text)).toContain(code);
  });

  it("accepts IPv6 literals and writes them canonically, with brackets only where needed", () => {
    const v6 = parse("http://[::1]:8080/x");
    expect(v6).toMatchObject({ host: "::1", port: 8080, isIPv6: true, path: "/x" });
    expect(formatHostHeader(v6)).toBe("[::1]:8080");
    expect(formatUrl(v6)).toBe("http://[::1]:8080/x");
    expect(parse("http://[::1]/").port).toBe(80);
    expect(parse("http://[::1]:/").explicitPort).toBe(false);
    expect(parse("http://[2001:DB8:0:0:0:0:0:1]/").host).toBe("2001:db8::1");
    expect(parse("http://[0:0:0:0:0:0:0:0]/").host).toBe("::");
    expect(parse("http://[1:0:0:2:0:0:0:3]/").host).toBe("1:0:0:2::3");
    expect(parse("http://[::ffff:192.168.0.1]/").host).toBe("::ffff:c0a8:1");
    expect(parse("http://[1:2:3:4:5:6:7::]/").host).toBe("1:2:3:4:5:6:7:0");
  });

  it("accepts dotted-quad IPv4 and ordinary names", () => {
    expect(parse("http://127.0.0.1:8080/").host).toBe("127.0.0.1");
    expect(parse("http://0.0.0.0/").host).toBe("0.0.0.0");
    expect(parse("http://example.com./").host).toBe("example.com.");
    expect(parse("http://my_host-1.local/").host).toBe("my_host-1.local");
  });
});

describe("parseHttpUrl: path and query for the wire", () => {
  it.each([
    ["http://h", "/"],
    ["http://h?x=1", "/?x=1"],
    ["http://h#frag", "/"],
    ["http://h/p#frag?not-query", "/p"],
    ["http://h/p?q#f", "/p?q"],
    ["http://h/p?", "/p?"],
    ["http://h/a b", "/a%20b"],
    ["http://h/?a b", "/?a%20b"],
    ["http://h/\u00e9?\u00e9", "/%C3%A9?%C3%A9"],
    ["http://h/\u{1f600}", "/%F0%9F%98%80"],
    ['http://h/"<>\\^`{|}', "/%22%3C%3E%5C%5E%60%7B%7C%7D"],
    ['http://h/?"<>\\^`{|}', "/?%22%3C%3E%5C%5E%60%7B%7C%7D"],
    ["http://h/a[]?b[]=1", "/a%5B%5D?b%5B%5D=1"],
    ["http://h/%41%2f%zz%", "/%41%2f%25zz%25"],
    ["http://h/100%", "/100%25"],
    ["http://h/a?b?c/d", "/a?b?c/d"],
    ["http://h/a/b?c=d&e=f;g", "/a/b?c=d&e=f;g"],
    ["http://h/-._~!$&'()*+,;=:@", "/-._~!$&'()*+,;=:@"],
    ["http://h/a/./b/../c", "/a/c"],
    ["http://h/../../x", "/x"],
    ["http://h/a/..", "/"],
    ["http://h/a/.", "/a/"],
    ["http://h/a//b/../c", "/a//c"],
    ["http://h/a/%2e%2e/b", "/a/%2e%2e/b"],
    ["http://h/a?x/../y", "/a?x/../y"],
  ])("%j has the request target %j", (text, path) => {
    expect(parse(text).path).toBe(path);
  });
});

describe("formatHostHeader, formatUrl, originOf, sameOrigin", () => {
  it("leaves default ports out and keeps others", () => {
    expect(formatHostHeader(parse("http://h:80/"))).toBe("h");
    expect(formatHostHeader(parse("https://h:443/"))).toBe("h");
    expect(formatHostHeader(parse("http://h:443/"))).toBe("h:443");
    expect(formatHostHeader(parse("https://h:80/"))).toBe("h:80");
    expect(formatUrl(parse("HTTP://H:80/a?b#c"))).toBe("http://h/a?b");
    expect(originOf(parse("https://h:8443/a?b"))).toBe("https://h:8443");
    expect(originOf(parse("http://[::1]/a"))).toBe("http://[::1]");
  });

  it("compares scheme, host and port", () => {
    expect(sameOrigin(parse("http://h/a"), parse("http://H:80/b?c"))).toBe(true);
    expect(sameOrigin(parse("http://h/"), parse("https://h/"))).toBe(false);
    expect(sameOrigin(parse("http://h/"), parse("http://h:8080/"))).toBe(false);
    expect(sameOrigin(parse("http://h/"), parse("http://h2/"))).toBe(false);
    expect(sameOrigin(parse("http://[::1]/"), parse("http://[0:0::1]/"))).toBe(true);
  });
});

describe("parseHttpUrl agrees with WHATWG URL where both accept", () => {
  it.each([
    "http://example.com",
    "HTTP://Example.COM:8080/A/b?C=d#e",
    "https://h:443/x",
    "http://h?x=1",
    "http://h/a b?c d",
    "http://h/\u00e9\u4e2d?\u00e9",
    "http://h/a/./b/../../c/",
    "http://h/%7e%41",
    "http://[::1]:81/",
    "http://[2001:DB8::0:1]/",
    "http://[::ffff:1.2.3.4]/",
    "http://1.2.3.4/",
    'http://h/"<>`{}',
    "http://h:/p",
  ])("%j", (text) => {
    const ours = parse(text);
    expect(formatUrl(ours)).toBe(whatwg(text));
    const url = new URL(text);
    expect(originOf(ours)).toBe(url.origin);
    expect(formatHostHeader(ours)).toBe(url.host);
  });

  it("on 3000 random URLs built from characters both encode alike", () => {
    const random = mulberry32(20261101);
    const alphabet = [
      ..."abcXYZ019-._~!$&()*+,;=:@/",
      "/",
      "/",
      "./",
      "../",
      "?",
      "#",
      " ",
      '"',
      "<",
      ">",
      "%41",
      "%7e",
      "\u00e9",
      "\u{1f600}",
    ];
    let compared = 0;
    for (let n = 0; n < 3000; n++) {
      let tail = "";
      const length = Math.floor(random() * 12);
      for (let i = 0; i < length; i++) tail += alphabet[Math.floor(random() * alphabet.length)] ?? "";
      const text = `http://h.example${random() < 0.3 ? ":8080" : ""}/${tail}`;
      // Left out of the alphabet where WHATWG differs by design: "'" in a query, "[]^|\\", "%" without
      // two hex digits, "%2e" as a dot segment, a backslash as a separator.
      const ours = parseHttpUrl(text);
      if (!ours.ok) continue;
      expect(formatUrl(ours.url), text).toBe(whatwg(text));
      compared++;
    }
    expect(compared).toBeGreaterThan(2500);
  });
});

describe("removeDotSegments (RFC 3986 §5.2.4)", () => {
  it.each([
    ["/a/b/c/./../../g", "/a/g"],
    ["mid/content=5/../6", "mid/6"],
    ["/", "/"],
    ["", ""],
    ["/.", "/"],
    ["/..", "/"],
    ["/a/..", "/"],
    ["/a/../", "/"],
    ["/a/b/..", "/a/"],
    ["/..a/.b/b.", "/..a/.b/b."],
    ["../x", "x"],
    ["./x", "x"],
    ["..", ""],
  ])("%j becomes %j", (input, output) => {
    expect(removeDotSegments(input)).toBe(output);
  });
});

describe("resolveReference (RFC 3986 §5.4)", () => {
  const baseText = "http://a/b/c/d;p?q";
  const base = parse(baseText);

  // §5.4.1 normal examples; fragments are dropped, so "#s" gives the base itself.
  const normal: [string, string][] = [
    ["g", "http://a/b/c/g"],
    ["./g", "http://a/b/c/g"],
    ["g/", "http://a/b/c/g/"],
    ["/g", "http://a/g"],
    ["//g", "http://g/"],
    ["?y", "http://a/b/c/d;p?y"],
    ["g?y", "http://a/b/c/g?y"],
    ["#s", "http://a/b/c/d;p?q"],
    ["g#s", "http://a/b/c/g"],
    ["g?y#s", "http://a/b/c/g?y"],
    [";x", "http://a/b/c/;x"],
    ["g;x", "http://a/b/c/g;x"],
    ["g;x?y#s", "http://a/b/c/g;x?y"],
    ["", "http://a/b/c/d;p?q"],
    [".", "http://a/b/c/"],
    ["./", "http://a/b/c/"],
    ["..", "http://a/b/"],
    ["../", "http://a/b/"],
    ["../g", "http://a/b/g"],
    ["../..", "http://a/"],
    ["../../", "http://a/"],
    ["../../g", "http://a/g"],
  ];
  // §5.4.2 abnormal examples; "http:g" takes the backward-compatible reading.
  const abnormal: [string, string][] = [
    ["../../../g", "http://a/g"],
    ["../../../../g", "http://a/g"],
    ["/./g", "http://a/g"],
    ["/../g", "http://a/g"],
    ["g.", "http://a/b/c/g."],
    [".g", "http://a/b/c/.g"],
    ["g..", "http://a/b/c/g.."],
    ["..g", "http://a/b/c/..g"],
    ["./../g", "http://a/b/g"],
    ["./g/.", "http://a/b/c/g/"],
    ["g/./h", "http://a/b/c/g/h"],
    ["g/../h", "http://a/b/c/h"],
    ["g;x=1/./y", "http://a/b/c/g;x=1/y"],
    ["g;x=1/../y", "http://a/b/c/y"],
    ["g?y/./x", "http://a/b/c/g?y/./x"],
    ["g?y/../x", "http://a/b/c/g?y/../x"],
    ["g#s/./x", "http://a/b/c/g"],
    ["g#s/../x", "http://a/b/c/g"],
    ["http:g", "http://a/b/c/g"],
  ];

  it.each([...normal, ...abnormal])("%j resolves to %j, as WHATWG URL does", (reference, expected) => {
    expect(resolve(base, reference)).toBe(expected);
    expect(whatwg(reference, baseText)).toBe(expected);
  });

  it('refuses "g:h" and every other non-http(s) scheme, naming it', () => {
    expect(resolveReference(base, "g:h")).toEqual({ ok: false, reason: expect.stringContaining('"g:"') as unknown });
    for (const scheme of ["file", "data", "javascript", "ftp", "JavaScript", "mailto", "ws"]) {
      const result = resolveReference(base, `${scheme}:whatever`);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toContain(`unsupported scheme "${scheme.toLowerCase()}:"`);
    }
    expect(resolveReference(base, "file:///etc/passwd").ok).toBe(false);
    expect(resolveReference(base, "data:text/html,<script>x</script>").ok).toBe(false);
  });

  it("follows absolute and scheme-relative references to other hosts, ports and schemes", () => {
    expect(resolve(base, "https://other.example:8443/x?y#z")).toBe("https://other.example:8443/x?y");
    expect(resolve(base, "HTTPS://Other/")).toBe("https://other/");
    expect(resolve(base, "//other:81/p")).toBe("http://other:81/p");
    expect(resolve(parse("https://a/b"), "//other/p")).toBe("https://other/p");
    expect(resolve(base, "//[::1]:8080/x")).toBe("http://[::1]:8080/x");
    expect(resolve(parse("http://[::1]:8080/a/b"), "c")).toBe("http://[::1]:8080/a/c");
    expect(resolve(parse("http://h:8080/a/b"), "/c")).toBe("http://h:8080/c");
  });

  it("normalises the result like parseHttpUrl", () => {
    expect(resolve(base, "a b/\u00e9?x y")).toBe("http://a/b/c/a%20b/%C3%A9?x%20y");
    expect(resolve(parse("http://h/"), "http://h/a/../b")).toBe("http://h/b");
    expect(resolve(parse("http://h/p?"), "")).toBe("http://h/p?");
  });

  it.each([
    ["/x\r\nSet-Cookie: a=b", "U+000D"],
    ["/x\u0000", "U+0000"],
    ["/x\ty", "U+0009"],
    ["https:g", 'names "https:" but no "//host"'],
    ["http://u:p@evil/", "credentials"],
    ["http://h:99999/", "outside 1-65535"],
    ["//", "empty host"],
  ])("refuses %j", (reference, reason) => {
    const result = resolveReference(base, reference);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });
});
