import { describe, expect, it } from "vitest";
import * as zlib from "node:zlib";
import {
  createContentDecoder,
  type ContentDecoder,
  type ContentDecoderOptions,
  type DecodeStatus,
} from "../../src/request-node/content-decoder.ts";
import { prng as mulberry32 } from "../helpers/prng.ts";

/** Compressible but not trivial test data. */
function sample(size: number, seed = 1): Uint8Array {
  const random = mulberry32(seed);
  const words = ["alpha ", "beta ", "gamma ", "delta\n", "epsilon ", "\u00e9t\u00e9 "].map((w) => Buffer.from(w));
  const out = new Uint8Array(size);
  let at = 0;
  while (at < size) {
    const word = random() < 0.1 ? Uint8Array.of(Math.floor(random() * 256)) : (words[Math.floor(random() * words.length)] ?? words[0]);
    if (word === undefined) break;
    out.set(word.subarray(0, size - at), at);
    at += Math.min(word.length, size - at);
  }
  return out;
}

function open(values: string[], options: ContentDecoderOptions = {}): ContentDecoder {
  const created = createContentDecoder(values, options);
  if (!created.ok) throw new Error(created.reason);
  return created.decoder;
}

interface Run {
  readonly output: Uint8Array;
  readonly chunkSizes: number[];
  readonly failure: string | undefined;
}

/** Decodes `encoded` pushed in the given pieces, then finishes. */
function run(decoder: ContentDecoder, encoded: Uint8Array, cuts: number[]): Run {
  const chunks: Uint8Array[] = [];
  const take = (c: Uint8Array): boolean => {
    chunks.push(c);
    return true;
  };
  let failure: string | undefined;
  let from = 0;
  for (const cut of [...cuts, encoded.length]) {
    const status: DecodeStatus = decoder.push(encoded.subarray(from, cut), take);
    from = cut;
    if (!status.ok) {
      failure = status.reason;
      break;
    }
  }
  if (failure === undefined) {
    const done = decoder.finish(take);
    if (!done.ok) failure = done.reason;
  }
  return { output: Buffer.concat(chunks), chunkSizes: chunks.map((c) => c.length), failure };
}

const whole = (): number[] => [];
const byteByByte = (n: number): number[] => Array.from({ length: Math.max(0, n - 1) }, (_, i) => i + 1);
function randomCuts(n: number, seed: number): number[] {
  const random = mulberry32(seed);
  const cuts: number[] = [];
  for (let at = 0; ; ) {
    at += 1 + Math.floor(random() * 700);
    if (at >= n) return cuts;
    cuts.push(at);
  }
}

const DATA = sample(300_000);
const brotli = (d: Uint8Array): Uint8Array => zlib.brotliCompressSync(d, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } });

const encoders: [string, string[], (d: Uint8Array) => Uint8Array][] = [
  ["gzip", ["gzip"], (d) => zlib.gzipSync(d)],
  ["x-gzip", ["X-GZIP"], (d) => zlib.gzipSync(d)],
  ["deflate (zlib-wrapped)", ["deflate"], (d) => zlib.deflateSync(d)],
  ["deflate (raw)", ["deflate"], (d) => zlib.deflateRawSync(d)],
  ["br", ["br"], brotli],
  ["gzip, gzip (one field)", ["gzip, gzip"], (d) => zlib.gzipSync(zlib.gzipSync(d))],
  ["gzip + gzip (two fields)", ["gzip", " Gzip "], (d) => zlib.gzipSync(zlib.gzipSync(d))],
  ["deflate, identity, br", ["deflate", "identity, br"], (d) => brotli(zlib.deflateSync(d))],
  ["br, gzip", ["br,gzip"], (d) => zlib.gzipSync(brotli(d))],
];

