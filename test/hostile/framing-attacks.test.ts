/**
 * Hostile servers, body framing: request-smuggling shapes, lengths that are negative, not numbers
 * or past 2^64, a 40-digit chunk size and a chunk-size line that never ends. Each must end in a
 * defined result with a reason, within a few ticks, holding next to nothing.
 */
import { describe, expect, it } from "vitest";
import { Result } from "../../src/status/result.ts";
import { startHostileServer, trickle, type HostileConnection } from "../helpers/hostile-server.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { waitUntil } from "../helpers/wait.ts";
import { expectOutcome, KiB, PROMPT_TICKS, MiB, requester, urlOf } from "./hostile-kit.ts";

const track = cleanupAfterEach().track;

/** A server that reads the request head and answers with `response` (then keeps the connection open). */
async function answering(response: string) {
  return track(
    await startHostileServer(async (conn: HostileConnection) => {
      if ((await conn.head()) !== null) conn.send(response);
    }),
  );
}

const head = (...lines: string[]): string => `HTTP/1.1 200 OK\r\n${lines.map((l) => `${l}\r\n`).join("")}\r\n`;

describe("request smuggling shapes", () => {
  it.each([
    [
      "Content-Length with Transfer-Encoding",
      head("Content-Length: 5", "Transfer-Encoding: chunked") + "5\r\nhello\r\n0\r\n\r\n",
      Result.RESULT_CHUNKED_BODY_SIZE_MISMATCH,
      /Content-Length with Transfer-Encoding/,
    ],
    [
      "Transfer-Encoding before Content-Length",
      head("Transfer-Encoding: chunked", "Content-Length: 5") + "hello",
      Result.RESULT_CHUNKED_BODY_SIZE_MISMATCH,
      /Content-Length with Transfer-Encoding/,
    ],
    [
      "duplicate conflicting Content-Length",
      head("Content-Length: 5", "Content-Length: 6") + "hello!",
      Result.RESULT_CONNECTION_ERROR,
      /conflicting Content-Length values \(5 and 6\)/,
    ],
    [
      "conflicting Content-Length as a list",
      head("Content-Length: 5, 6") + "hello!",
      Result.RESULT_CONNECTION_ERROR,
      /conflicting Content-Length values \(5 and 6\)/,
    ],
    // chunked not final: the body runs to close (RFC 9112 §6.3), and its inner chunked coding cannot be decoded.
    [
      "Transfer-Encoding: chunked, identity",
      head("Transfer-Encoding: chunked, identity") + "5\r\nhello\r\n0\r\n\r\n",
      Result.RESULT_BODY_DECOMPRESS_FAILED,
      /cannot decode the body: unsupported transfer coding "chunked"/,
    ],
    [
      "Transfer-Encoding: chunked, chunked",
      head("Transfer-Encoding: chunked, chunked") + "0\r\n\r\n",
      Result.RESULT_CONNECTION_ERROR,
      /"chunked, chunked" names chunked more than once/,
    ],
  ])("%s", async (_name, response, result, reason) => {
    const server = await answering(response);
    const outcome = await requester(track).run(urlOf(server));
    expectOutcome(outcome, {
      result,
      reason,
      maxTicks: PROMPT_TICKS,
      maxBuffered: 4 * KiB,
      code: result === Result.RESULT_BODY_DECOMPRESS_FAILED ? 200 : 0,
    });
    expect(outcome.downloaded).toBe(0);
  });
});

describe("lengths", () => {
  it.each([
    ["negative", "Content-Length: -1", /invalid Content-Length value "-1"/],
    ["non-numeric", "Content-Length: abc", /invalid Content-Length value "abc"/],
    ["hexadecimal", "Content-Length: 0x10", /invalid Content-Length value "0x10"/],
    ["2^64", "Content-Length: 18446744073709551616", /"18446744073709551616" is too large/],
    ["2^64 - 1", "Content-Length: 18446744073709551615", /too large/],
  ])("a %s Content-Length", async (_name, line, reason) => {
    const server = await answering(head(line) + "x".repeat(64));
    const outcome = await requester(track).run(urlOf(server));
    expectOutcome(outcome, { result: Result.RESULT_CONNECTION_ERROR, reason, maxTicks: PROMPT_TICKS, maxBuffered: 4 * KiB });
  });

  it.each([
    ["a 40-digit chunk size", `${"1".repeat(40)}\r\nhello\r\n0\r\n\r\n`, /more than 16 hex digits/],
    ["a chunk size of 2^64", "10000000000000000\r\nhello\r\n0\r\n\r\n", /more than 16 hex digits/],
    ["a chunk size past 2^53", "fffffffffffffff\r\nhello\r\n0\r\n\r\n", /chunk size is too large/],
    ["a negative chunk size", "-5\r\nhello\r\n0\r\n\r\n", /invalid chunk size/],
    ["chunk data longer than its size", "5\r\nhello, world\r\n0\r\n\r\n", /missing CRLF after chunk data/],
  ])("%s", async (_name, chunks, reason) => {
    const server = await answering(`${head("Transfer-Encoding: chunked")}${chunks}`);
    const outcome = await requester(track).run(urlOf(server));
    expectOutcome(outcome, { result: Result.RESULT_CONNECTION_ERROR, reason, maxTicks: PROMPT_TICKS, maxBuffered: 4 * KiB, code: 200 });
    expect(outcome.downloaded).toBeLessThanOrEqual(5);
  });

  it("a chunk-size line that never ends: stopped after 4 KiB of it, the server's stream cut off", async () => {
    let conn: HostileConnection | null = null;
    const server = track(
      await startHostileServer(async (c) => {
        conn = c;
        if ((await c.head()) === null) return;
        c.send(head("Transfer-Encoding: chunked"));
        await trickle(c, "0".repeat(KiB), 0, 64 * MiB); // digits, no CRLF, until the client hangs up
      }),
    );
    const outcome = await requester(track).run(urlOf(server), { sampleMemory: "live" });
    expectOutcome(outcome, {
      result: Result.RESULT_CONNECTION_ERROR,
      reason: /chunk size line longer than 4096 bytes/,
      maxTicks: PROMPT_TICKS,
      maxBuffered: 4 * MiB + 64 * KiB,
      code: 200,
    });
    const seen = conn as HostileConnection | null;
    await waitUntil(() => seen?.gone === true, "the client to hang up", 2000);
    // The client hung up long before the 64 MiB the server was ready to send.
    expect(seen?.sent ?? 0).toBeLessThan(16 * MiB);
    expect(outcome.peakArrayBuffersDelta).toBeLessThan(32 * MiB);
  });
});
