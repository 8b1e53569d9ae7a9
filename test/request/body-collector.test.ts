import { describe, expect, it } from "vitest";
import { BodyCollector } from "../../src/request-node/body-collector.ts";
import { Result } from "../../src/status/result.ts";

function piece(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 13 + seed) & 0xff;
  return out;
}

/** Pushes pieces of the given sizes, overwriting each array right after (as a recycling peer may). */
function pushAndScribble(collector: BodyCollector, sizes: readonly number[]): Uint8Array {
  const expected: Uint8Array[] = [];
  sizes.forEach((size, i) => {
    const bytes = piece(size, i);
    expected.push(bytes.slice());
    expect(collector.push(bytes)).toBeNull();
    bytes.fill(0xee);
  });
  return new Uint8Array(Buffer.concat(expected));
}

function finishBody(collector: BodyCollector): Uint8Array {
  const finished = collector.finish();
  if (!finished.ok) throw new Error(finished.reason);
  return finished.body;
}

describe("BodyCollector in memory", () => {
  it("copies a Content-Length body into one array of the announced size", () => {
    const sizes = [65536, 1000, 65536, 7];
    const total = sizes.reduce((a, b) => a + b, 0);
    const collector = new BodyCollector({ decoder: null, sink: null, limit: -1, expectedLength: total });
    const expected = pushAndScribble(collector, sizes);
    const body = finishBody(collector);
    expect(body.buffer.byteLength).toBe(total);
    expect(Buffer.from(body).equals(Buffer.from(expected))).toBe(true);
  });

  it("copies a body of unknown length into an array that grows by doubling", () => {
    const sizes = Array.from({ length: 40 }, (_, i) => 1000 + i * 997);
    const collector = new BodyCollector({ decoder: null, sink: null, limit: -1, expectedLength: -1 });
    const expected = pushAndScribble(collector, sizes);
    const body = finishBody(collector);
    expect(Buffer.from(body).equals(Buffer.from(expected))).toBe(true);
    expect(body.buffer.byteLength).toBeGreaterThanOrEqual(body.length);
    expect(body.buffer.byteLength).toBeLessThanOrEqual(2 * body.length);
  });

  it("keeps a one-piece body of unknown length in an array of exactly its size", () => {
    const collector = new BodyCollector({ decoder: null, sink: null, limit: -1 });
    const expected = pushAndScribble(collector, [4321]);
    const body = finishBody(collector);
    expect(body.buffer.byteLength).toBe(4321);
    expect(Buffer.from(body).equals(Buffer.from(expected))).toBe(true);
  });

  it("never grows past bodySizeLimit, and fails once the body exceeds it", () => {
    const collector = new BodyCollector({ decoder: null, sink: null, limit: 150_000, expectedLength: -1 });
    pushAndScribble(collector, [60_000, 60_000, 30_000]);
    const failure = collector.push(piece(1, 9));
    expect(failure?.result).toBe(Result.RESULT_BODY_SIZE_LIMIT_EXCEEDED);
    const within = new BodyCollector({ decoder: null, sink: null, limit: 150_000, expectedLength: -1 });
    pushAndScribble(within, [60_000, 60_000, 30_000]);
    const body = finishBody(within);
    expect(body.length).toBe(150_000);
    expect(body.buffer.byteLength).toBe(150_000); // doubling 120,000 would pass the limit
  });

  it("hands pieces to onData without keeping them", () => {
    const seen: Uint8Array[] = [];
    const collector = new BodyCollector({ decoder: null, sink: null, limit: -1, onData: (p) => seen.push(p.slice()) });
    const expected = pushAndScribble(collector, [10, 20, 30]);
    expect(finishBody(collector)).toHaveLength(0);
    expect(Buffer.from(Buffer.concat(seen)).equals(Buffer.from(expected))).toBe(true);
  });
});