describe("createContentDecoder: round trips in any split", () => {
  it.each(encoders)("%s", (_name, header, encode) => {
    const encoded = encode(DATA);
    const splits = [whole(), randomCuts(encoded.length, 7), randomCuts(encoded.length, 8)];
    if (encoded.length < 20_000) splits.push(byteByByte(encoded.length));
    for (const cuts of splits) {
      const result = run(open(header), encoded, cuts);
      expect(result.failure).toBeUndefined();
      expect(Buffer.compare(result.output, DATA)).toBe(0);
      expect(Math.max(...result.chunkSizes)).toBeLessThanOrEqual(65536);
    }
  });

  it("decodes byte by byte with a small output chunk for every coding", () => {
    const small = sample(5_000, 3);
    for (const [, header, encode] of encoders) {
      const result = run(open(header, { outputChunkSize: 64 }), encode(small), byteByByte(encode(small).length));
      expect(result.failure).toBeUndefined();
      expect(Buffer.compare(result.output, small)).toBe(0);
      expect(Math.max(...result.chunkSizes)).toBeLessThanOrEqual(64);
    }
  });

  it("is deterministic: the same pieces give the same output chunks", () => {
    const encoded = zlib.gzipSync(DATA);
    const cuts = randomCuts(encoded.length, 99);
    const a = run(open(["gzip"]), encoded, cuts);
    const b = run(open(["gzip"]), encoded, cuts);
    expect(a.chunkSizes).toEqual(b.chunkSizes);
    expect(a.chunkSizes.length).toBeGreaterThan(4);
  });

  it("hands out chunks that are never overwritten later", () => {
    const encoded = zlib.gzipSync(DATA);
    const chunks: Uint8Array[] = [];
    const decoder = open(["gzip"], { outputChunkSize: 1000 });
    for (let at = 0; at < encoded.length; at += 100) {
      expect(decoder.push(encoded.subarray(at, at + 100), (c) => chunks.push(c) > 0).ok).toBe(true);
    }
    expect(decoder.finish().ok).toBe(true);
    expect(Buffer.compare(Buffer.concat(chunks), DATA)).toBe(0);
    expect(decoder.bytesIn).toBe(encoded.length);
    expect(decoder.bytesOut).toBe(DATA.length);
  });

  it("passes bytes through for identity or no coding at all", () => {
    for (const header of [[], ["identity"], ["", " , identity ,"]]) {
      const decoder = open(header);
      expect(decoder.codings).toEqual([]);
      const result = run(decoder, DATA, randomCuts(DATA.length, 5));
      expect(Buffer.compare(result.output, DATA)).toBe(0);
    }
  });

  it("lists codings in decoding order", () => {
    expect(open(["gzip, br", "deflate"]).codings).toEqual(["deflate", "br", "gzip"]);
  });

  it("decodes an empty body to nothing", () => {
    for (const header of [["gzip"], ["deflate"], ["br"]]) {
      const result = run(open(header), new Uint8Array(0), []);
      expect(result).toEqual({ output: Buffer.alloc(0), chunkSizes: [], failure: undefined });
    }
  });
});

