/**
 * Runs a range of fuzz cases against the targets and collects failures with their replay ids.
 * Shared by the suite's fixed sample (`*.test.ts` here) and the `npm run fuzz` campaigns.
 */
import { checkClientCase } from "./client-target.ts";
import { makeCase, showBytes, type FuzzCase } from "./generate.ts";
import { checkParserCase } from "./parser-target.ts";

/** The things fuzzed: the wire parser, or HTTPClient over ScriptedNetwork. */
export type Target = "parser" | "client";

/** A case that broke a property. */
export interface CaseFailure {
  /** `seed:index`. */
  readonly id: string;
  readonly target: Target;
  /** Generator and origin, e.g. `mutation/chunked`. */
  readonly made: string;
  readonly message: string;
  /** The input, as a JSON string of Latin-1 text. */
  readonly input: string;
}

/** What a run of cases came to. */
export interface CampaignResult {
  /** Cases run (each against every target given). */
  readonly cases: number;
  readonly failures: CaseFailure[];
  /** How the whole-input runs ended, per target: `parser end`, `client STATUS_BODY`, … with counts. */
  readonly outcomes: Record<string, number>;
  /** Cases per generator. */
  readonly sources: Record<string, number>;
  readonly ms: number;
}

/** Options of {@link runCampaign}. */
export interface CampaignOptions {
  readonly seed: number;
  /** First case index. Default 0. */
  readonly from?: number;
  readonly count: number;
  readonly targets: readonly Target[];
  /** Stop after this many failures. Default 20. */
  readonly maxFailures?: number;
  /** Called every `progressEvery` cases. */
  readonly onProgress?: (done: number, result: CampaignResult) => void;
  readonly progressEvery?: number;
}

/** Runs one case against one target; returns the outcome name or throws. */
export function runCase(c: FuzzCase, target: Target): string {
  return target === "parser" ? checkParserCase(c) : checkClientCase(c);
}

/**
 * Runs cases `from` … `from + count - 1` of campaign `seed` against each target.
 *
 * @param options - Seed, range, targets.
 * @returns Counts, failures and time.
 */
export function runCampaign(options: CampaignOptions): CampaignResult {
  const started = performance.now();
  const from = options.from ?? 0;
  const maxFailures = options.maxFailures ?? 20;
  const result: CampaignResult = { cases: 0, failures: [], outcomes: {}, sources: {}, ms: 0 };
  const count = (table: Record<string, number>, key: string): void => {
    table[key] = (table[key] ?? 0) + 1;
  };
  let cases = 0;
  for (let index = from; index < from + options.count && result.failures.length < maxFailures; index++) {
    const c = makeCase(options.seed, index);
    count(result.sources, c.source);
    for (const target of options.targets) {
      try {
        count(result.outcomes, `${target} ${runCase(c, target)}`);
      } catch (error) {
        result.failures.push({
          id: c.id,
          target,
          made: `${c.source}/${c.origin}`,
          input: showBytes(c.bytes),
          message: error instanceof Error ? error.message : String(error),
        });
      }
    }
    cases++;
    if (options.onProgress !== undefined && cases % (options.progressEvery ?? 10_000) === 0) {
      options.onProgress(cases, { ...result, cases, ms: performance.now() - started });
    }
  }
  return { ...result, cases, ms: performance.now() - started };
}
