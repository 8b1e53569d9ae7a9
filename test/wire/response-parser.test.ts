import { describe, expect, it } from "vitest";
import type { ResponseHead } from "../../src/client/wire/response-events.ts";
import { feed, type SimpleEvent } from "./split-feed.ts";

const GET = { headRequest: false };
const HEAD = { headRequest: true };

function heads(events: SimpleEvent[]): ResponseHead[] {
  return events.flatMap((e) => (e.type === "head" ? [e.head] : []));
}
function onlyHead(events: SimpleEvent[]): ResponseHead {
  const all = heads(events);
  expect(all).toHaveLength(1);
  return all[0] as ResponseHead;
}
const end = (trailers: { name: string; value: string }[] = []): SimpleEvent => ({ type: "end", trailers });

describe("ResponseParser: Content-Length", () => {
  it("parses a length-framed response", () => {
    const r = feed("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world");
    expect(r.variants).toBe(22);
    expect(r.events).toEqual([
      {
        type: "head",
        head: {
          versionMinor: 1,
          statusCode: 200,
          reason: "OK",
          headers: [
            { name: "Content-Type", value: "text/plain" },
            { name: "Content-Length", value: "11" },
          ],
          framing: "length",
          contentLength: 11,
          chunked: false,
          transferCodings: [],
          keepAlive: true,
        },
      },
      { type: "data", text: "hello world" },
      end(),
    ]);
    expect(r.parser.getResponseBytesSeen()).toBe(76);
  });

  it("treats Content-Length: 0 as no body", () => {
    const r = feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    expect(r.events).toEqual([expect.objectContaining({ type: "head" }), end()]);
    expect(onlyHead(r.events)).toMatchObject({ framing: "none", contentLength: 0, keepAlive: true });
  });

  it("collapses identical Content-Length values (list and repeated field)", () => {
    const r = feed("HTTP/1.1 200 OK\r\nContent-Length: 12, 12\r\nContent-Length: 12\r\n\r\nhello world!");
    expect(onlyHead(r.events)).toMatchObject({ framing: "length", contentLength: 12 });
    expect(r.events.at(-2)).toEqual({ type: "data", text: "hello world!" });
  });

  it("trims header values, keeps name case and duplicates, decodes latin1", () => {
    const r = feed(
      "HTTP/1.1 200 OK\r\nSet-Cookie:  a=1 \t\r\nset-cookie:b=2\r\nX-Empty:\r\nX-Latin: caf\xe9 \x80\r\nContent-Length: 0\r\n\r\n",
    );
    expect(onlyHead(r.events).headers).toEqual([
      { name: "Set-Cookie", value: "a=1" },
      { name: "set-cookie", value: "b=2" },
      { name: "X-Empty", value: "" },
      { name: "X-Latin", value: "caf\u00e9 \u0080" },
      { name: "Content-Length", value: "0" },
    ]);
  });

  it("hands out body bytes as views of the pushed array", () => {
    const r = feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    const data = r.raw.find((e) => e.type === "data");
    expect(data?.type === "data" && data.data.byteOffset).toBe(38);
  });

  it("caps data events at maxDataBytes", () => {
    const r = feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", { maxDataBytes: 3 });
    expect(r.raw.flatMap((e) => (e.type === "data" ? [e.data.length] : []))).toEqual([3, 3, 3, 1]);
    expect(r.events.at(-2)).toEqual({ type: "data", text: "0123456789" });
  });
});

