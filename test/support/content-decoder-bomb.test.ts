// A gzip bomb (1 GiB of zeros in about 1 MiB) must never be materialised: with a receiver that
// stops at 10 MiB, decoding stops there, memory stays flat and it takes milliseconds. Own file, so
// the process's peak RSS is not raised by other tests.
import { describe, expect, it } from "vitest";
import * as zlib from "node:zlib";
import { createContentDecoder } from "../../src/request-node/content-decoder.ts";

const MiB = 1024 * 1024;
const POLY = 0xedb88320;

/** a(x)·b(x) mod P(x), reflected bit order (zlib's multmodp). */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  let bb = b >>> 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= bb;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    bb = (bb & 1) !== 0 ? (bb >>> 1) ^ POLY : bb >>> 1;
  }
  return p >>> 0;
}

/** CRC-32 of `n` zero bytes: the register 0xFFFFFFFF times x^(8n) mod P, inverted. */
function crc32OfZeros(n: number): number {
  const powers: number[] = [];
  let p = 0x40000000; // x^1
  for (let k = 0; k < 64; k++) {
    powers.push(p);
    p = multModP(p, p);
  }
  let result = 0x80000000; // x^0
  let k = 3; // 2^3 = 8 bits per byte
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2), k++) {
    if (rest % 2 === 1) result = multModP(powers[k] ?? 0, result);
  }
  return ~multModP(result, 0xffffffff) >>> 0;
}

/** A valid gzip member of `mebibytes` MiB of zeros, built by repeating one flushed deflate block run. */
function zeroBomb(mebibytes: number): Buffer {
  const block = zlib.deflateRawSync(Buffer.alloc(MiB), { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const last = zlib.deflateRawSync(Buffer.alloc(0));
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32OfZeros(mebibytes * MiB), 0);
  trailer.writeUInt32LE((mebibytes * MiB) % 2 ** 32, 4);
  return Buffer.concat([header, ...new Array<Buffer>(mebibytes).fill(block), last, trailer]);
}

describe("content decoder against a gzip bomb", () => {
  it("builds valid bombs (checked by zlib on a small one)", () => {
    expect(zlib.gunzipSync(zeroBomb(3)).equals(Buffer.alloc(3 * MiB))).toBe(true);
    expect(crc32OfZeros(0)).toBe(0);
  });

  it.each([
    ["gzip", (b: Buffer): Buffer => b],
    ["gzip, gzip", (b: Buffer): Buffer => zlib.gzipSync(b, { level: 9 })],
  ])("stops a 1 GiB bomb declared as %s at a 10 MiB limit with flat memory", (header, wrap) => {
    const bomb = wrap(zeroBomb(1024));
    expect(bomb.length).toBeLessThan(1.1 * MiB);
    const created = createContentDecoder([header]);
    if (!created.ok) throw new Error(created.reason);
    const decoder = created.decoder;

    const limit = 10 * MiB;
    const peakBefore = process.resourceUsage().maxRSS * 1024;
    const rssBefore = process.memoryUsage.rss();
    let rssMax = rssBefore;
    let total = 0;
    let calls = 0;
    let callsAfterStop = 0;
    let stopped = false;
    const status = decoder.push(bomb, (chunk) => {
      if (stopped) callsAfterStop++;
      total += chunk.length;
      if (++calls % 16 === 0) rssMax = Math.max(rssMax, process.memoryUsage.rss());
      stopped = total >= limit;
      return !stopped;
    });
    const peakGrowth = process.resourceUsage().maxRSS * 1024 - peakBefore;

    expect(status).toEqual({ ok: true, stopped: true });
    expect(callsAfterStop).toBe(0);
    expect(total).toBeGreaterThanOrEqual(limit);
    expect(total).toBeLessThanOrEqual(limit + 65536);
    expect(decoder.bytesOut).toBe(total);
    expect(rssMax - rssBefore).toBeLessThan(48 * MiB);
    expect(peakGrowth).toBeLessThan(48 * MiB);
    expect(decoder.push(bomb, () => true).ok).toBe(false);
  });
});
