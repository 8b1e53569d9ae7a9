import { describe, expect, it } from "vitest";
import { parseHttpUrl, formatUrl, type HttpUrl } from "../../src/client/url.ts";
import {
  findLocation,
  isRedirectStatus,
  planRedirect,
  type RedirectPlan,
  type RedirectRefusal,
  type RedirectRequest,
} from "../../src/request-node/redirect-policy.ts";

function url(text: string): HttpUrl {
  const result = parseHttpUrl(text);
  if (!result.ok) throw new Error(result.reason);
  return result.url;
}

const BODY = new TextEncoder().encode("a=1");
const HEADERS = [
  "Content-Type: application/x-www-form-urlencoded",
  "Content-Length: 3",
  "content-encoding: identity",
  "Content-Language: en",
  "Content-Location: /x",
  "Transfer-Encoding: chunked",
  "Authorization: Bearer secret",
  "cookie: session=1",
  "PROXY-AUTHORIZATION: Basic eA==",
  "X-Custom: kept",
  "Accept: */*",
];

function request(overrides: Partial<RedirectRequest>): RedirectRequest {
  return {
    statusCode: 302,
    method: "POST",
    body: BODY,
    headers: HEADERS,
    from: url("http://example.com/form"),
    location: "/done",
    ...overrides,
  };
}

function plan(overrides: Partial<RedirectRequest>): RedirectPlan {
  const result = planRedirect(request(overrides));
  if (!result.ok) throw new Error(`expected a plan, got ${result.kind}: ${result.reason}`);
  return result;
}

function refusal(overrides: Partial<RedirectRequest>): RedirectRefusal {
  const result = planRedirect(request(overrides));
  if (result.ok) throw new Error(`expected a refusal, got ${formatUrl(result.url)}`);
  return result;
}

const names = (lines: readonly string[]): string[] => lines.map((l) => (l.split(":")[0] ?? "").toLowerCase());

describe("isRedirectStatus", () => {
  it("accepts 301, 302, 303, 307, 308 only", () => {
    const followed = [];
    for (let code = 100; code < 600; code++) if (isRedirectStatus(code)) followed.push(code);
    expect(followed).toEqual([301, 302, 303, 307, 308]);
  });
});

describe("findLocation", () => {
  it("matches the field name Location exactly, in any case; Content-Location is not Location (W16)", () => {
    expect(findLocation(["Content-Location: /wrong", "Location: /right"])).toEqual(["/right"]);
    expect(findLocation(["Content-Location: /wrong"])).toEqual([]);
    expect(findLocation(["X-Location: /wrong", "Locations: /wrong", "Location-X: /wrong"])).toEqual([]);
    expect(findLocation(["LOCATION: /a"])).toEqual(["/a"]);
    expect(findLocation(["location:/no-space"])).toEqual(["/no-space"]);
    expect(findLocation(["Location: \t /padded \t "])).toEqual(["/padded"]);
    expect(findLocation(["Location:", "Location:   "])).toEqual([]);
    expect(findLocation(["Location: /a", "Location: /b"])).toEqual(["/a", "/b"]);
    expect(findLocation(["Location"])).toEqual([]);
    expect(findLocation([])).toEqual([]);
  });
});

describe("planRedirect: method and body", () => {
  it.each([301, 302])("%i turns POST into GET without a body, dropping body headers", (statusCode) => {
    const p = plan({ statusCode });
    expect(p.method).toBe("GET");
    expect(p.body).toBeUndefined();
    expect(names(p.headers)).toEqual(["authorization", "cookie", "proxy-authorization", "x-custom", "accept"]);
    expect(names(p.droppedHeaders)).toEqual([
      "content-type",
      "content-length",
      "content-encoding",
      "content-language",
      "content-location",
      "transfer-encoding",
    ]);
    expect(formatUrl(p.url)).toBe("http://example.com/done");
    expect(p.sameOrigin).toBe(true);
  });

  it.each([301, 302])("%i keeps PUT, DELETE, PATCH with their bodies (as Fetch does)", (statusCode) => {
    for (const method of ["PUT", "DELETE", "PATCH"]) {
      const p = plan({ statusCode, method });
      expect(p.method).toBe(method);
      expect(p.body).toBe(BODY);
      expect(p.headers).toEqual(HEADERS);
    }
  });

  it("303 turns every method but GET and HEAD into GET without a body", () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
      const p = plan({ statusCode: 303, method });
      expect(p.method).toBe("GET");
      expect(p.body).toBeUndefined();
      expect(names(p.headers)).not.toContain("content-type");
    }
    expect(plan({ statusCode: 303, method: "HEAD", body: undefined }).method).toBe("HEAD");
    const get = plan({ statusCode: 303, method: "GET", body: undefined, headers: ["Content-Type: text/plain"] });
    expect(get.method).toBe("GET");
    expect(get.headers).toEqual(["Content-Type: text/plain"]);
  });

  it.each([307, 308])("%i keeps method, body and body headers", (statusCode) => {
    const p = plan({ statusCode });
    expect(p.method).toBe("POST");
    expect(p.body).toBe(BODY);
    expect(p.headers).toEqual(HEADERS);
    expect(p.droppedHeaders).toEqual([]);
  });

  it("301/302 keep GET and HEAD", () => {
    expect(plan({ statusCode: 301, method: "GET", body: undefined }).method).toBe("GET");
    expect(plan({ statusCode: 302, method: "HEAD", body: undefined }).method).toBe("HEAD");
  });
});