describe("ResponseParser: chunked", () => {
  it("decodes chunks with extensions and trailers", () => {
    const body = '5;name=value\r\nhello\r\n6 ; a ; b="q\\"x"\r\n world\r\n0\r\nExpires: never\r\nX-Sum:  abc \r\n\r\n';
    const r = feed(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
    expect(onlyHead(r.events)).toMatchObject({ framing: "chunked", contentLength: -1, chunked: true, keepAlive: true });
    expect(r.events.slice(1)).toEqual([
      { type: "data", text: "hello world" },
      end([
        { name: "Expires", value: "never" },
        { name: "X-Sum", value: "abc" },
      ]),
    ]);
  });

  it("accepts upper- and lower-case hex sizes and leading zeros", () => {
    const a = "a".repeat(26);
    const b = "b".repeat(171);
    const r = feed(`HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n1A\r\n${a}\r\n00aB\r\n${b}\r\n000\r\n\r\n`);
    expect(r.events.slice(1)).toEqual([{ type: "data", text: a + b }, end()]);
  });

  it("streams chunk data before the chunk is complete", () => {
    const r = feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc");
    expect(r.events.slice(1)).toEqual([{ type: "data", text: "abc" }]);
  });

  it("caps chunk data events at maxDataBytes", () => {
    const r = feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n1234567\r\n0\r\n\r\n", { maxDataBytes: 2 });
    expect(r.raw.flatMap((e) => (e.type === "data" ? [e.data.length] : []))).toEqual([2, 2, 2, 1]);
  });

  it("accepts a trailer section ended by a bare LF", () => {
    const r = feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\n\n");
    expect(r.events.at(-1)).toEqual(end([{ name: "A", value: "1" }]));
  });
});

describe("ResponseParser: close-delimited and no-body responses", () => {
  it("reads until pushEnd without Content-Length or Transfer-Encoding", () => {
    const r = feed("HTTP/1.1 200 OK\r\nServer: x\r\n\r\nsome body bytes", { end: true });
    expect(onlyHead(r.events)).toMatchObject({ framing: "close", contentLength: -1, keepAlive: false });
    expect(r.events.slice(1)).toEqual([{ type: "data", text: "some body bytes" }, end()]);
  });

  it("waits for more body while the connection is open", () => {
    const r = feed("HTTP/1.1 200 OK\r\n\r\nabc");
    expect(r.events.slice(1)).toEqual([{ type: "data", text: "abc" }]);
  });

  it("gives a HEAD response no body whatever its Content-Length", () => {
    const r = feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", { responses: [HEAD] });
    expect(r.events).toEqual([expect.objectContaining({ type: "head" }), end()]);
    expect(onlyHead(r.events)).toMatchObject({ framing: "none", contentLength: 0, keepAlive: true });
  });

  it("gives 204 and 304 no body (304 with Content-Length reports 0)", () => {
    const r = feed("HTTP/1.1 304 Not Modified\r\nContent-Length: 1234\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", {
      responses: [GET, GET],
    });
    expect(r.events.map((e) => e.type)).toEqual(["head", "end", "head", "end"]);
    expect(heads(r.events).map((h) => [h.statusCode, h.framing, h.contentLength])).toEqual([
      [304, "none", 0],
      [204, "none", 0],
    ]);
  });

  it("reports 101 to an upgrade request as a final head without body and without keep-alive, leaving later bytes held", () => {
    const r = feed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello", {
      responses: [{ headRequest: false, upgradeRequested: true }],
    });
    expect(r.events).toEqual([expect.objectContaining({ type: "head" }), end()]);
    expect(onlyHead(r.events)).toMatchObject({ statusCode: 101, framing: "none", keepAlive: false });
    expect(r.parser.getBufferedBytes()).toBe(7);
    const held = r.parser.takeBufferedBytes();
    expect(Buffer.concat(held).toString("latin1")).toBe("\x81\x05hello");
    expect(r.parser.getBufferedBytes()).toBe(0);
  });

  it("treats a 2xx answer to CONNECT as a tunnel", () => {
    const r = feed("HTTP/1.1 200 Connection established\r\nTransfer-Encoding: chunked\r\n\r\nTLS", {
      responses: [{ headRequest: false, connectRequest: true }],
    });
    expect(onlyHead(r.events)).toMatchObject({ framing: "none", keepAlive: false });
    expect(r.parser.getBufferedBytes()).toBe(3);
  });
});

describe("ResponseParser: interim responses", () => {
  it("reports 100 Continue, then the final response", () => {
    const r = feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    expect(r.events.map((e) => e.type)).toEqual(["informational", "head", "data", "end"]);
    expect(r.events[0]).toMatchObject({ type: "informational", head: { statusCode: 100, reason: "Continue", framing: "none" } });
  });

  it("reports several 103 Early Hints, then the final response", () => {
    const r = feed(
      "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </b.js>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
    );
    expect(r.events.map((e) => e.type)).toEqual(["informational", "informational", "head", "end"]);
    expect(r.events[0]).toMatchObject({ head: { headers: [{ name: "Link", value: "</a.css>; rel=preload" }] } });
  });
});

