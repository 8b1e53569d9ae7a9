// RFC 9112 cases the parser handles by the letter: obs-fold unfolded (§5.2), a Transfer-Encoding
// whose final coding is not chunked read until close (§6.3 rule 4), an invalid field line reported
// as soon as it is complete, bare LF accepted by default and refused in strict mode (§2.2), and a
// 101 that nobody asked for refused. Every case runs at every byte split (feed()).
import { describe, expect, it } from "vitest";
import type { ResponseHead } from "../../src/client/wire/response-events.ts";
import { errorReason, feed, type SimpleEvent } from "./split-feed.ts";

const ok = "HTTP/1.1 200 OK\r\n";
const head = (events: SimpleEvent[]): ResponseHead => {
  const found = events.find((e) => e.type === "head");
  if (found?.type !== "head") throw new Error(`no head in ${JSON.stringify(events)}`);
  return found.head;
};
const lastError = (events: SimpleEvent[]): { reason: string; code: string } | undefined => {
  const last = events.at(-1);
  return last?.type === "error" ? { reason: last.reason, code: last.code } : undefined;
};

describe("obs-fold is unfolded into one SP (RFC 9112 §5.2)", () => {
  it.each([
    ["one continuation with SP", `${ok}X-A: one\r\n two\r\nContent-Length: 0\r\n\r\n`, "one two"],
    ["a continuation with HTAB and trailing space", `${ok}X-A: one\r\n\t two \r\nContent-Length: 0\r\n\r\n`, "one two"],
    ["several continuations", `${ok}X-A: a\r\n b\r\n  c\r\n\td\r\nContent-Length: 0\r\n\r\n`, "a b c d"],
    ["an empty first line", `${ok}X-A:\r\n  b\r\nContent-Length: 0\r\n\r\n`, "b"],
    ["a whitespace-only continuation", `${ok}X-A: a\r\n   \r\nContent-Length: 0\r\n\r\n`, "a"],
    ["bare LF line ends", `${ok}X-A: a\n b\nContent-Length: 0\n\n`, "a b"],
  ])("%s", (_name, text, value) => {
    const r = feed(text);
    expect(r.events.map((e) => e.type)).toEqual(["head", "end"]);
    expect(head(r.events).headers).toEqual([
      { name: "X-A", value },
      { name: "Content-Length", value: "0" },
    ]);
  });

  it("unfolds a folded Content-Length before framing reads it, and folded trailers", () => {
    const r = feed(`${ok}Content-Length:\r\n 3\r\n\r\nabc`);
    expect(head(r.events)).toMatchObject({ framing: "length", contentLength: 3 });
    const t = feed(`${ok}Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-T: a\r\n b\r\n\r\n`);
    expect(t.events.at(-1)).toEqual({ type: "end", trailers: [{ name: "X-T", value: "a b" }] });
  });

  it("still refuses whitespace before the first field line (nothing to continue)", () => {
    expect(errorReason(feed(`${ok} X-A: a\r\n\r\n`, { end: true }))).toBe("a header line starting with whitespace before any header field");
  });
});

describe("a Transfer-Encoding whose final coding is not chunked: the body runs to close (RFC 9112 §6.3 rule 4)", () => {
  it.each([
    ["chunked, identity", ["chunked"]],
    ["gzip", ["gzip"]],
    ["x-unknown", ["x-unknown"]],
    ["chunked, gzip", ["chunked", "gzip"]],
    ["identity", []],
  ])("Transfer-Encoding: %s", (value, codings) => {
    const body = "5\r\nhello\r\n0\r\n\r\n and more";
    const r = feed(`${ok}Transfer-Encoding: ${value}\r\n\r\n${body}`, { end: true });
    expect(head(r.events)).toMatchObject({
      framing: "close",
      chunked: false,
      contentLength: -1,
      keepAlive: false,
      transferCodings: codings,
    });
    expect(r.events.slice(1)).toEqual([
      { type: "data", text: body },
      { type: "end", trailers: [] },
    ]);
  });

  it("keeps a final chunked coding and lists the codings before it", () => {
    const r = feed(`${ok}Transfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`);
    expect(head(r.events)).toMatchObject({ framing: "chunked", chunked: true, transferCodings: ["gzip"] });
  });

  it.each([
    ["a HEAD request", "200 OK", true],
    ["204", "204 No Content", false],
    ["304", "304 Not Modified", false],
  ])("has no body for %s", (_name, status, headRequest) => {
    const r = feed(`HTTP/1.1 ${status}\r\nTransfer-Encoding: chunked, gzip\r\n\r\n`, { responses: [{ headRequest }] });
    expect(r.events.map((e) => e.type)).toEqual(["head", "end"]);
    expect(head(r.events)).toMatchObject({ framing: "none", transferCodings: [], keepAlive: true });
  });
});