describe("planRedirect: headers across origins", () => {
  const credentials = ["authorization", "cookie", "proxy-authorization"];

  it("keeps credentials on the same origin, including a relative Location", () => {
    const p = plan({ statusCode: 307, location: "../x?y" });
    expect(formatUrl(p.url)).toBe("http://example.com/x?y");
    expect(names(p.headers)).toEqual(expect.arrayContaining(credentials));
    expect(plan({ statusCode: 307, location: "http://EXAMPLE.com:80/y" }).sameOrigin).toBe(true);
  });

  it.each([
    ["another host", "http://other.example/"],
    ["another port", "http://example.com:8080/"],
    ["another scheme", "https://example.com/"],
    ["a scheme-relative reference to another host", "//evil.example/steal"],
  ])("drops Authorization, Cookie, Proxy-Authorization (any case) for %s", (_what, location) => {
    const p = plan({ statusCode: 307, location });
    expect(p.sameOrigin).toBe(false);
    for (const name of credentials) expect(names(p.headers)).not.toContain(name);
    expect(names(p.droppedHeaders)).toEqual(credentials);
    expect(names(p.headers)).toContain("x-custom");
  });

  it("drops both kinds at once for a cross-origin 303 after POST", () => {
    const p = plan({ statusCode: 303, location: "https://other/" });
    expect(names(p.headers)).toEqual(["x-custom", "accept"]);
  });

  it("drops a user Host header when the Host value would change, keeps it otherwise", () => {
    const headers = ["Host: example.com", "X-A: 1"];
    expect(plan({ statusCode: 307, headers, location: "/same" }).headers).toEqual(headers);
    expect(plan({ statusCode: 307, headers, location: "https://example.com/" }).headers).toEqual(headers);
    expect(plan({ statusCode: 307, headers, location: "http://other/" }).headers).toEqual(["X-A: 1"]);
    expect(plan({ statusCode: 307, headers: ["host : example.com"], location: "http://example.com:81/" }).headers).toEqual([]);
  });

  it("does not change the caller's arrays", () => {
    const headers = [...HEADERS];
    plan({ statusCode: 303, headers, location: "https://other/" });
    expect(headers).toEqual(HEADERS);
  });
});

describe("planRedirect: raw bytes in Location", () => {
  // Header values hold one character per received byte (latin1).
  const received = (bytes: number[]): string => String.fromCharCode(...bytes);
  it.each([
    ["UTF-8 é in the path", received([0x2f, 0x63, 0x61, 0x66, 0xc3, 0xa9]), "http://example.com/caf%C3%A9"],
    ["UTF-8 in the query", `/s?q=${received([0xe2, 0x82, 0xac])}`, "http://example.com/s?q=%E2%82%AC"],
    ["a lone Latin-1 byte", received([0x2f, 0xe9]), "http://example.com/%E9"],
    ["an absolute URL with UTF-8", `http://other.example/${received([0xc3, 0xbc])}ber`, "http://other.example/%C3%BCber"],
    ["existing escapes kept", "/a%C3%A9b", "http://example.com/a%C3%A9b"],
  ])("percent-encodes the bytes as received: %s", (_name, location, expected) => {
    expect(formatUrl(plan({ location }).url)).toBe(expected);
  });
});

describe("planRedirect: Location problems", () => {
  it("treats a missing or empty Location as a final response (no-location)", () => {
    for (const location of [undefined, "", "   ", [], ["", " "]]) {
      expect(refusal({ location }).kind).toBe("no-location");
    }
  });

  it("accepts the array from findLocation, refusing conflicting values", () => {
    expect(formatUrl(plan({ location: findLocation(["Location: /a", "Location: /a"]) }).url)).toBe("http://example.com/a");
    const conflict = refusal({ location: findLocation(["Location: /a", "Location: http://evil/"]) });
    expect(conflict.kind).toBe("invalid");
    expect(conflict.reason).toContain("conflicting Location");
  });

  it.each([
    ["file:///etc/passwd", 'unsupported scheme "file:"'],
    ["data:text/plain,hi", 'unsupported scheme "data:"'],
    ["javascript:alert(1)", 'unsupported scheme "javascript:"'],
    ["ftp://example.com/x", 'unsupported scheme "ftp:"'],
    ["/x\r\nSet-Cookie: a=1", "U+000D"],
    ["/x\ny", "U+000A"],
    ["/x\u0000", "U+0000"],
    ["/x\u0007", "U+0007"],
    ["http://user:pw@other/", "credentials"],
    ["http://other:0/", "outside 1-65535"],
  ])("refuses %j as invalid", (location, reason) => {
    const r = refusal({ location });
    expect(r.kind).toBe("invalid");
    expect(r.reason).toContain(reason);
  });

  it("reports a status that is not a followed redirect", () => {
    for (const statusCode of [200, 300, 304, 305, 306]) expect(refusal({ statusCode }).kind).toBe("not-redirect");
  });

  it("follows https to http by default and refuses it when asked", () => {
    const from = url("https://example.com/");
    expect(plan({ from, location: "http://example.com/" }).url.scheme).toBe("http");
    const r = refusal({ from, location: "http://example.com/", refuseDowngrade: true });
    expect(r.kind).toBe("invalid");
    expect(plan({ from, location: "https://other/", refuseDowngrade: true }).url.host).toBe("other");
  });
});
