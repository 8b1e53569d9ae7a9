import { describe, expect, it } from "vitest";
import { parseHeadInChunk } from "../../src/client/wire/head-fast-path.ts";
import { readHeadText } from "../../src/client/wire/status-line.ts";
import { prng } from "../helpers/prng.ts";
import { bytesOf, feed, runPieces } from "./split-feed.ts";

/** The full (regex-based) head parser's reading of a head, or its reason for rejecting it. */
const reference = readHeadText;

const HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Empty:\r\nX-Pad: \t a b \t\r\nContent-Length: 3\r\n\r\nabc";

describe("parseHeadInChunk (the one-chunk head path)", () => {
  it("reads status, reason and trimmed fields, and where the head ends", () => {
    const bytes = bytesOf(HEAD);
    const head = parseHeadInChunk(bytes, 0, bytes.length, 100);
    expect(head?.status).toEqual({ versionMinor: 1, statusCode: 200, reason: "OK" });
    expect(head?.headers).toEqual([
      { name: "Content-Type", value: "text/plain" },
      { name: "X-Empty", value: "" },
      { name: "X-Pad", value: "a b" },
      { name: "Content-Length", value: "3" },
    ]);
    expect(head?.end).toBe(HEAD.length - 3);
  });

  it("reads a head at an offset, with LF line ends, no reason and obs-text in a value", () => {
    const bytes = bytesOf("xxHTTP/1.0 404\nA: \xe9t\xe9\n\n");
    const head = parseHeadInChunk(bytes, 2, bytes.length, 100);
    expect(head?.status).toEqual({ versionMinor: 0, statusCode: 404, reason: "" });
    expect(head?.headers).toEqual([{ name: "A", value: "\xe9t\xe9" }]);
    expect(head?.end).toBe(bytes.length);
  });

  it.each([
    ["an incomplete head", "HTTP/1.1 200 OK\r\nA: b\r\n"],
    ["a head cut before the final LF", "HTTP/1.1 200 OK\r\n\r"],
    ["a leading empty line", "\r\nHTTP/1.1 200 OK\r\n\r\n"],
    ["HTTP/2", "HTTP/2.0 200 OK\r\n\r\n"],
    ["status 099", "HTTP/1.1 099 X\r\n\r\n"],
    ["a four-digit status", "HTTP/1.1 2000 X\r\n\r\n"],
    ["a bare CR in the reason", "HTTP/1.1 200 O\rK\r\n\r\n"],
    ["a control character in the reason", "HTTP/1.1 200 O\x01K\r\n\r\n"],
    ["obs-fold", "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n"],
    ["whitespace before the colon", "HTTP/1.1 200 OK\r\nA : b\r\n\r\n"],
    ["an empty name", "HTTP/1.1 200 OK\r\n: b\r\n\r\n"],
    ["a line without colon", "HTTP/1.1 200 OK\r\nAb\r\n\r\n"],
    ["NUL in a value", "HTTP/1.1 200 OK\r\nA: b\0c\r\n\r\n"],
    ["DEL in a value", "HTTP/1.1 200 OK\r\nA: b\x7fc\r\n\r\n"],
    ["a bare CR in a value", "HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n"],
    ["a bare CR ending the head", "HTTP/1.1 200 OK\r\nA: b\r\n\rX\r\n"],
  ])("leaves %s to the full parser", (_name, text) => {
    const bytes = bytesOf(text);
    expect(parseHeadInChunk(bytes, 0, bytes.length, 100)).toBeNull();
  });

  it("leaves heads over the field count or past the limit to the full parser", () => {
    const bytes = bytesOf("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n");
    expect(parseHeadInChunk(bytes, 0, bytes.length, 1)).toBeNull();
    expect(parseHeadInChunk(bytes, 0, bytes.length, 2)?.headers.length).toBe(2);
    expect(parseHeadInChunk(bytes, 0, bytes.length - 1, 2)).toBeNull();
  });
});

describe("ResponseParser: the one-chunk head path agrees with the full parser", () => {
  const ALPHABET = bytesOf('\r\n\0\t :;,0aZ\x01\x7f\x80\xffHTP/1.2"(@');
  it("gives the same events whole and byte by byte for 2,000 heads mutated in the head", () => {
    const random = prng(7);
    const base = bytesOf(HEAD);
    const headLength = HEAD.length - 3;
    let fastHeads = 0;
    for (let n = 0; n < 2000; n++) {
      const sample = base.slice();
      const mutations = 1 + Math.floor(random() * 2);
      for (let m = 0; m < mutations; m++) {
        sample[Math.floor(random() * headLength)] = ALPHABET[Math.floor(random() * ALPHABET.length)] as number;
      }
      const options = { end: true, parser: { maxHeaderCount: 1 + (n % 5), maxHeadBytes: n % 7 === 0 ? headLength - (n % 3) : 65536 } };
      const whole = runPieces([sample], options);
      const single = runPieces(
        Array.from(sample, (_, i) => sample.subarray(i, i + 1)),
        options,
      );
      expect(single.events, `sample ${n}: ${JSON.stringify(Buffer.from(sample).toString("latin1"))}`).toEqual(whole.events);
      if (parseHeadInChunk(sample, 0, sample.length, options.parser.maxHeaderCount) !== null) fastHeads++;
    }
    expect(fastHeads).toBeGreaterThan(100);
  });

  it("reads every head it accepts exactly as the full head parser does", () => {
    const random = prng(99);
    const base = bytesOf(HEAD);
    const headLength = HEAD.length - 3;
    let accepted = 0;
    for (let n = 0; n < 5000; n++) {
      const sample = base.slice(0, headLength);
      for (let m = 0; m < 1 + (n % 3); m++) {
        sample[Math.floor(random() * headLength)] = ALPHABET[Math.floor(random() * ALPHABET.length)] as number;
      }
      const fast = parseHeadInChunk(sample, 0, sample.length, 3 + (n % 3));
      if (fast === null) continue;
      accepted++;
      const text = Buffer.from(sample.subarray(0, fast.end)).toString("latin1");
      expect(reference(text, { kind: "header", maxCount: 3 + (n % 3), strict: false }), JSON.stringify(text)).toEqual({
        status: fast.status,
        headers: fast.headers,
      });
    }
    expect(accepted).toBeGreaterThan(300);
  });

  it("gives the same events for pipelined responses in one chunk and split", () => {
    const text = "HTTP/1.1 103 Early\r\nLink: </a>\r\n\r\n" + HEAD + "HTTP/1.1 204 No Content\r\nA: b\r\n\r\n";
    const r = feed(text, { responses: [{ headRequest: false }, { headRequest: false }] });
    expect(r.events.map((e) => e.type)).toEqual(["informational", "head", "data", "end", "head", "end"]);
  });
});
