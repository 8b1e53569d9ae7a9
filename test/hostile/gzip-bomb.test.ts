/**
 * Hostile servers, a gzip bomb: 1 GiB of zeros in about 1 MiB of gzip, streamed over a real
 * socket, against `bodySizeLimit` 10 MiB. Decoding stops at the limit, in a few ticks, with flat
 * memory. Own file, so other tests do not disturb the memory measurement.
 */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { Result } from "../../src/status/result.ts";
import { startHostileServer, trickle, type HostileConnection } from "../helpers/hostile-server.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { waitUntil } from "../helpers/wait.ts";
import { gzipOfZeros } from "../request/loopback-helpers.ts";
import { expectOutcome, KiB, MiB, PROMPT_TICKS, requester, urlOf } from "./hostile-kit.ts";

const track = cleanupAfterEach().track;

const BOMB = gzipOfZeros(1024);
const LIMIT = 10 * MiB;

describe("a gzip bomb under bodySizeLimit", () => {
  it.each([
    ["gzip, Content-Length", ["Content-Encoding: gzip", `Content-Length: ${BOMB.length}`], BOMB],
    ["gzip, chunked", ["Content-Encoding: gzip", "Transfer-Encoding: chunked"], BOMB],
    ["gzip twice (stacked), close-delimited", ["Content-Encoding: gzip, gzip", "Connection: close"], gzipSync(BOMB)],
  ])("1 GiB of zeros (%s) stops at 10 MiB decoded, in a few ticks, with flat memory", async (_name, headers, encoded) => {
    expect(encoded.length).toBeLessThan(1.1 * MiB);
    const chunked = headers.includes("Transfer-Encoding: chunked");
    let conn: HostileConnection | null = null;
    const server = track(
      await startHostileServer(async (c) => {
        conn = c;
        if ((await c.head()) === null) return;
        c.send(`HTTP/1.1 200 OK\r\n${headers.map((h) => `${h}\r\n`).join("")}\r\n`);
        // Streamed in 64 KiB pieces, one per event-loop turn.
        let offset = 0;
        const piece = (): Uint8Array => {
          const part = encoded.subarray(offset, offset + 64 * KiB);
          offset += part.length;
          return chunked ? Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from("\r\n")]) : part;
        };
        while (offset < encoded.length) await trickle(c, piece(), 0, c.sent + 128 * KiB);
        if (chunked) c.send("0\r\n\r\n");
        if (headers.includes("Connection: close")) c.socket.end();
      }),
    );
    const { node, run } = requester(track);
    node.bodySizeLimit = LIMIT;
    const rssBefore = process.memoryUsage.rss();
    const outcome = await run(urlOf(server), { sampleMemory: "live", maxTicks: 200 });
    const rssRise = process.memoryUsage.rss() - rssBefore;
    expectOutcome(outcome, {
      result: Result.RESULT_BODY_SIZE_LIMIT_EXCEEDED,
      reason: /the body exceeds bodySizeLimit \(10485760 bytes, counted after decoding\)/,
      maxTicks: PROMPT_TICKS,
      maxBuffered: 2 * MiB,
      code: 200,
    });
    // Only the first ~10 KiB of gzip (10 MiB decoded) were needed: most of the bomb was never read.
    expect(outcome.downloaded).toBeLessThan(512 * KiB);
    // Memory still held (garbage collected before each sample): the limit's worth of decoded bytes plus
    // buffers, never the gigabyte.
    expect(outcome.peakArrayBuffersDelta).toBeLessThan(3 * LIMIT);
    expect(rssRise).toBeLessThan(256 * MiB);
    const seen = conn as HostileConnection | null;
    await waitUntil(() => seen?.gone === true, "the client to hang up", 2000);
  });
});
