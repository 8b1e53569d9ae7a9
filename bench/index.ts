// poll-http benchmark suite. Runs the peers side by side in one process against one server child
// process and prints a table per workload with poll-http's ratio to each peer.
//
//   npm run bench                      all workloads (W1, W3, W6), 3 runs each, medians
//   npm run bench -- --only W1         one workload (comma-separate several: --only W1,W3)
//   npm run bench -- --quick           a short smoke run (1 run, small sizes)
//   options: --runs N  --requests N (W1)  --warmup N (W1)  --mib N (W3)  --w6-mib N
//            --clients poll,poll-micro,undici,http,fetch,raw,raw-onread,engine
//                           rows to run (default all; `engine` is the W1e no-I/O row)
//            --in-process   run W3/W6 measurements in this process instead of a fresh child each
//                           (for `node --cpu-prof`; RSS growth is then not comparable)
//
// The server runs in a child process (see bench/server.ts) so the client's CPU time and RSS are
// measured alone; W3 and W6 measurements each run in a fresh child (see bench/child.ts). This file
// is the entry of all of them: children are forks of it with --bench-server or --bench-child.
import { cpus, loadavg, totalmem } from "node:os";
import { MachineWatch } from "./measure.ts";
import { runServerChild, startServerProcess } from "./server.ts";
import { runW1, runW1Engine } from "./w1-latency.ts";
import { runW3, measureW3 } from "./w3-bulk.ts";
import { runW6, measureW6 } from "./w6-scene.ts";
import { CHILD_FLAG, childMain } from "./child.ts";

interface Settings {
  readonly only: readonly string[];
  readonly quick: boolean;
  readonly runs: number;
  readonly requests: number;
  readonly warmup: number;
  readonly mib: number;
  readonly w6Mib: number;
  readonly clients: readonly string[];
  readonly inProcess: boolean;
}

const WORKLOADS = ["W1", "W3", "W6"] as const;

function parseArgs(argv: readonly string[]): Settings {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  const num = (name: string, fallback: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} needs a non-negative integer, got ${raw}`);
    return n;
  };
  const list = (name: string): string[] => (value(name) ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  const quick = argv.includes("--quick");
  const only = list("--only").map((s) => s.toUpperCase());
  for (const w of only) {
    if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`unknown workload ${w}; known: ${WORKLOADS.join(", ")}`);
  }
  return {
    only,
    quick,
    runs: Math.max(1, num("--runs", quick ? 1 : 3)),
    requests: Math.max(1, num("--requests", quick ? 2_000 : 20_000)),
    warmup: num("--warmup", quick ? 200 : 2_000),
    mib: Math.max(1, num("--mib", quick ? 16 : 256)),
    w6Mib: Math.max(1, num("--w6-mib", quick ? 8 : 64)),
    clients: list("--clients"),
    inProcess: argv.includes("--in-process"),
  };
}

function machine(): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  return [
    `node ${process.version} (bundled undici for fetch ${process.versions.undici ?? "?"}), ${process.platform}/${process.arch}`,
    `${cpus().length} CPUs: ${cpu}; ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
  ].join("\n");
}


async function main(): Promise<void> {
  const settings = parseArgs(process.argv.slice(2));
  const entry = process.argv[1];
  if (entry === undefined) throw new Error("cannot tell the bench entry file to fork the server");
  const wants = (w: string): boolean => settings.only.length === 0 || settings.only.includes(w);
  console.log(`poll-http bench — ${new Date().toISOString()}\n${machine()}`);
  console.log(`settings: ${JSON.stringify(settings)}\n`);
  const server = await startServerProcess(entry);
  const started = performance.now();
  try {
    console.log(`load average before start: ${loadavg().map((l) => l.toFixed(2)).join(" ")}\n`);
    if (wants("W1")) {
      const watch = new MachineWatch(server.pid);
      const { text } = await runW1({ port: server.port, requests: settings.requests, warmup: settings.warmup, runs: settings.runs, clients: settings.clients });
      console.log(text + "\n\n" + watch.report() + "\n");
      if (settings.clients.length === 0 || settings.clients.includes("engine")) {
        console.log(runW1Engine({ port: server.port, requests: settings.requests * 5, runs: settings.runs }) + "\n");
      }
    }
    if (wants("W3")) {
      const watch = new MachineWatch(server.pid);
      const { text } = await runW3({ port: server.port, entry, inProcess: settings.inProcess, mib: settings.mib, runs: settings.runs, clients: settings.clients });
      console.log(text + "\n\n" + watch.report() + "\n");
    }
    if (wants("W6")) {
      const watch = new MachineWatch(server.pid);
      const { text } = await runW6({ port: server.port, entry, inProcess: settings.inProcess, mib: settings.w6Mib, runs: settings.runs });
      console.log(text + "\n\n" + watch.report() + "\n");
    }
  } finally {
    await server.close();
  }
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv.includes("--bench-server")) {
  runServerChild();
} else if (process.argv.includes(CHILD_FLAG)) {
  void childMain((spec) => (spec.kind === "w3" ? measureW3(spec) : measureW6(spec)));
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
