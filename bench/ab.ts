// A/B of two source trees of poll-http in one run: the tree this file is in (or --new DIR) against a
// reference tree (--ref DIR, e.g. a worktree of an older commit), on W1, W2 (a and b), W3 and W4.
// Each tree's own bench (its bench/index.ts, src/ and bench server) runs one workload at a time in a
// fresh process, `--only WX --json FILE`, and the two trees alternate in rounds (round 1: ref then
// new; round 2: new then ref; ...), so a change of machine load hits both alike. The tables' JSON
// records are read back and each quantity is printed for both trees with the change between them.
//
//   git worktree add --detach ../old <commit> && ln -s "$PWD/node_modules" ../old/node_modules
//   npm run bench:ab -- --ref ../old [--rounds 3] [--only W1,W2,W3,W4] [--placements same,different]
//                       [--runs N --requests N --warmup N --mib N --w1-pair-runs N --w2-requests N
//                        --w2-connections N --w2-batches N --w2-nodes N --w4-nodes N --w4-ticks N
//                        --clients LIST] [--json FILE]
//
// The bench options listed pass through to both benches (the ones both trees' benches know);
// --clients defaults to `poll,undici` (the subject and the peer of the ratios). nginx is not used.
// W1 and W2 run under each placement of the client and the server (`same`: both on CPU 0,
// `different`: client on 0, server on 1) set from outside both benches, so the trees are placed
// alike whether or not a tree's bench pins by itself: the client by starting the bench under
// `taskset -c`, the server by bench/ab-server-pin.cjs (preloaded); this tree's bench is told not
// to pin (POLL_HTTP_BENCH_PIN=external). Without taskset, or with one CPU, they run unpinned. W3
// and W4 run unpinned, as in the bench. Each bench's stdout goes to a log beside the JSON; its
// machine check lines are summed up at the end. The aggregate is written as JSON (default
// .tmp/bench/ab/ab.json). Nothing here asserts a speed.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { median } from "./measure.ts";
import type { RunRecord, TableRecord } from "./report.ts";

const WORKLOADS = ["W1", "W2", "W3", "W4"] as const;
/** Options passed through to both benches with their value. */
const PASSED = [
  "--runs",
  "--requests",
  "--warmup",
  "--mib",
  "--w1-pair-runs",
  "--w2-requests",
  "--w2-connections",
  "--w2-batches",
  "--w2-nodes",
  "--w4-nodes",
  "--w4-ticks",
  "--clients",
] as const;

interface Placement {
  readonly label: string;
  readonly client: number | null;
  readonly server: number | null;
}

interface Tree {
  /** "before" (the reference) or "after". */
  readonly name: string;
  readonly dir: string;
}

interface Options {
  readonly trees: readonly [Tree, Tree];
  readonly rounds: number;
  readonly workloads: readonly string[];
  readonly placements: readonly Placement[];
  readonly passed: readonly string[];
  readonly out: string;
}

const PLACEMENTS: Readonly<Record<string, Placement>> = {
  same: { label: "same CPU", client: 0, server: 0 },
  different: { label: "different CPUs", client: 0, server: 1 },
};
/** The preload that places a bench server (see its head); this tree's, whichever tree runs. */
const PRELOAD = resolve("bench/ab-server-pin.cjs");
const UNPINNED: Placement = { label: "unpinned", client: null, server: null };

function tasksetWorks(): boolean {
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function parseArgs(argv: readonly string[]): Options {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    if (i === -1) return undefined;
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${name} needs a value`);
    return v;
  };
  const known = new Set<string>(["--ref", "--new", "--rounds", "--only", "--placements", "--json", ...PASSED]);
  for (let i = 0; i < argv.length; i += 2) {
    const a = argv[i] ?? "";
    if (!known.has(a)) throw new Error(`unknown option ${a}; see the head of bench/ab.ts`);
  }
  const ref = value("--ref");
  if (ref === undefined) throw new Error("--ref DIR (a source tree of the commit to compare with) is required");
  // Started through scripts/run-ts.mjs from the root of its tree: the working directory is that tree.
  const newDir = resolve(value("--new") ?? ".");
  if (!existsSync(PRELOAD)) throw new Error(`run this from the root of the tree it is in (${PRELOAD} is missing)`);
  const refDir = resolve(ref);
  for (const dir of [refDir, newDir]) {
    if (!existsSync(resolve(dir, "bench/index.ts")) || !existsSync(resolve(dir, "scripts/run-ts.mjs")))
      throw new Error(`${dir} has no bench/index.ts and scripts/run-ts.mjs`);
    if (!existsSync(resolve(dir, "node_modules"))) throw new Error(`${dir} has no node_modules (link the main tree's)`);
  }
  const rounds = Number(value("--rounds") ?? 3);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error("--rounds needs a positive integer");
  const workloads = (value("--only") ?? WORKLOADS.join(","))
    .split(",")
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== "");
  for (const w of workloads)
    if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`--only: ${w} is not one of ${WORKLOADS.join(", ")}`);
  const wanted = (value("--placements") ?? "same,different").split(",").map((s) => s.trim());
  for (const p of wanted) if (PLACEMENTS[p] === undefined) throw new Error(`--placements: ${p} is not same or different`);
  const canPin = tasksetWorks() && availableParallelism() >= 2;
  const placements = canPin ? wanted.map((p) => PLACEMENTS[p] ?? UNPINNED) : [UNPINNED];
  const passed: string[] = [];
  for (const name of PASSED) {
    const v = value(name);
    if (v !== undefined) passed.push(name, v);
  }
  if (value("--clients") === undefined) passed.push("--clients", "poll,undici");
  return {
    trees: [
      { name: "before", dir: refDir },
      { name: "after", dir: newDir },
    ],
    rounds,
    workloads,
    placements,
    passed,
    out: resolve(value("--json") ?? ".tmp/bench/ab/ab.json"),
  };
}

