/**
 * The suite's fixed fuzz sample: 10,000 cases of campaign seed {@link SAMPLE_SEED}, each run
 * against the parser and the client, cut into {@link SAMPLE_PARTS} files so vitest runs them in
 * parallel. `npm run fuzz` runs other seeds and longer ranges with the same code.
 */
import { expect } from "vitest";
import { runCampaign, type CampaignResult } from "./campaign.ts";

/** The seed of the suite's sample (changing it changes which cases the suite runs). */
export const SAMPLE_SEED = 20250701;
/** Cases in the suite's sample. */
export const SAMPLE_CASES = 10_000;
/** Files the sample is cut into. */
export const SAMPLE_PARTS = 4;

/**
 * Runs part `part` (0-based) of the sample against both targets and fails with every broken case
 * (id, generator, input, message) listed.
 *
 * @returns The run's figures.
 */
export function runSamplePart(part: number): CampaignResult {
  const size = SAMPLE_CASES / SAMPLE_PARTS;
  const result = runCampaign({ seed: SAMPLE_SEED, from: part * size, count: size, targets: ["parser", "client"] });
  const report = result.failures.map((f) => `${f.target} case ${f.id} (${f.made}) input ${f.input}\n  ${f.message}`).join("\n");
  expect(report, `replay one with: npm run fuzz -- --seed ${SAMPLE_SEED} --case INDEX`).toBe("");
  expect(result.cases).toBe(size);
  return result;
}
