import { describe, expect, it } from "vitest";
import { CORPUS } from "./corpus.ts";
import { runClient } from "./client-target.ts";
import { caseSeed, makeCase, type FuzzCase } from "./generate.ts";
import { checkParserCase, runParser } from "./parser-target.ts";
import { splitsOf } from "./splits.ts";

const asCase = (bytes: Uint8Array, headRequest: boolean, extra: Partial<FuzzCase> = {}): FuzzCase => ({
  id: "corpus",
  source: "mutation",
  origin: "corpus",
  bytes,
  headRequests: [headRequest],
  ending: "end",
  maxHeadBytes: 65536,
  maxHeaderCount: 100,
  maxDataBytes: 65536,
  splitSeed: 1,
  ...extra,
});

describe("fuzz kit", () => {
  it("every corpus entry is a valid response: the client reads its code and body, in every split", () => {
    for (const entry of CORPUS) {
      const c = asCase(entry.bytes, entry.headRequest);
      const whole = runClient(c, [entry.bytes]).lines;
      expect(whole, entry.name).toContain(`body ${JSON.stringify(entry.body)} read=${entry.body.length}`);
      expect(
        whole.find((l) => l.startsWith("response ")),
        entry.name,
      ).toMatch(new RegExp(`^response true ${entry.code} `));
      expect(
        whole.find((l) => l.startsWith("final ")),
        entry.name,
      ).toBe("final STATUS_DISCONNECTED code=");
      expect(checkParserCase(c, 5), entry.name).not.toMatch(/^error/);
    }
  });

  it("cases are a pure function of (seed, index) and cover the three generators", () => {
    expect(makeCase(7, 123)).toEqual(makeCase(7, 123));
    expect(makeCase(7, 123).bytes).not.toEqual(makeCase(7, 124).bytes);
    expect(caseSeed(1, 2)).not.toBe(caseSeed(2, 1));
    const sources = new Set(Array.from({ length: 200 }, (_, i) => makeCase(3, i).source));
    expect([...sources].sort()).toEqual(["grammar", "mutation", "random"]);
  });

  it("splits cover the input exactly: whole, byte by byte, random cuts", () => {
    const bytes = Uint8Array.from({ length: 50 }, (_, i) => i);
    const splits = splitsOf(bytes, 9, 3);
    expect(splits.map((s) => s.name)).toEqual(["whole", "bytes", "random-0", "random-1", "random-2"]);
    for (const split of splits) expect(Buffer.concat(split.pieces)).toEqual(Buffer.from(bytes));
    expect(splits[1]?.pieces).toHaveLength(50);
  });

  it("the parser target sees an unfinished response at end of input as an error, and waits without it", () => {
    const bytes = CORPUS[0]!.bytes.subarray(0, 30);
    expect(runParser(asCase(bytes, false), [bytes]).terminal).toBe("error:truncated");
    expect(runParser(asCase(bytes, false, { ending: "open" }), [bytes]).terminal).toBe("waiting");
  });

  it("the client target fails a case whose outcome depends on the split (the check is not vacuous)", () => {
    // Bytes after a complete response on a kept-alive connection: only the folded status sequence
    // hides when they arrived; a body read limit of 3 makes reads differ in size, not in bytes.
    const c = asCase(CORPUS[0]!.bytes, false, { ending: "open", maxDataBytes: 3 });
    const whole = runClient(c, [c.bytes]).lines;
    const single = runClient(c, splitsOf(c.bytes, 1, 0)[1]!.pieces).lines;
    expect(single).toEqual(whole);
    const truncated = runClient(c, [c.bytes.subarray(0, c.bytes.length - 1)]).lines;
    expect(truncated).not.toEqual(whole);
  });
});