/** One bench process's result. */
interface SubjectRun {
  readonly record: RunRecord;
  /** Its "machine check:" lines, one per table. */
  readonly checks: readonly string[];
}

async function runSubject(options: Options, tree: Tree, workload: string, placement: Placement, round: number): Promise<SubjectRun> {
  const dir = dirname(options.out);
  const stem = `${tree.name}-${workload}-${placement.label.replace(/\s+/g, "-")}-r${round}`;
  const json = resolve(dir, `${stem}.json`);
  const log = resolve(dir, `${stem}.log`);
  const args = ["scripts/run-ts.mjs", "bench/index.ts", "--only", workload, "--no-nginx", "--json", json, ...options.passed];
  const [command, ...rest] =
    placement.client === null ? [process.execPath, ...args] : ["taskset", "-c", String(placement.client), process.execPath, ...args];
  const env: NodeJS.ProcessEnv = { ...process.env, POLL_HTTP_BENCH_PIN: "external" };
  if (placement.server !== null) {
    env.POLL_HTTP_AB_SERVER_CPU = String(placement.server);
    env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --require "${PRELOAD}"`;
  }
  const child = spawn(command ?? "", rest, { cwd: tree.dir, env, stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (s: string) => {
    stdout += s;
  });
  const code = await new Promise<number | null>((done, fail) => {
    child.on("error", fail);
    child.on("close", done);
  });
  writeFileSync(log, stdout);
  if (code !== 0) throw new Error(`${tree.name} ${workload} (${placement.label}) exited with ${code}; see ${log}`);
  const record = JSON.parse(readFileSync(json, "utf8")) as RunRecord;
  const checks = stdout.split("\n").filter((l) => l.startsWith("machine check:"));
  return { record, checks };
}

/** The key a table is matched on across the trees: workload without its placement, W3's framing, the placement of the run. */
function tableKey(table: TableRecord, placement: Placement): string {
  const base = table.workload.replace(/\s*\(.*\)$/, "");
  const framing = base.startsWith("W3") ? (table.title.includes("chunked") ? " chunked" : " Content-Length") : "";
  return `${base}${framing} (${placement.label})`;
}

/** A quantity's value per round for each tree, and whether higher is better. */
interface Quantity {
  readonly table: string;
  readonly name: string;
  readonly higherIsBetter: boolean;
  readonly values: Map<string, number[]>;
}

const METRIC_NAMES: Readonly<Record<string, string>> = {
  rps: "req/s",
  mbps: "MiB/s",
  ns: "ns / node / tick",
};

/** A metric's name in the printed table; CPU is counted per the workload's unit of work. */
function metricName(key: string, metric: string): string {
  if (metric !== "cpu") return METRIC_NAMES[metric] ?? metric;
  return key.startsWith("W1") ? "CPU s / 10k req" : key.startsWith("W2") ? "CPU µs / req" : key.startsWith("W3") ? "CPU s / GiB" : "CPU";
}

function ratioTurned(mine: number, theirs: number, higherIsBetter: boolean): number {
  return higherIsBetter ? mine / theirs : theirs / mine;
}

/** Reads the quantities of one table record into `into` (keyed by table key and quantity name). */
function collect(into: Map<string, Quantity>, key: string, tree: string, round: number, table: TableRecord): void {
  const put = (name: string, higherIsBetter: boolean, v: number): void => {
    const id = `${key}\u0000${name}`;
    let q = into.get(id);
    if (q === undefined) into.set(id, (q = { table: key, name, higherIsBetter, values: new Map() }));
    let list = q.values.get(tree);
    if (list === undefined) q.values.set(tree, (list = []));
    list[round] = v;
  };
  const subject = table.rows.find((r) => r.name === table.subject);
  const undici = table.rows.find((r) => r.name === "undici");
  const metrics: ReadonlyArray<readonly [string, boolean]> = [
    [table.metric, table.higherIsBetter],
    ["cpu", false],
  ];
  for (const [metric, higher] of metrics) {
    if (subject === undefined || undici === undefined) break;
    const mine = subject.medians[metric];
    const theirs = undici.medians[metric];
    if (typeof mine !== "number" || typeof theirs !== "number") continue;
    put(`${subject.name} ÷ undici, ${metricName(key, metric)} (turned: > 1 is better)`, true, ratioTurned(mine, theirs, higher));
  }
  for (const row of table.rows) {
    if (row.name === "undici") continue;
    for (const [metric, higher] of metrics) {
      const v = row.medians[metric];
      if (typeof v === "number") put(`${row.name}, ${metricName(key, metric)}`, higher, v);
    }
  }
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  return a >= 1000 ? Math.round(v).toLocaleString("en-US") : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  mkdirSync(dirname(options.out), { recursive: true });
  const [before, after] = options.trees;
  const rev = (dir: string): string => {
    try {
      return execFileSync("git", ["-C", dir, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    } catch {
      return "?";
    }
  };
  const revs = { [before.name]: rev(before.dir), [after.name]: rev(after.dir) };
  const started = new Date();
  console.log(`poll-http A/B — ${started.toISOString()}`);
  console.log(`before: ${before.dir} (${revs[before.name]}); after: ${after.dir} (${revs[after.name]})`);
  console.log(
    `rounds ${options.rounds}; workloads ${options.workloads.join(", ")}; W1/W2 placements: ${options.placements.map((p) => p.label).join(", ")}`,
  );
  console.log(`passed to both benches: ${options.passed.join(" ")} --no-nginx`);
  console.log(
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}\n`,
  );
  const units = options.workloads.flatMap((w) => (w === "W1" || w === "W2" ? options.placements : [UNPINNED]).map((p) => ({ w, p })));
  const quantities = new Map<string, Quantity>();
  const checks = new Map<string, string[]>([
    [before.name, []],
    [after.name, []],
  ]);
  for (let round = 0; round < options.rounds; round++) {
    for (const { w, p } of units) {
      const order = round % 2 === 0 ? [before, after] : [after, before];
      for (const tree of order) {
        const t0 = performance.now();
        const run = await runSubject(options, tree, w, p, round);
        checks.get(tree.name)?.push(...run.checks);
        for (const table of run.record.tables) collect(quantities, tableKey(table, p), tree.name, round, table);
        console.log(`round ${round + 1}: ${tree.name} ${w} (${p.label}) ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
    }
  }
  const lines = [
    `### A/B: ${revs[before.name]} (before) and ${revs[after.name]} (after), ${options.rounds} alternating rounds`,
    "",
    "Each value: the median over the rounds of that bench's table median; change: the median over the rounds of the",
    "round's after ÷ before (turned so that > 1 means after is better), then the round-by-round values.",
    "",
    "| table | quantity | before | after | change (> 1: after better) | per round |",
    "|:--|:--|--:|--:|--:|:--|",
  ];
  const rows: Array<Record<string, unknown>> = [];
  for (const q of quantities.values()) {
    const a = q.values.get(before.name);
    const b = q.values.get(after.name);
    if (a === undefined || b === undefined) continue; // a table only one tree's bench has
    const perRound: number[] = [];
    for (let r = 0; r < options.rounds; r++) {
      const x = a[r];
      const y = b[r];
      if (x !== undefined && y !== undefined) perRound.push(ratioTurned(y, x, q.higherIsBetter));
    }
    const ma = median(a.filter((v) => v !== undefined));
    const mb = median(b.filter((v) => v !== undefined));
    const change = perRound.length > 0 ? median(perRound) : NaN;
    lines.push(`| ${q.table} | ${q.name} | ${fmt(ma)} | ${fmt(mb)} | ${fmt(change)} | ${perRound.map(fmt).join(" / ")} |`);
    rows.push({ table: q.table, quantity: q.name, higherIsBetter: q.higherIsBetter, before: a, after: b, change, perRound });
  }
  const shares = (list: readonly string[]): number[] =>
    list.map((l) => Number(/\(([\d.]+)% of one core\)/.exec(l)?.[1] ?? NaN)).filter((v) => !Number.isNaN(v));
  const machine = [...checks].map(([name, list]) => {
    const s = shares(list);
    const warned = list.filter((l) => l.includes("WARNING")).length;
    return s.length === 0
      ? `${name}: no machine check read`
      : `${name}: other processes used ${fmt(Math.min(...s))}–${fmt(Math.max(...s))} % of one core during its ${s.length} tables (median ${fmt(median(s))} %), ${warned} not quiet`;
  });
  lines.push("", `machine check (from each bench's tables) — ${machine.join("; ")}`);
  lines.push(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s in all`,
  );
  console.log(`\n${lines.join("\n")}`);
  writeFileSync(
    options.out,
    `${JSON.stringify({ date: started.toISOString(), trees: options.trees, revs, rounds: options.rounds, passed: options.passed, rows, machine }, null, 2)}\n`,
  );
  console.log(`\nresults: ${options.out} (each bench's log and JSON beside it)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
