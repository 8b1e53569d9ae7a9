/**
 * Hostile servers, decompression bombs with no `bodySizeLimit`: the body is streamed through
 * `bodyData` or written to `downloadFile`, so nothing stops it early. Decoding is budgeted per
 * tick: every tick hands out at most `DECODED_BYTES_PER_TICK` (plus one 64 KiB output chunk), the
 * undecoded rest waits for the next tick, the request completes once, and memory stays bounded
 * whatever the ratio (single and stacked codings, length- and close-delimited). Memory is what is
 * still held after each tick (garbage collected before each sample): without that, the figure also
 * counts the ticks' dropped chunks that V8 has not collected yet, which its collection thresholds
 * put anywhere up to ~64 MB from run to run. Own file, so other tests do not disturb the measurement.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { DECODED_BYTES_PER_TICK } from "../../src/request-node/body-collector.ts";
import { Result } from "../../src/status/result.ts";
import { startHostileServer } from "../helpers/hostile-server.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { gzipOfZeros } from "../request/loopback-helpers.ts";
import { expectOutcome, MiB, requester, urlOf } from "./hostile-kit.ts";

const track = cleanupAfterEach().track;
const dir = mkdtempSync(join(tmpdir(), "poll-http-bomb-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DECODED_MIB = 256;
const SINGLE = gzipOfZeros(DECODED_MIB);
const STACKED = gzipSync(SINGLE, { level: 9 });
/** Bytes one tick may hand out: the budget and one output chunk of the decoder. */
const TICK_BOUND = DECODED_BYTES_PER_TICK + 64 * 1024;

const cases: [string, string[], Buffer][] = [
  ["gzip, Content-Length", ["Content-Encoding: gzip", `Content-Length: ${SINGLE.length}`], SINGLE],
  ["gzip, gzip (stacked), close-delimited", ["Content-Encoding: gzip, gzip", "Connection: close"], STACKED],
];

async function bombServer(headers: string[], encoded: Buffer): Promise<{ readonly port: number }> {
  return track(
    await startHostileServer(async (c) => {
      if ((await c.head()) === null) return;
      c.send(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\n${headers.map((h) => `${h}\r\n`).join("")}\r\n`), encoded]));
      if (headers.includes("Connection: close")) c.socket.end();
    }),
  );
}

describe("a decompression bomb with no bodySizeLimit", () => {
  it.each(cases)(
    "%s streamed through bodyData: bounded chunks, one per tick, bounded memory, one completion",
    async (_name, headers, encoded) => {
      const server = await bombServer(headers, encoded);
      const { node, run } = requester(track);
      let total = 0;
      let largest = 0;
      let chunks = 0;
      let chunksThisTick = 0;
      let mostInOneTick = 0;
      node.bodyData.connect((chunk) => {
        total += chunk.length;
        largest = Math.max(largest, chunk.length);
        chunks++;
        chunksThisTick++;
      });
      const outcome = await run(urlOf(server), {
        sampleMemory: "live",
        maxTicks: 2000,
        maxMs: 60_000,
        onTick: () => {
          mostInOneTick = Math.max(mostInOneTick, chunksThisTick);
          chunksThisTick = 0;
        },
      });
      expectOutcome(outcome, { result: Result.RESULT_SUCCESS, reason: /^$/, maxTicks: 2000, maxBuffered: 16 * MiB, code: 200 });
      expect(total).toBe(DECODED_MIB * MiB);
      expect(largest).toBeLessThanOrEqual(TICK_BOUND);
      expect(mostInOneTick).toBe(1);
      // The bomb took at least as many ticks as the budget implies.
      expect(chunks).toBeGreaterThanOrEqual(Math.floor((DECODED_MIB * MiB) / TICK_BOUND));
      expect(outcome.peakArrayBuffersDelta).toBeLessThan(4 * TICK_BOUND); // well under the 64 MiB bound
    },
  );

  it.each(cases)("%s into downloadFile: the whole file, bounded memory, bounded bytes per tick", async (_name, headers, encoded) => {
    const server = await bombServer(headers, encoded);
    const { node, run } = requester(track);
    const file = join(dir, `bomb-${headers.length}-${encoded.length}.bin`);
    node.downloadFile = file;
    let lastSize = 0;
    let largestStep = 0;
    const outcome = await run(urlOf(server), {
      sampleMemory: "live",
      maxTicks: 2000,
      maxMs: 60_000,
      onTick: () => {
        // The temporary file beside the target grows by at most the budget per tick.
        const size = partSize(file);
        largestStep = Math.max(largestStep, size - lastSize);
        if (size > lastSize) lastSize = size;
      },
    });
    expectOutcome(outcome, { result: Result.RESULT_SUCCESS, reason: /^$/, maxTicks: 2000, maxBuffered: 16 * MiB, code: 200 });
    expect(statSync(file).size).toBe(DECODED_MIB * MiB);
    expect(largestStep).toBeGreaterThan(0);
    expect(largestStep).toBeLessThanOrEqual(TICK_BOUND);
    expect(outcome.peakArrayBuffersDelta).toBeLessThan(4 * TICK_BOUND); // well under the 64 MiB bound
  });
});

/** The size of the download's temporary file (`.<name>.<random>.part` beside the target), or 0. */
function partSize(target: string): number {
  const prefix = `.${target.slice(dir.length + 1)}.`;
  for (const name of readdirSync(dir)) if (name.startsWith(prefix) && name.endsWith(".part")) return statSync(join(dir, name)).size;
  return 0;
}