describe("createContentDecoder: stream ends", () => {
  const one = zlib.gzipSync("hello ");
  const two = zlib.gzipSync("world");

  it("decodes concatenated gzip members, as gunzip does, in any split", () => {
    const both = Buffer.concat([one, two]);
    for (const cuts of [whole(), [one.length], byteByByte(both.length)]) {
      const result = run(open(["gzip"]), both, cuts);
      expect(result.failure).toBeUndefined();
      expect(Buffer.from(result.output).toString()).toBe("hello world");
    }
  });

  it("ignores NUL padding after the last gzip member", () => {
    const padded = Buffer.concat([one, Buffer.alloc(5)]);
    for (const cuts of [whole(), [one.length], [one.length + 2], byteByByte(padded.length)]) {
      const result = run(open(["gzip"]), padded, cuts);
      expect(result.failure).toBeUndefined();
      expect(Buffer.from(result.output).toString()).toBe("hello ");
    }
  });

  it.each([
    ["garbage after a gzip member", ["gzip"], Buffer.concat([one, Buffer.from("garbage")])],
    ["NUL then garbage after a gzip member", ["gzip"], Buffer.concat([one, Buffer.from("\0garbage")])],
    ["NUL padding then another member", ["gzip"], Buffer.concat([one, Buffer.alloc(2), two])],
    ["bytes after a zlib stream", ["deflate"], Buffer.concat([zlib.deflateSync("x"), Buffer.from([0])])],
    ["bytes after a raw deflate stream", ["deflate"], Buffer.concat([zlib.deflateRawSync("x"), Buffer.from("y")])],
    ["bytes after a brotli stream", ["br"], Buffer.concat([zlib.brotliCompressSync("x"), Buffer.from("y")])],
  ])("fails on %s, whatever the split", (_name, header, encoded) => {
    for (const cuts of [whole(), byteByByte(encoded.length), randomCuts(encoded.length, 3)]) {
      expect(run(open(header), encoded, cuts).failure).toBeDefined();
    }
  });

  it("reports every truncation of a gzip body as an error", () => {
    const encoded = zlib.gzipSync(sample(2_000));
    for (let length = 1; length < encoded.length; length++) {
      const result = run(open(["gzip"]), encoded.subarray(0, length), []);
      expect(result.failure, `length ${length}`).toBeDefined();
    }
    const cut = run(open(["gzip"]), encoded.subarray(0, encoded.length - 4), []);
    expect(cut.failure).toBe("unexpected end of gzip stream");
  });

  it.each([
    ["deflate", zlib.deflateSync(DATA)],
    ["deflate", zlib.deflateRawSync(DATA)],
    ["br", brotli(DATA)],
    ["gzip, gzip", zlib.gzipSync(zlib.gzipSync(DATA))],
  ])("reports a truncated %s body at finish", (header, encoded) => {
    const result = run(open([header]), encoded.subarray(0, encoded.length - 3), []);
    expect(result.failure).toMatch(/^unexpected end of (deflate|br|gzip) stream$/);
  });

  it("reports a one-byte deflate body as truncated", () => {
    expect(run(open(["deflate"]), Uint8Array.of(0x78), []).failure).toBe("unexpected end of deflate stream");
  });

  it.each([
    ["a bad magic number", (g: Buffer) => Buffer.concat([Buffer.from("xx"), g.subarray(2)])],
    ["a bad CRC", (g: Buffer) => Buffer.concat([g.subarray(0, -8), Buffer.from([1, 2, 3, 4]), g.subarray(-4)])],
    ["a bad length", (g: Buffer) => Buffer.concat([g.subarray(0, -4), Buffer.from([1, 2, 3, 4])])],
    [
      "a corrupt block",
      (g: Buffer) => {
        const copy = Buffer.from(g);
        copy[12] = 0xff;
        copy[13] = 0xff;
        return copy;
      },
    ],
  ])("fails on gzip with %s", (_name, corrupt) => {
    const result = run(open(["gzip"]), corrupt(zlib.gzipSync(sample(3_000))), []);
    expect(result.failure).toMatch(/^corrupt gzip data: /);
  });

  it("fails on garbage declared as br or deflate", () => {
    expect(run(open(["br"]), Buffer.from("this is not brotli at all"), []).failure).toMatch(/^corrupt br data: /);
    expect(run(open(["deflate"]), Buffer.from([0x78, 0x9c, 0xff, 0xff, 0xff]), []).failure).toMatch(/^corrupt deflate data: /);
  });

  it("refuses calls after failing, stopping or finishing", () => {
    const failed = open(["gzip"]);
    expect(failed.push(Buffer.from("not gzip"), () => true).ok).toBe(false);
    expect(failed.push(zlib.gzipSync("x"), () => true)).toEqual({ ok: false, reason: "the decoder is failed" });
    const finished = open(["gzip"]);
    finished.push(zlib.gzipSync("x"), () => true);
    expect(finished.finish().ok).toBe(true);
    expect(finished.finish()).toEqual({ ok: false, reason: "the decoder is finished" });
    const closed = open(["gzip"]);
    closed.close();
    closed.close();
    expect(closed.push(zlib.gzipSync("x"), () => true)).toEqual({ ok: false, reason: "the decoder is closed" });
  });
});

