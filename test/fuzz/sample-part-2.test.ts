import { describe, expect, it } from "vitest";
import { SAMPLE_CASES, SAMPLE_PARTS, runSamplePart } from "./sample.ts";

describe("fuzz sample, part 2 of 4", () => {
  it(`${SAMPLE_CASES / SAMPLE_PARTS} seeded cases: parser and client never throw, end or wait, and agree across splits`, () => {
    const result = runSamplePart(1);
    expect(Object.keys(result.sources).sort()).toEqual(["grammar", "mutation", "random"]);
  }, 60_000);
});
