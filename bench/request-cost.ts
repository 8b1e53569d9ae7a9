// What the request node costs per request and per tick, for two source trees in ONE process: the
// workloads of bench/request-cost-work.ts are bundled once against each tree's src/ and the trees
// alternate in short rounds (the order flips each round), so a change of machine load hits both
// alike. Sockets play no part (ScriptedNetwork): the figures are the library's own user CPU time.
//
//   git worktree add --detach ../old <commit> && ln -s "$PWD/node_modules" ../old/node_modules
//   taskset -c 1 npm run bench:request-cost -- --ref ../old [--rounds 40]
//                 [--nodes 1000] [--idle-nodes 10000] [--alloc]
//
// Without --ref it measures this tree alone. Per request: `request()`, the tick that sends, the tick
// that completes (µs of user CPU). Per tick: nodes waiting for a head (W4's case) and nodes whose
// request completed (ns per node); the client alone (W1e: µs per request/response cycle). --alloc
// adds the bytes allocated per request (V8's sampling heap profiler, collected objects included). Each figure: the median over the rounds; the change is
// the median over the rounds of that round's after ÷ before (below 1: after costs less).
// Nothing here asserts a speed.
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import type { RequestCostWork } from "./request-cost-work.ts";
import { median } from "./measure.ts";

interface Options {
  readonly ref: string | null;
  readonly rounds: number;
  readonly nodes: number;
  readonly idleNodes: number;
  readonly alloc: boolean;
}

interface Tree {
  readonly name: "before" | "after";
  readonly dir: string;
  readonly work: RequestCostWork;
  readonly rounds: number[][];
  bytesPerRequest: number | null;
}

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository root (bench/ is bundled into .tmp/run/, so look for package.json upwards). */
function repositoryRoot(): string {
  for (let dir = HERE; ; dir = dirname(dir)) {
    try {
      readFileSync(resolve(dir, "package.json"));
      return dir;
    } catch {
      if (dirname(dir) === dir) return process.cwd();
    }
  }
}

function parseOptions(argv: readonly string[]): Options {
  let ref: string | null = null;
  let rounds = 40;
  let nodes = 1000;
  let idleNodes = 10_000;
  let alloc = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = (): string => {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      return value;
    };
    const count = (): number => {
      const value = Number(next());
      if (!Number.isInteger(value) || value < 1) throw new Error(`${arg} needs a positive integer`);
      return value;
    };
    if (arg === "--ref") ref = resolve(next());
    else if (arg === "--rounds") rounds = count();
    else if (arg === "--nodes") nodes = count();
    else if (arg === "--idle-nodes") idleNodes = count();
    else if (arg === "--alloc") alloc = true;
    else throw new Error(`unknown option ${String(arg)}`);
  }
  return { ref, rounds, nodes, idleNodes, alloc };
}

/** Bundles the workloads against `dir`'s src/ and loads them. */
async function load(root: string, dir: string, name: string, options: Options): Promise<RequestCostWork> {
  const out = resolve(root, ".tmp/bench", `request-cost-${name}.${process.pid}.mjs`);
  mkdirSync(dirname(out), { recursive: true });
  process.on("exit", () => rmSync(out, { force: true }));
  await build({
    stdin: {
      contents: readFileSync(resolve(root, "bench/request-cost-work.ts"), "utf8"),
      resolveDir: resolve(dir, "bench"),
      sourcefile: "request-cost-work.ts",
      loader: "ts",
    },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: out,
    logLevel: "warning",
    define: { __POLL_HTTP_VERSION__: '"0.0.0"' },
  });
  const module = (await import(pathToFileURL(out).href)) as {
    makeRequestCostWork(nodes: number, idleNodes: number): RequestCostWork;
  };
  return module.makeRequestCostWork(options.nodes, options.idleNodes);
}

/** Bytes allocated per request over `rounds` rounds (sampled every 256 bytes). */
async function bytesPerRequest(work: RequestCostWork, rounds: number, nodes: number): Promise<number> {
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.enable");
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  work.perRequest(rounds);
  const { profile } = await session.post("HeapProfiler.stopSampling");
  session.disconnect();
  let total = 0;
  const stack = [profile.head];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    total += node.selfSize;
    stack.push(...node.children);
  }
  return total / (rounds * nodes);
}

const COLUMNS = [
  "request() µs",
  "sending tick µs",
  "completing tick µs",
  "per request µs",
  "waiting ns/node/tick",
  "finished ns/node/tick",
  "engine (W1e) µs per cycle",
];

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const root = repositoryRoot();
  const dirs: [Tree["name"], string][] =
    options.ref === null
      ? [["after", root]]
      : [
          ["before", options.ref],
          ["after", root],
        ];
  const trees: Tree[] = [];
  for (const [name, dir] of dirs) {
    trees.push({ name, dir, work: await load(root, dir, name, options), rounds: [], bytesPerRequest: null });
  }
  for (const tree of trees) {
    tree.work.perRequest(20); // warm-up
    tree.work.waiting(30);
    tree.work.finished(30);
    tree.work.engine(20_000);
  }
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? trees : [...trees].reverse();
    for (const tree of order) {
      const [request, send, complete] = tree.work.perRequest(4);
      tree.rounds.push([
        request,
        send,
        complete,
        request + send + complete,
        tree.work.waiting(10),
        tree.work.finished(10),
        tree.work.engine(4000),
      ]);
    }
  }
  if (options.alloc) {
    for (const tree of trees) tree.bytesPerRequest = await bytesPerRequest(tree.work, 30, options.nodes);
  }
  const load1 = (await import("node:os")).loadavg()[0] ?? 0;
  console.log(
    `request cost, ${options.rounds} alternating rounds, ${options.nodes} nodes per request round, ${options.idleNodes} idle nodes`,
  );
  for (const tree of trees) console.log(`${tree.name}: ${tree.dir}`);
  console.log("");
  const header = ["quantity", ...trees.map((t) => t.name), ...(trees.length === 2 ? ["after ÷ before (median of rounds)"] : [])];
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map((_, i) => (i === 0 ? ":--" : "--:")).join("|")}|`);
  COLUMNS.forEach((column, c) => {
    const values = trees.map((t) => median(t.rounds.map((r) => r[c] ?? Number.NaN)));
    const cells = values.map((v) => v.toFixed(c < 4 || c === 6 ? 2 : 1));
    if (trees.length === 2) {
      const [before, after] = trees as [Tree, Tree];
      const ratios = after.rounds.map((r, i) => (r[c] ?? Number.NaN) / (before.rounds[i]?.[c] ?? Number.NaN));
      cells.push(median(ratios).toFixed(3));
    }
    console.log(`| ${column} | ${cells.join(" | ")} |`);
  });
  if (options.alloc) {
    const cells = trees.map((t) => (t.bytesPerRequest ?? Number.NaN).toFixed(0));
    if (trees.length === 2) cells.push(((trees[1]?.bytesPerRequest ?? 0) / (trees[0]?.bytesPerRequest ?? 1)).toFixed(3));
    console.log(`| bytes allocated per request | ${cells.join(" | ")} |`);
  }
  console.log(`\nload average (1 min) at the end: ${load1.toFixed(2)}`);
}

await main();
