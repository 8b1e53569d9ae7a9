/**
 * Hostile servers, response heads: a head over the 64 KiB limit sent quickly and slowly (the
 * client reads no further than the limit), 10,000 headers, header lines without a colon or with a
 * bare CR or NUL, invalid and missing status lines, and HTTP/0.9 replies.
 */
import { describe, expect, it } from "vitest";
import { Err } from "../../src/status/err.ts";
import { Result } from "../../src/status/result.ts";
import { Status } from "../../src/status/status.ts";
import { startHostileServer, trickle, type HostileConnection } from "../helpers/hostile-server.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { waitUntil } from "../helpers/wait.ts";
import { clientRequest, expectOutcome, KiB, MiB, PROMPT_TICKS, requester, urlOf } from "./hostile-kit.ts";

const track = cleanupAfterEach().track;

/** The default head limit of the client. */
const HEAD_LIMIT = 64 * KiB;
/** The most a client takes from its peer in one read while it looks for the end of a head. */
const HEAD_READ = 64 * KiB;
/** The default read bound of a socket peer, plus one socket read. */
const PEER_BOUND = 4 * MiB + 64 * KiB;

/** A server that reads the request head, sends `reply`, and closes when `close` is set. */
async function answering(reply: string | Uint8Array, close = false) {
  return track(
    await startHostileServer(async (conn: HostileConnection) => {
      if ((await conn.head()) === null) return;
      conn.send(reply);
      if (close) conn.socket.end();
    }),
  );
}

/** An endless header section: `X-Pad-N: aaaa…` lines, never the empty line. */
function padLines(bytes: number): Buffer {
  const line = `X-Pad: ${"a".repeat(1000)}\r\n`;
  return Buffer.from(`HTTP/1.1 200 OK\r\n${line.repeat(Math.ceil(bytes / line.length))}`, "latin1");
}

describe("a head over the limit", () => {
  it("sent quickly (16 MiB in one write): fails at once; the peer pauses at its bound", async () => {
    const server = await answering(padLines(16 * MiB));
    const outcome = await requester(track).run(urlOf(server));
    expectOutcome(outcome, {
      result: Result.RESULT_CONNECTION_ERROR,
      reason: /response head exceeds the limit of 65536 bytes/,
      maxTicks: PROMPT_TICKS,
      maxBuffered: PEER_BOUND,
    });
  });

  it("sent quickly, HTTPClient: no more than the limit and one read are taken from the peer", async () => {
    const server = await answering(padLines(16 * MiB));
    const run = await clientRequest(track, server);
    expect(run.client.getStatus()).toBe(Status.STATUS_CONNECTION_ERROR);
    expect(run.client.poll()).toBe(Err.ERR_CONNECTION_ERROR);
    expect(run.client.getErrorReason()).toMatch(/response head exceeds the limit of 65536 bytes/);
    expect(run.client.getResponseErrorCode()).toBe("too-large");
    expect(run.ticks).toBeLessThanOrEqual(PROMPT_TICKS);
    expect(run.client.getResponseWireBytes()).toBeLessThanOrEqual(HEAD_LIMIT + HEAD_READ);
    expect(run.peer.getPeakBufferedBytes()).toBeLessThanOrEqual(PEER_BOUND);
  });

  it("sent slowly (1 KiB a millisecond): the client hangs up just past the limit", async () => {
    let conn: HostileConnection | null = null;
    const server = track(
      await startHostileServer(async (c) => {
        conn = c;
        if ((await c.head()) === null) return;
        c.send("HTTP/1.1 200 OK\r\n");
        await trickle(c, `X-Pad: ${"a".repeat(KiB - 9)}\r\n`, 1, 4 * MiB);
      }),
    );
    const outcome = await requester(track).run(urlOf(server), { sleepMs: 1, maxMs: 5000 });
    expectOutcome(outcome, {
      result: Result.RESULT_CONNECTION_ERROR,
      reason: /response head exceeds the limit of 65536 bytes/,
      maxTicks: 400,
      maxBuffered: 32 * KiB,
    });
    const seen = conn as HostileConnection | null;
    await waitUntil(() => seen?.gone === true, "the client to hang up", 2000);
    expect(seen?.sent ?? 0).toBeGreaterThan(HEAD_LIMIT);
    expect(seen?.sent ?? Infinity).toBeLessThanOrEqual(HEAD_LIMIT + 32 * KiB);
  });
});

