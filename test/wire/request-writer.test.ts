import { describe, expect, it } from "vitest";
import {
  DEFAULT_USER_AGENT,
  type RequestHeadOptions,
  validateRequestHead,
  validateRequestTarget,
  writeRequestHead,
} from "../../src/client/wire/request-writer.ts";
import { requestTargetOf } from "../../src/client/wire/request-target.ts";
import { VERSION } from "../../src/status/version.ts";

const base: RequestHeadOptions = { method: "GET", target: "/", host: "example.com", port: 80, tls: false, headers: [], bodyLength: -1 };
const UA = `User-Agent: poll-http/${VERSION}\r\n`;

function text(options: Partial<RequestHeadOptions>): string {
  const r = writeRequestHead({ ...base, ...options });
  if (!r.ok) throw new Error(r.reason);
  return Buffer.from(r.bytes).toString("utf8");
}
function refusal(options: Partial<RequestHeadOptions>): string {
  const r = writeRequestHead({ ...base, ...options });
  expect(r.ok).toBe(false);
  return r.ok ? "" : r.reason;
}

describe("writeRequestHead", () => {
  it("writes a GET with the automatic headers", () => {
    expect(text({ target: "/a/b?c=d", headers: ["X-Test:   yes  "] })).toBe(
      `GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nX-Test: yes\r\n${UA}Accept: */*\r\n\r\n`,
    );
    expect(DEFAULT_USER_AGENT).toBe(`poll-http/${VERSION}`);
  });

  it("writes a POST with a body length", () => {
    expect(text({ method: "POST", target: "/submit", headers: ["Content-Type: application/json"], bodyLength: 13 })).toBe(
      `POST /submit HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\nContent-Length: 13\r\n${UA}Accept: */*\r\n\r\n`,
    );
  });

  it.each(["POST", "PUT", "PATCH"])("announces an empty %s body with Content-Length: 0", (method) => {
    expect(text({ method, bodyLength: 0 })).toBe(
      `${method} / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\n${UA}Accept: */*\r\n\r\n`,
    );
  });

  it("writes no Content-Length for an empty GET or DELETE, or with bodyLength -1", () => {
    expect(text({ bodyLength: 0 })).toBe(`GET / HTTP/1.1\r\nHost: example.com\r\n${UA}Accept: */*\r\n\r\n`);
    expect(text({ method: "DELETE", bodyLength: 0 })).not.toContain("Content-Length");
    expect(text({ method: "POST", bodyLength: -1 })).not.toContain("Content-Length");
  });

  it("lets user headers replace the automatic ones, case-insensitively, the Host line first wherever it was given", () => {
    expect(
      text({
        method: "PUT",
        bodyLength: 3,
        headers: ["USER-AGENT: mine/1", "host: other.example", "accept: text/html", "content-length: 3"],
      }),
    ).toBe("PUT / HTTP/1.1\r\nhost: other.example\r\nUSER-AGENT: mine/1\r\naccept: text/html\r\ncontent-length: 3\r\n\r\n");
  });

  it("writes Host right after the request line (RFC 9110 §7.2), whatever headers come", () => {
    for (const headers of [[], ["A: 1"], ["A: 1", "B: 2", "Accept: x"], ["A: 1", "HOST: h.test:81"]]) {
      const head = text({ headers });
      expect(head.split("\r\n")[1]).toMatch(/^host: /i);
    }
  });

  it.each([
    ["chunked", "string body", 20, false],
    ["chunked", "streamed body of unknown length", -1, true],
    ["gzip, chunked", "string body", 5, false],
    ["identity", "empty body", 0, false],
  ])("refuses a caller's Transfer-Encoding: %s with a %s (the client frames the body)", (value, _what, bodyLength, chunked) => {
    const r = writeRequestHead({ ...base, method: "POST", bodyLength, chunked, headers: ["X: 1", `transfer-encoding: ${value}`] });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe("framing-header");
      expect(r.fault).toBe("caller");
      expect(r.reason).toMatch(/Transfer-Encoding header may not be given/);
    }
  });

  it.each([
    ["example.com", 80, false, "example.com"],
    ["example.com", 443, true, "example.com"],
    ["example.com", 443, false, "example.com:443"],
    ["example.com", 80, true, "example.com:80"],
    ["example.com", 8080, false, "example.com:8080"],
    ["127.0.0.1", 8443, true, "127.0.0.1:8443"],
    ["::1", 80, false, "[::1]"],
    ["2001:db8::1", 8080, true, "[2001:db8::1]:8080"],
    ["[::1]", 81, false, "[::1]:81"],
  ])("writes Host for %s port %i tls %s as %s", (host, port, tls, expected) => {
    expect(text({ host, port, tls })).toContain(`\r\nHost: ${expected}\r\n`);
  });

  it("writes non-ASCII text as UTF-8", () => {
    const r = writeRequestHead({ ...base, target: "/caf\u00e9", headers: ["X-Name: Jos\u00e9"] });
    expect(
      r.ok && Buffer.from(r.bytes).includes(Buffer.from("/caf\u00e9 HTTP/1.1\r\nHost: example.com\r\nX-Name: Jos\u00e9\r\n", "utf8")),
    ).toBe(true);
  });

  it.each([
    ["CR in a value", { headers: ["X-A: b\rc"] }, "header 0 (X-A) contains a control character (CR, LF, NUL…) in its value"],
    [
      "LF in a value",
      { headers: ["Ok: 1", "X-A: b\nInjected: 1"] },
      "header 1 (X-A) contains a control character (CR, LF, NUL…) in its value",
    ],
    ["CRLF at the end", { headers: ["X-A: b\r\n"] }, "header 0 (X-A) contains a control character (CR, LF, NUL…) in its value"],
    ["NUL in a value", { headers: ["X-A: b\0"] }, "header 0 (X-A) contains a control character (CR, LF, NUL…) in its value"],
    [
      "another control character",
      { headers: ["X-A: \x1b[31m"] },
      "header 0 (X-A) contains a control character (CR, LF, NUL…) in its value",
    ],
    ["CR in a name", { headers: ["X\r\nA: b"] }, "header 0 does not start with a valid field name and a colon"],
    ["a space in a name", { headers: ["Bad Name: x"] }, "header 0 does not start with a valid field name and a colon"],
    ["an empty name", { headers: [": x"] }, "header 0 does not start with a valid field name and a colon"],
    ["no colon", { headers: ["NoColon"] }, "header 0 has no colon"],
    ["a duplicate Host", { headers: ["Host: a", "host: b"] }, "more than one Host header"],
    [
      "a duplicate Content-Length",
      { bodyLength: 1, headers: ["Content-Length: 1", "Content-Length: 1"] },
      "more than one Content-Length header",
    ],
    [
      "a Content-Length that contradicts the body",
      { bodyLength: 10, headers: ["Content-Length: 5"] },
      "the Content-Length header (5) does not match the body length (10)",
    ],
    [
      "Content-Length with Transfer-Encoding",
      { headers: ["Content-Length: 5", "Transfer-Encoding: chunked"] },
      "a Transfer-Encoding header may not be given: the client frames the body itself (Content-Length, or chunked for a streamed body of unknown length)",
    ],
    ["a space in the target", { target: "/a b" }, "the request target contains a forbidden character (0x20) at index 2"],
    ["CRLF in the target", { target: "/a\r\nX: y" }, "the request target contains a forbidden character (0x0d) at index 2"],
    ["NUL in the target", { target: "/\0" }, "the request target contains a forbidden character (0x00) at index 1"],
    ["a relative target", { target: "a/b" }, "the request target must start with /, http:// or https://"],
    ["CR in the host", { host: "example.com\r\nX: y" }, "the host contains whitespace or a control character (CR, LF, NUL…)"],
    ["NUL in the host", { host: "a\0b" }, "the host contains whitespace or a control character (CR, LF, NUL…)"],
    ["an empty host", { host: "" }, "the host is empty"],
    ["port 0", { port: 0 }, "invalid port 0"],
    ["port 65536", { port: 65536 }, "invalid port 65536"],
    ["a negative body length", { bodyLength: -2 }, "invalid body length -2"],
    ["a method with a space", { method: "GET X" }, 'the method "GET X" is not a valid token'],
    ["a method with CRLF", { method: "GET\r\n" }, 'the method "GET\\x0d\\x0a" is not a valid token'],
    ["an empty method", { method: "" }, 'the method "" is not a valid token'],
  ])("refuses %s", (_name, options, reason) => {
    expect(refusal(options as Partial<RequestHeadOptions>)).toBe(reason);
    const r = writeRequestHead({ ...base, ...(options as Partial<RequestHeadOptions>) });
    expect(r.ok ? "" : r.fault).toBe("caller");
    expect(r.ok ? "" : r.code).toMatch(/^(invalid-(method|target|host|port|body-length|header)|framing-header)$/);
  });

  it("accepts HTAB in values and custom token verbs", () => {
    expect(text({ method: "PROPFIND", headers: ["X-A: a\tb"] })).toMatch(/^PROPFIND \/ HTTP\/1\.1\r\nHost: example.com\r\nX-A: a\tb\r\n/);
  });
});