describe("createContentDecoder: stopping and limits", () => {
  it("stops at once when the receiver returns false", () => {
    const encoded = zlib.gzipSync(DATA);
    const decoder = open(["gzip, gzip"], { outputChunkSize: 1024 });
    let calls = 0;
    let stopped = false;
    const status = decoder.push(zlib.gzipSync(encoded), () => {
      expect(stopped).toBe(false);
      calls++;
      stopped = calls === 3;
      return !stopped;
    });
    expect(status).toEqual({ ok: true, stopped: true });
    expect(calls).toBe(3);
    expect(decoder.bytesOut).toBe(3 * 1024);
    expect(decoder.push(encoded, () => true)).toEqual({ ok: false, reason: "the decoder is stopped" });
    expect(decoder.finish().ok).toBe(false);
  });

  it("refuses more codings than maxEncodings (default 5), counting every field line", () => {
    expect(createContentDecoder(["gzip, gzip, gzip", "gzip, gzip"]).ok).toBe(true);
    const six = createContentDecoder(["gzip, gzip, gzip", "gzip, gzip", "identity"]);
    expect(six).toMatchObject({ ok: false, kind: "too-many", unsupported: false });
    expect(createContentDecoder(["gzip, gzip"], { maxEncodings: 1 })).toMatchObject({ ok: false, kind: "too-many" });
    expect(createContentDecoder(["gzip"], { maxEncodings: 1 }).ok).toBe(true);
  });

  it.each(["compress", "x-compress", "zstd", "gzip;q=1", "exi", "pack200-gzip"])("reports %j as unsupported", (coding) => {
    const created = createContentDecoder(["gzip", coding]);
    expect(created).toMatchObject({ ok: false, kind: "unsupported", unsupported: true });
    if (!created.ok) expect(created.reason).toContain(JSON.stringify(coding.toLowerCase()));
  });
});

describe("createContentDecoder: a budget per call", () => {
  /** Decodes with at most `budget` bytes per call, resuming until nothing waits; returns the output and the most one call handed out. */
  function budgeted(
    decoder: ContentDecoder,
    encoded: Uint8Array,
    cuts: number[],
    budget: number,
  ): { output: Uint8Array; most: number; calls: number } {
    const chunks: Uint8Array[] = [];
    let thisCall = 0;
    let most = 0;
    let calls = 0;
    const take = (c: Uint8Array): boolean => {
      chunks.push(c.slice());
      thisCall += c.length;
      return true;
    };
    const settle = (status: DecodeStatus): void => {
      expect(status).toEqual({ ok: true, stopped: false });
      most = Math.max(most, thisCall);
      thisCall = 0;
      calls++;
    };
    let from = 0;
    for (const cut of [...cuts, encoded.length]) {
      // The caller reuses its receive memory: the decoder must have copied what it kept.
      const piece = Buffer.from(encoded.subarray(from, cut));
      settle(decoder.push(piece, take, budget));
      piece.fill(0xee);
      from = cut;
      // Half the time the next bytes are pushed while work still waits (they queue behind it).
      if (calls % 2 === 0) while (decoder.pending) settle(decoder.resume(take, budget));
    }
    while (decoder.pending) settle(decoder.resume(take, budget));
    expect(decoder.finish(take).ok).toBe(true);
    return { output: Buffer.concat(chunks), most, calls };
  }

  it.each(encoders)("%s: same output in any split, never more than the budget and one chunk per call", (_name, header, encode) => {
    const encoded = encode(DATA);
    for (const [budget, chunk] of [
      [1, 64],
      [1000, 256],
      [40_000, 4096],
    ] as const) {
      for (const cuts of [whole(), randomCuts(encoded.length, budget)]) {
        const got = budgeted(open(header, { outputChunkSize: chunk }), encoded, cuts, budget);
        expect(Buffer.compare(got.output, DATA)).toBe(0);
        expect(got.most).toBeLessThanOrEqual(budget + chunk);
        expect(got.calls).toBeGreaterThanOrEqual(Math.floor(DATA.length / (budget + chunk)));
      }
    }
  });

  it("keeps a bomb's undecoded rest for later calls instead of decoding it at once", () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
    const decoder = open(["gzip"]);
    let out = 0;
    expect(decoder.push(bomb, (c) => (out += c.length) > 0, 1024 * 1024)).toEqual({ ok: true, stopped: false });
    expect(out).toBeLessThanOrEqual(1024 * 1024 + 65536);
    expect(decoder.pending).toBe(true);
    expect(decoder.finish(() => true).ok).toBe(true);
    expect(decoder.bytesOut).toBe(64 * 1024 * 1024);
  });
});