describe("header lines", () => {
  it("10,000 headers (60 KB, under the size limit): refused past the 100th field", async () => {
    const server = await answering(`HTTP/1.1 200 OK\r\n${"a: b\r\n".repeat(10_000)}Content-Length: 0\r\n\r\n`);
    const outcome = await requester(track).run(urlOf(server));
    expectOutcome(outcome, {
      result: Result.RESULT_CONNECTION_ERROR,
      reason: /more than 100 header fields/,
      maxTicks: PROMPT_TICKS,
      maxBuffered: 64 * KiB,
    });
  });

  it("10,000 headers through HTTPClient with a 1 MiB head limit: the count limit still holds", async () => {
    const server = await answering(`HTTP/1.1 200 OK\r\n${"X-Header: value\r\n".repeat(10_000)}Content-Length: 0\r\n\r\n`);
    const run = await clientRequest(track, server, { maxHeadBytes: MiB });
    expect(run.client.getStatus()).toBe(Status.STATUS_CONNECTION_ERROR);
    expect(run.client.getErrorReason()).toMatch(/more than 100 header fields/);
    expect(run.client.getResponseErrorCode()).toBe("too-large");
    expect(run.ticks).toBeLessThanOrEqual(PROMPT_TICKS);
    expect(run.peer.getPeakBufferedBytes()).toBeLessThanOrEqual(256 * KiB);
  });

  it.each([
    ["without a colon", "X-Broken header\r\n", /header line without a colon/],
    ["with a bare CR", "X-Evil: a\rInjected: b\r\n", /bare CR \(not followed by LF\) in the response head/],
    ["with a NUL", "X-Evil: a\0b\r\n", /NUL byte in the response head/],
    ["with a NUL in the name", "X-E\0vil: a\r\n", /NUL byte in the response head/],
    ["with whitespace before the colon", "Content-Length : 0\r\n", /whitespace between a header field name and the colon/],
  ])("a header line %s", async (_name, line, reason) => {
    const server = await answering(`HTTP/1.1 200 OK\r\n${line}Content-Length: 2\r\n\r\nhi`);
    const outcome = await requester(track).run(urlOf(server));
    expectOutcome(outcome, { result: Result.RESULT_CONNECTION_ERROR, reason, maxTicks: PROMPT_TICKS, maxBuffered: 4 * KiB });
  });

  it("a folded header line (obs-fold) is unfolded into one SP (RFC 9112 §5.2), and the request succeeds", async () => {
    const server = await answering("HTTP/1.1 200 OK\r\nX-Folded: a\r\n \tb\r\nContent-Length: 2\r\n\r\nhi");
    const outcome = await requester(track).run(urlOf(server));
    expectOutcome(outcome, { result: Result.RESULT_SUCCESS, reason: /^$/, maxTicks: PROMPT_TICKS, maxBuffered: 4 * KiB, code: 200 });
    expect(outcome.headers).toEqual(["X-Folded: a b", "Content-Length: 2"]);
  });
});

describe("status lines", () => {
  it.each([
    ["a four-digit code", "HTTP/1.1 2000 OK", /invalid status code/],
    ["a two-digit code", "HTTP/1.1 20 OK", /invalid status code/],
    ["a code under 100", "HTTP/1.1 099 Low", /invalid status code 099/],
    ["no code", "HTTP/1.1 OK", /invalid status code/],
    ["HTTP/2", "HTTP/2 200 OK", /unsupported HTTP version/],
    ["HTTP/1.2", "HTTP/1.2 200 OK", /unsupported HTTP version/],
    ["lower-case http", "http/1.1 200 OK", /response is not HTTP\/1\.x/],
    ["a control character in the reason", "HTTP/1.1 200 O\x01K", /control character in the reason phrase/],
  ])("%s", async (_name, statusLine, reason) => {
    const server = await answering(`${statusLine}\r\nContent-Length: 2\r\n\r\nhi`);
    const outcome = await requester(track).run(urlOf(server));
    expectOutcome(outcome, { result: Result.RESULT_CONNECTION_ERROR, reason, maxTicks: PROMPT_TICKS, maxBuffered: 4 * KiB });
  });

  it("a missing status line (headers first)", async () => {
    const server = await answering("Content-Length: 2\r\n\r\nhi");
    const outcome = await requester(track).run(urlOf(server));
    expectOutcome(outcome, {
      result: Result.RESULT_CONNECTION_ERROR,
      reason: /response is not HTTP\/1\.x/,
      maxTicks: PROMPT_TICKS,
      maxBuffered: 4 * KiB,
    });
  });

  it.each([
    ["an HTML document", "<html><body>hello</body></html>\n"],
    ["one short line", "hi\n"],
    ["a document starting with H", "Hello, world\n"],
  ])("an HTTP/0.9 reply (%s, then close)", async (_name, reply) => {
    const server = await answering(reply, true);
    const outcome = await requester(track).run(urlOf(server));
    expectOutcome(outcome, {
      result: Result.RESULT_CONNECTION_ERROR,
      reason: /invalid response: response is not HTTP\/1\.x .*HTTP\/0\.9/,
      maxTicks: PROMPT_TICKS,
      maxBuffered: 4 * KiB,
    });
  });

  it("a close before any byte is NO_RESPONSE, not an HTTP/0.9 reply", async () => {
    const server = await answering("", true);
    const outcome = await requester(track).run(urlOf(server));
    expectOutcome(outcome, { result: Result.RESULT_NO_RESPONSE, reason: /no response/, maxTicks: PROMPT_TICKS, maxBuffered: 0 });
  });
});

describe("interim (1xx) responses", () => {
  it("an endless stream of 103 Early Hints: refused after 32, the server's stream cut off", async () => {
    let conn: HostileConnection | null = null;
    const server = track(
      await startHostileServer(async (c) => {
        conn = c;
        if ((await c.head()) === null) return;
        await trickle(c, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n".repeat(100), 0, 64 * MiB);
      }),
    );
    const outcome = await requester(track).run(urlOf(server));
    expectOutcome(outcome, {
      result: Result.RESULT_CONNECTION_ERROR,
      reason: /more than 32 interim \(1xx\) responses/,
      maxTicks: PROMPT_TICKS,
      maxBuffered: PEER_BOUND,
    });
    const seen = conn as HostileConnection | null;
    await waitUntil(() => seen?.gone === true, "the client to hang up", 2000);
    expect(seen?.sent ?? Infinity).toBeLessThan(16 * MiB);
  });

  it("32 interim responses, then the final one: accepted, each kept", async () => {
    const interim = "HTTP/1.1 100 Continue\r\n\r\n".repeat(16) + "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n".repeat(16);
    const server = await answering(`${interim}HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok`);
    const run = await clientRequest(track, server);
    expect(run.client.getStatus()).toBe(Status.STATUS_BODY);
    expect(run.client.getInformationalResponses().map((r) => r.code)).toEqual([...Array(16).fill(100), ...Array(16).fill(103)]);
  });
});