describe("validateRequestTarget", () => {
  it.each([
    ["GET", "/"],
    ["GET", "/a?b=c#d"],
    ["GET", "http://example.com/x"],
    ["POST", "https://example.com"],
    ["OPTIONS", "*"],
    ["OPTIONS", "/x"],
    ["CONNECT", "example.com:443"],
    ["CONNECT", "[::1]:8080"],
    ["CONNECT", "10.0.0.1:80"],
    ["GET", "/\u00e9\u4e2d"],
  ])("accepts %s %s", (method, target) => {
    expect(validateRequestTarget(method, target)).toBeNull();
  });

  it.each([
    ["GET", "", "the request target is empty"],
    ["GET", "*", "the request target * is only allowed with OPTIONS"],
    ["GET", "example.com", "the request target must start with /, http:// or https://"],
    ["GET", "ftp://x/", "the request target must start with /, http:// or https://"],
    ["CONNECT", "/", "a CONNECT request target must be host:port"],
    ["CONNECT", "example.com", "a CONNECT request target must be host:port"],
    ["CONNECT", ":443", "a CONNECT request target must be host:port"],
    ["CONNECT", "example.com:", "a CONNECT request target must be host:port"],
    ["CONNECT", "http://example.com:443", "a CONNECT request target must be host:port"],
    ["GET", "/a\x7f", "the request target contains a forbidden character (0x7f) at index 2"],
    ["GET", "/a\tb", "the request target contains a forbidden character (0x09) at index 2"],
  ])("refuses %s %j", (method, target, reason) => {
    expect(validateRequestTarget(method, target)).toEqual({ code: "invalid-target", reason, fault: "caller" });
  });
});