describe("ResponseParser: pipelining and keep-alive", () => {
  it("parses two pipelined responses from one buffer", () => {
    const r = feed(
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n",
      { responses: [GET, GET] },
    );
    expect(r.events).toEqual([
      expect.objectContaining({ type: "head" }),
      { type: "data", text: "abc" },
      end(),
      expect.objectContaining({ type: "head" }),
      { type: "data", text: "de" },
      end(),
    ]);
  });

  it("holds bytes of the next response until beginResponse", () => {
    const r = feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n");
    expect(r.events.map((e) => e.type)).toEqual(["head", "data", "end"]);
    expect(r.parser.getBufferedBytes()).toBe(17);
    expect(r.parser.next()).toBeNull();
  });

  it("skips empty lines before a status line", () => {
    const r = feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx\r\n\nHTTP/1.1 204 No Content\r\n\r\n", { responses: [GET, GET] });
    expect(r.events.map((e) => e.type)).toEqual(["head", "data", "end", "head", "end"]);
  });

  it.each([
    ["HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true],
    ["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false],
    ["HTTP/1.1 200 OK\r\nConnection: Upgrade, CLOSE\r\nContent-Length: 0\r\n\r\n", false],
    ["HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false],
    ["HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nab", true],
    ["HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n", false],
    ["HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n", false],
    ["HTTP/1.1 200 OK\r\n\r\n", false],
  ])("keepAlive of %j is %s", (text, keepAlive) => {
    const r = feed(text);
    expect(onlyHead(r.events).keepAlive).toBe(keepAlive);
  });

  it("accepts bare LF line endings in the head, an empty reason and a missing SP before it", () => {
    const r = feed("HTTP/1.1 200\nA: 1\nContent-Length: 0\n\nHTTP/1.0 404 \r\nContent-Length: 0\r\n\r\n", { responses: [GET, GET] });
    expect(heads(r.events).map((h) => [h.versionMinor, h.statusCode, h.reason])).toEqual([
      [1, 200, ""],
      [0, 404, ""],
    ]);
  });
});

describe("ResponseParser: end of input", () => {
  it("reports a close before any byte with 0 bytes seen", () => {
    const r = feed("", { end: true });
    expect(r.events).toEqual([{ type: "error", reason: "connection closed before any byte of the response", code: "truncated" }]);
    expect(r.parser.getResponseBytesSeen()).toBe(0);
  });

  it("reports a close before the second response of a connection", () => {
    const r = feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", { end: true, responses: [GET, GET] });
    expect(r.events.at(-1)).toEqual({ type: "error", reason: "connection closed before any byte of the response", code: "truncated" });
    expect(r.parser.getResponseBytesSeen()).toBe(0);
  });

  it.each([
    ["HTTP/1.", "connection closed before the end of the response head (after 7 bytes)"],
    ["HTTP/1.1 200 OK\r\nContent-Le", "connection closed before the end of the response head (after 27 bytes)"],
    ["HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789", "connection closed after 10 of 100 body bytes"],
    [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
      "connection closed in the chunked body (in a chunk size line, after 0 body bytes)",
    ],
    [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
      "connection closed in the chunked body (in chunk data, after 2 body bytes)",
    ],
    [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r",
      "connection closed in the chunked body (before the CRLF after chunk data, after 5 body bytes)",
    ],
    [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n",
      "connection closed in the chunked body (in a chunk size line, after 5 body bytes)",
    ],
    [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: b\r\n",
      "connection closed in the chunked body (in the trailer section, after 0 body bytes)",
    ],
  ])("reports truncation of %j", (text, reason) => {
    const r = feed(text, { end: true });
    expect(r.events.at(-1)).toEqual({ type: "error", reason, code: "truncated" });
    expect(r.parser.getResponseBytesSeen()).toBe(text.length);
  });

  it("ignores pushes after pushEnd and stays dead after an error", () => {
    const r = feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", { end: true });
    const error = r.events.at(-1);
    r.parser.push(new Uint8Array([1, 2, 3]));
    r.parser.beginResponse(GET);
    expect(r.parser.next()).toMatchObject(error ?? {});
    expect(r.parser.getBufferedBytes()).toBe(0);
  });
});

describe("ResponseParser: API contract", () => {
  it("returns null while no response is expected and refuses beginResponse during a response", () => {
    const r = feed("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab");
    expect(r.parser.isResponsePending()).toBe(true);
    expect(() => r.parser.beginResponse(GET)).toThrow(/in progress/);
    expect(r.parser.takeBufferedBytes()).toEqual([]);
    r.parser.push(new Uint8Array([0x63, 0x64, 0x48]));
    expect(r.parser.next()).toMatchObject({ type: "data" });
    expect(r.parser.next()).toEqual(end());
    expect(r.parser.isResponsePending()).toBe(false);
    expect(r.parser.next()).toBeNull();
    expect(r.parser.getBufferedBytes()).toBe(1);
    expect(r.parser.getResponseBytesSeen()).toBe(42);
  });

  it("counts held bytes of an unfinished head as seen", () => {
    const r = feed("HTTP/1.1 2");
    expect(r.events).toEqual([]);
    expect(r.parser.getResponseBytesSeen()).toBe(10);
    expect(r.parser.getBufferedBytes()).toBe(10);
  });

  it("tells how many of the newest pushed bytes it still reads in place: none of an unfinished head, which is copied aside", () => {
    const r = feed("HTTP/1.1 2");
    expect(r.parser.getHeldInputBytes()).toBe(0);
    r.parser.push(new TextEncoder().encode("00 OK\r\nContent-Length: 4\r\n\r\nabcdHTTP"));
    expect(r.parser.next()).toMatchObject({ type: "head" });
    expect(r.parser.getHeldInputBytes()).toBe(8);
    expect(r.parser.next(3)).toMatchObject({ type: "data" });
    expect(r.parser.getHeldInputBytes()).toBe(5);
    expect(r.parser.next()).toMatchObject({ type: "data" });
    expect(r.parser.next()).toEqual(end());
    expect(r.parser.getHeldInputBytes()).toBe(4);
    expect(r.parser.getBufferedBytes()).toBe(4);
  });
});