describe("an invalid field line is reported as soon as it is complete", () => {
  it.each([
    ["a space in a name", "Bad Name: x\r\n", "invalid character in header field name"],
    ["a space before the colon", "X-B : x\r\n", "whitespace between a header field name and the colon"],
    ["a line without a colon", "NoColon\r\n", "header line without a colon"],
    ["a control character in a value", "X-A: a\x01b\r\n", "control character in the value of header field X-A"],
    ["NUL", "X-A: a\0b\r\n", "NUL byte in the response head"],
    ["a bare CR", "X-A: a\rb\r\n", "bare CR (not followed by LF) in the response head"],
    ["a bad status line", null, "invalid status code in the status line (expected three digits followed by a space or the line end)"],
  ])("%s: the reason names it while the head is unfinished, and when the connection then closes", (_name, line, reason) => {
    const text = line === null ? "HTTP/1.1 2000 OK\r\nX-A: 1\r\n" : `${ok}X-A: 1\r\n${line}X-B: 2\r\n`;
    // No end of head yet, the connection still open: the error is already there.
    expect(lastError(feed(text).events)).toEqual({ reason, code: "malformed" });
    // The connection closes inside the head: still the real fault, not "closed before the end of the head".
    expect(lastError(feed(text, { end: true }).events)).toEqual({ reason, code: "malformed" });
  });

  it("a line invalid within the head limit wins over the limit, the limit over a line past it", () => {
    const text = `${ok}X-A: 1\r\nBad Name: x\r\n${"X-Pad: yyyyyyyy\r\n".repeat(8)}`;
    expect(errorReason(feed(text, { parser: { maxHeadBytes: 60 } }))).toBe("invalid character in header field name");
    expect(errorReason(feed(text, { parser: { maxHeadBytes: 30 } }))).toBe("response head exceeds the limit of 30 bytes");
  });

  it("counts fields while the head arrives, and reports an invalid trailer line before the trailer section ends", () => {
    expect(errorReason(feed(`${ok}A: 1\r\nB: 2\r\nC: 3\r\n`, { parser: { maxHeaderCount: 2 } }))).toBe("more than 2 header fields");
    expect(errorReason(feed(`${ok}Transfer-Encoding: chunked\r\n\r\n0\r\nBad Name: x\r\n`, { end: true }))).toBe(
      "invalid character in trailer field name",
    );
  });
});

describe("bare LF: accepted by default, refused in strict mode (RFC 9112 §2.2)", () => {
  const strict = { parser: { strict: true } };
  it.each([
    ["in a header line", `${ok}X-A: 1\nContent-Length: 0\r\n\r\n`],
    ["ending the status line", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n"],
    ["as the empty line", `${ok}Content-Length: 0\r\n\n`],
    ["before the status line", `\n${ok}Content-Length: 0\r\n\r\n`],
  ])("%s", (_name, text) => {
    expect(feed(text).events.map((e) => e.type)).toEqual(["head", "end"]);
    expect(errorReason(feed(text, strict))).toMatch(/^bare LF \(not preceded by CR\) in the response head; refused in strict mode$/);
  });

  it("in the trailer section", () => {
    const text = `${ok}Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\n\r\n`;
    expect(feed(text).events.at(-1)).toEqual({ type: "end", trailers: [{ name: "X-T", value: "1" }] });
    expect(errorReason(feed(text, strict))).toBe("bare LF (not preceded by CR) in the trailer section; refused in strict mode");
    expect(errorReason(feed(`${ok}Transfer-Encoding: chunked\r\n\r\n0\r\n\n`, strict))).toMatch(/^bare LF .* trailer section/);
  });

  it("a bare CR is refused in both modes; strict accepts CRLF heads as the default does", () => {
    for (const options of [{}, strict]) {
      expect(errorReason(feed(`${ok}X-A: a\rb\r\n\r\n`, options))).toBe("bare CR (not followed by LF) in the response head");
      expect(feed(`${ok}Content-Length: 2\r\n\r\nhi`, options).events.map((e) => e.type)).toEqual(["head", "data", "end"]);
    }
  });
});

describe("101 Switching Protocols", () => {
  it("is refused when no upgrade was requested, accepted when one was", () => {
    const text = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    expect(lastError(feed(text).events)).toEqual({
      reason: "101 Switching Protocols, but the request asked for no upgrade",
      code: "unexpected-upgrade",
    });
    expect(feed(text, { responses: [{ headRequest: false, upgradeRequested: true }] }).events.map((e) => e.type)).toEqual(["head", "end"]);
  });
});