describe("requestTargetOf", () => {
  it.each([
    ["GET", "/"],
    ["GET", "/a?b=c"],
    ["GET", "/a?b=c#d"],
    ["GET", "/a#b c"],
    ["GET", "/a#\x00"],
    ["GET", "/a b#c"],
    ["GET", "#x"],
    ["GET", "/#"],
    ["GET", "*#x"],
    ["OPTIONS", "*#x"],
    ["CONNECT", "example.com:443#x"],
    ["GET", "http://h.test/x#y#z"],
    ["GET", "example.com#/"],
    ["GET", ""],
  ])("is the text before the fragment, checked as validateRequestTarget checks it: %s %j", (method, url) => {
    const hash = url.indexOf("#");
    const target = hash === -1 ? url : url.slice(0, hash);
    const refused = validateRequestTarget(method, target);
    expect(requestTargetOf(method, url)).toEqual(refused ?? target);
  });
});

describe("validateRequestHead", () => {
  it("refuses exactly what writeRequestHead refuses, with the same typed failure, without building the head", () => {
    const get: RequestHeadOptions = { ...base, host: "example.test", bodyLength: 0 };
    const cases: RequestHeadOptions[] = [
      get,
      { ...get, method: "G T" },
      { ...get, target: "no-slash" },
      { ...get, host: "" },
      { ...get, port: 0 },
      { ...get, headers: ["X-A: 1", "Bad Name: x"] },
      { ...get, headers: ["X-A: a\rb"] },
      { ...get, headers: ["Host: a", "Host: b"] },
      { ...get, headers: ["Content-Length: 3"], bodyLength: 4 },
      { ...get, headers: ["Transfer-Encoding: chunked"], bodyLength: -1 },
      { ...get, bodyLength: 5, chunked: true },
      { ...get, method: "POST", headers: ["Content-Length: 5"], bodyLength: 5 },
    ];
    let refused = 0;
    for (const options of cases) {
      const written = writeRequestHead(options);
      if (written.ok) {
        expect(validateRequestHead(options)).toBeNull();
      } else {
        refused++;
        const { ok: _ok, ...failure } = written;
        expect(validateRequestHead(options)).toEqual(failure);
      }
    }
    expect(refused).toBe(10);
  });
});
