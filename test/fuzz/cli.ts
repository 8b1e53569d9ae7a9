/**
 * `npm run fuzz -- [--cases N] [--seed S] [--from I] [--case I] [--target parser|client|both]`
 *
 * Runs a fuzz campaign (default 100,000 cases of seed 1 against both targets) and prints the cases
 * run, the outcomes, the time and every failure with the command that replays it. `--case I` runs
 * one case and prints its input and outcome. Exit code 1 when a case failed.
 */
import { runCampaign, runCase, type Target } from "./campaign.ts";
import { makeCase, showBytes } from "./generate.ts";

function option(name: string): string | undefined {
  const args = process.argv.slice(2);
  const at = args.indexOf(`--${name}`);
  if (at >= 0) return args[at + 1];
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

function integer(name: string, fallback: number): number {
  const raw = option(name);
  if (raw === undefined) return fallback;
  const value = Number(raw.replace(/_/g, ""));
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`--${name} must be a whole number from 0, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

const seed = integer("seed", 1);
const targetOption = option("target") ?? "both";
if (!["parser", "client", "both"].includes(targetOption)) {
  console.error(`--target must be parser, client or both, got ${JSON.stringify(targetOption)}`);
  process.exit(2);
}
const targets: Target[] = targetOption === "both" ? ["parser", "client"] : [targetOption as Target];

const single = option("case");
if (single !== undefined) {
  const c = makeCase(seed, integer("case", 0));
  console.log(
    `case ${c.id} (${c.source}/${c.origin}) head=${JSON.stringify(c.headRequests)} ending=${c.ending} ` +
      `maxHeadBytes=${c.maxHeadBytes} maxHeaderCount=${c.maxHeaderCount} maxDataBytes=${c.maxDataBytes}`,
  );
  console.log(`input ${showBytes(c.bytes)}`);
  let failed = false;
  for (const target of targets) {
    try {
      console.log(`${target}: ok, ${runCase(c, target)}`);
    } catch (error) {
      failed = true;
      console.log(`${target}: FAILED ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  process.exit(failed ? 1 : 0);
}

const cases = integer("cases", 100_000);
const from = integer("from", 0);
console.log(`fuzzing ${cases} cases of seed ${seed} from case ${from} against ${targets.join(" and ")}`);
const result = runCampaign({
  seed,
  from,
  count: cases,
  targets,
  maxFailures: 100,
  progressEvery: 50_000,
  onProgress: (done, r) => console.log(`  ${done} cases, ${r.failures.length} failures, ${(r.ms / 1000).toFixed(1)} s`),
});
console.log(
  `cases run: ${result.cases} (${Object.entries(result.sources)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")})`,
);
console.log(
  `outcomes: ${Object.entries(result.outcomes)
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")}`,
);
console.log(`failures: ${result.failures.length}`);
for (const f of result.failures) {
  console.log(`  ${f.target} case ${f.id} (${f.made}): ${f.message.split("\n")[0]}`);
  console.log(`    input ${f.input}`);
  console.log(`    replay: npm run fuzz -- --seed ${seed} --case ${f.id.split(":")[1]} --target ${f.target}`);
}
console.log(`time: ${(result.ms / 1000).toFixed(1)} s (${Math.round(result.cases / (result.ms / 1000))} cases/s)`);
process.exit(result.failures.length > 0 ? 1 : 0);
