// poll-http benchmark suite. Runs the peers side by side in one process against one server child
// process (and nginx where installed) and prints a table per workload with poll-http's ratio to
// each peer; writes the run as JSON for bench/chart.ts.
//
//   npm run bench                      all workloads (W1 to W7), 3 runs each (W7: 5), medians
//   npm run bench -- --only W1         one workload (comma-separate several: --only W1,W3; WT: W1 and W3
//                                      through ThreadedNetwork against NodeNetwork, and from a blocking loop;
//                                      WC: a repeat GET from the memory cache against a kept-alive connection)
//   npm run bench -- --only WF         the fetch() facade against undici's and the runtime's fetch
//   npm run bench -- --quick           a short smoke run (1 run, small sizes, W3 measured in the bench
//                                      process; asserts nothing about speed)
//   npm run bench:ab -- --ref DIR      W1-W4 of this tree and of the source tree DIR (e.g. a worktree of
//                                      an older commit) in one run, alternating, each quantity of both
//                                      with the change; see bench/ab.ts
//   nginx (where installed) serves W1, W2a and W3 into a counter as a second server.
//   W1 and W2 run pinned with taskset (util-linux) where it exists: client and server on the same
//   CPU, then on different CPUs (nginx tables unpinned); see bench/pin.ts.
//   options: --runs N  --requests N (W1)  --warmup N (W1)  --mib N (W3)  --w6-mib N
//            --w1-pair-runs N  W1 runs of poll-http and undici, the pair of the W1 target (default the
//                           larger of --runs and 9; 1 with --quick); the other W1 clients run --runs times
//            --w2-requests N (per batch, default 1000)  --w2-connections N (50)  --w2-batches N
//            --w2-nodes N (W2b, 1000)  --w4-nodes N (10000)  --w4-ticks N (1000)
//            --w7-requests N (W7 burst, 1000)
//            --clients poll,poll-micro,poll-node,undici,http,fetch,raw,raw-onread,engine,scripted,tcp
//                           rows to run (default all; `engine` is the W1e no-I/O row; `scripted`
//                           and `tcp` are the W4 transports)
//            --no-nginx     skip the nginx tables (they are skipped with a note when nginx is missing)
//            --json FILE    where to write the run's JSON (default .tmp/bench/last.json)
//            --in-process   run W3/W4/W6 measurements in this process instead of a fresh child each
//                           (for `node --cpu-prof`; RSS growth is then not comparable)
//
// POLL_HTTP_BENCH_PIN=external (set by bench/ab.ts): the processes were placed from outside, so
// W1 and W2 neither pin nor unpin (one placement, "placed outside").
//
// The server runs in a child process (see bench/server.ts) so the client's CPU time and RSS are
// measured alone; W3, W4 and W6 measurements each run in a fresh child (see bench/child.ts). This
// file is the entry of all of them: children are forks of it with --bench-server or --bench-child.
import { cpus, loadavg, totalmem } from "node:os";
import { resolve } from "node:path";
import { addSample, type Column, formatTable, MachineWatch, median, newRow, type Row } from "./measure.ts";
import { startBenchNginx } from "./nginx.ts";
import { evaluateTargets, type RunRecord, rowRecords, type TableRecord, type Target, writeRecord } from "./report.ts";
import { runServerChild, SMALL_RESPONSE, startServerProcess } from "./server.ts";
import { runW1, runW1Engine, type W1Options } from "./w1-latency.ts";
import { runW1c } from "./w1c-chained.ts";
import { runW2 } from "./w2-inflight.ts";
import { runW3, measureW3, type W3Options } from "./w3-bulk.ts";
import { measureW3File, runW3File } from "./w3-file.ts";
import { measureW4, runW4, W4_TARGET_NS } from "./w4-frame.ts";
import { LLHTTP } from "./w5-parser.ts";
import { runW6, measureW6, W6_FREE_RATIO, W6_FREE_ROW, W6_TARGET_MBS, W6_TARGET_MIBS, W6_UNDICI_RATIO } from "./w6-scene.ts";
import { applyPlacement, type Placement, placements, unpinAll } from "./pin.ts";
import { runW7 } from "./w7-burst.ts";
import { CHILD_FLAG, childMain } from "./child.ts";
import { measureWT3, runWT, NAMES as WT_NAMES } from "./threaded.ts";
import { undiciInstalled } from "./undici-peer.ts";
import { runWF, WF_RUNTIME, WF_SUBJECT, WF_UNDICI } from "./wf-fetch.ts";
import { runWC, WC_CACHE_ROW, WC_NETWORK_ROW } from "./wc-cache.ts";

interface Settings {
  readonly only: readonly string[];
  readonly quick: boolean;
  readonly runs: number;
  readonly w1PairRuns: number;
  readonly requests: number;
  readonly warmup: number;
  readonly mib: number;
  readonly w6Mib: number;
  readonly w2Requests: number;
  readonly w2Connections: number;
  readonly w2Batches: number;
  readonly w2Nodes: number;
  readonly w4Nodes: number;
  readonly w4Ticks: number;
  readonly w7Requests: number;
  readonly clients: readonly string[];
  readonly inProcess: boolean;
  readonly nginx: boolean;
  readonly json: string;
}

const WORKLOADS = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "WT", "WF", "WC"] as const;

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
  const list = (name: string): string[] =>
    (value(name) ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  const quick = argv.includes("--quick");
  const only = list("--only").map((s) => s.toUpperCase());
  for (const w of only) {
    if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`unknown workload ${w}; known: ${WORKLOADS.join(", ")}`);
  }
  const runs = Math.max(1, num("--runs", quick ? 1 : 3));
  return {
    only,
    quick,
    runs,
    w1PairRuns: Math.max(1, num("--w1-pair-runs", quick ? 1 : Math.max(runs, 9))),
    requests: Math.max(1, num("--requests", quick ? 2_000 : 20_000)),
    warmup: num("--warmup", quick ? 200 : 2_000),
    mib: Math.max(1, num("--mib", quick ? 16 : 256)),
    w6Mib: Math.max(1, num("--w6-mib", quick ? 8 : 64)),
    w2Requests: Math.max(1, num("--w2-requests", 1_000)),
    w2Connections: Math.max(1, num("--w2-connections", 50)),
    w2Batches: Math.max(1, num("--w2-batches", quick ? 1 : 20)),
    w2Nodes: Math.max(1, num("--w2-nodes", quick ? 100 : 1_000)),
    w4Nodes: Math.max(1, num("--w4-nodes", quick ? 1_000 : 10_000)),
    w4Ticks: Math.max(1, num("--w4-ticks", quick ? 100 : 1_000)),
    w7Requests: Math.max(1, num("--w7-requests", quick ? 200 : 1_000)),
    clients: list("--clients"),
    inProcess: argv.includes("--in-process"),
    nginx: !argv.includes("--no-nginx"),
    json: resolve(value("--json") ?? ".tmp/bench/last.json"),
  };
}

function machine(): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  return [
    `node ${process.version} (bundled undici for fetch ${process.versions.undici ?? "?"}), ${process.platform}/${process.arch}`,
    `${cpus().length} CPUs: ${cpu}; ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
  ].join("\n");
}

const UNDICI = (ratio: number): Target => ({ peer: "undici", ratio, label: `≥ ${ratio}× undici` });
const RAW = (ratio: number): Target => ({ peer: "raw socket", ratio, label: `≥ ${ratio}× raw socket` });
const LLHTTP_PEER = (ratio: number): Target => ({ peer: LLHTTP, ratio, label: `≥ ${ratio}× llhttp` });
/** W1's second target: less CPU per request than undici (their CPU ÷ ours ≥ 1). */
const UNDICI_CPU: Target = { peer: "undici", ratio: 1, metric: "cpu", higherIsBetter: false, label: "fewer CPU s / request than undici" };
/** W2b's pool target: requests per second through an HTTPRequestPool at least 0.9× those of the bare HTTPRequest nodes in the same run. */
const POOL_VS_NODES: Target = { peer: "poll-http", ratio: 0.9, subject: "poll-http pool", label: "pool ≥ 0.9× bare HTTPRequest nodes" };
/** W3's memory target, into a counter or a file: poll-http's peak RSS growth at most 16 MiB. */
const RSS_16_MIB: Target = {
  peer: "target",
  ratio: 1,
  metric: "rss",
  higherIsBetter: false,
  absolute: 16,
  subject: "poll-http",
  label: "peak RSS growth ≤ 16 MiB",
};

/** W1's clients (ids and row names of bench/w1-latency.ts), in table order. */
const W1_CLIENTS: ReadonlyArray<{ readonly id: string; readonly name: string }> = [
  { id: "poll", name: "poll-http" },
  { id: "poll-micro", name: "poll-http (microtask wake)" },
  { id: "undici", name: "undici" },
  { id: "http", name: "node:http" },
  { id: "fetch", name: "fetch" },
  { id: "raw", name: "raw socket" },
];
/** The columns of bench/w1-latency.ts's table. */
const W1_COLUMNS: readonly Column[] = [
  { title: "req/s", key: "rps", digits: 0, higherIsBetter: true, ratio: true },
  { title: "CPU s / 10k req", key: "cpu", digits: 3, higherIsBetter: false, ratio: true },
  { title: "µs / req", key: "us", digits: 1, higherIsBetter: false, ratio: false },
  { title: "wakes / req", key: "wakes", digits: 2, higherIsBetter: false, ratio: false },
];

/**
 * W1 measured one client at a time: `runW1` with a single client and one run per call, so the
 * order is chosen here. First an unmeasured warm-up pass of every client (this process's JIT and
 * the server's see every client's traffic before anything is timed), then `runs` rounds of one run
 * per client, then more rounds of poll-http and undici alone up to `pairRuns`: on this noisy 2-core
 * machine one run of either varies by ±20 %, so the pair the W1 target compares gets the most
 * samples. poll-http and undici run next to each other in every round (which goes first
 * alternates), so both see the same machine load; the order of a full round rotates against
 * position effects. Each run is what `runW1` measures: a fresh connection, its own warm-up
 * requests, then the timed requests. Medians of the runs are reported.
 */
async function runW1Interleaved(options: W1Options & { readonly pairRuns: number }): Promise<{ text: string; rows: Row[] }> {
  const wanted = W1_CLIENTS.filter(
    (c) => options.clients.length === 0 || options.clients.includes(c.id) || options.clients.includes(c.name),
  );
  const pair = wanted.filter((c) => c.id === "poll" || c.id === "undici");
  const units = [pair, ...wanted.filter((c) => !pair.includes(c)).map((c) => [c])].filter((u) => u.length > 0);
  const rows = new Map<string, Row>();
  let title = "";
  for (const c of wanted) {
    await runW1({ ...options, clients: [c.id], runs: 1, requests: Math.min(options.requests, 1_000) }); // warm-up pass, not recorded
  }
  const rounds = Math.max(options.runs, options.pairRuns);
  for (let run = 0; run < rounds; run++) {
    const round = run < options.runs ? units : [pair];
    const order = round
      .map((_, k) => round[(k + run) % round.length] ?? [])
      .flatMap((u) => (u === pair && run % 2 === 1 ? [...u].reverse() : u));
    for (const c of order) {
      const r = await runW1({ ...options, clients: [c.id], runs: 1 });
      if (title === "") title = r.text.split("\n")[0] ?? "";
      for (const got of r.rows) {
        let row = rows.get(got.name);
        if (row === undefined) rows.set(got.name, (row = newRow(got.name)));
        for (const [key, values] of got.samples) for (const v of values) addSample(row, key, v);
        if (got.note !== "") row.note = got.note;
      }
    }
  }
  const ordered = [...rows.values()].sort(
    (a, b) => W1_CLIENTS.findIndex((c) => c.name === a.name) - W1_CLIENTS.findIndex((c) => c.name === b.name),
  );
  const pairNote = pair.length > 0 && rounds > options.runs ? `, ${pair.map((c) => c.name).join(" and ")} ${rounds}` : "";
  const how = `median of ${options.runs}${pairNote}; each client warmed up first, then one client at a time in rotating rounds, poll-http next to undici`;
  title = title.replace(/^### /, "").replace(/\(median of \d+\)$/, `(${how})`);
  let text = formatTable(title, W1_COLUMNS, ordered);
  const mine = rows.get("poll-http")?.samples.get("rps");
  const theirs = rows.get("undici")?.samples.get("rps");
  if (mine !== undefined && theirs !== undefined && mine.length === theirs.length && mine.length > 1) {
    const perRun = mine.map((v, k) => v / (theirs[k] ?? NaN));
    text += `\n- req/s run by run (each poll-http run against the undici run next to it): poll-http / undici = ${perRun.map((r) => r.toFixed(2)).join(" / ")}, median ${median(perRun).toFixed(2)}x`;
  }
  return { text, rows: ordered };
}

async function main(): Promise<void> {
  const settings = parseArgs(process.argv.slice(2));
  const entry = process.argv[1];
  if (entry === undefined) throw new Error("cannot tell the bench entry file to fork the server");
  const wants = (w: string): boolean => settings.only.length === 0 || settings.only.includes(w);
  const header = `poll-http bench — ${new Date().toISOString()}\n${machine()}`;
  console.log(`${header}\nsettings: ${JSON.stringify(settings)}\n`);
  const record: RunRecord = { date: new Date().toISOString(), machine: machine(), settings, notes: [], seconds: NaN, tables: [] };
  const add = (table: Omit<TableRecord, "rows" | "subject" | "results"> & { rows: readonly Row[]; subject?: string }): void => {
    const entry = {
      ...table,
      title: table.title.replace(/^### /, ""),
      subject: table.subject ?? "poll-http",
      rows: rowRecords(table.rows),
    };
    record.tables.push({ ...entry, results: evaluateTargets(entry) });
  };
  const note = (text: string): void => {
    record.notes.push(text);
    console.log(`note: ${text}\n`);
  };
  if (!undiciInstalled()) note("undici is not installed (npm install): its rows are left out");
  const server = await startServerProcess(entry);
  const started = performance.now();
  const bench = { port: server.port, pid: server.pid, label: "bench server", smallBytes: SMALL_RESPONSE.length, nginx: false };
  const targets: Array<typeof bench> = [bench];
  const nginx = settings.nginx && (wants("W1") || wants("W2") || wants("W3")) ? await startBenchNginx() : null;
  if (typeof nginx === "string") {
    note(nginx);
  } else if (nginx !== null) {
    nginx.addBodies([settings.mib * 1024 * 1024, Math.min(16, settings.mib) * 1024 * 1024]);
    targets.push({ port: nginx.port, pid: nginx.pid, label: nginx.version, smallBytes: nginx.smallResponseBytes, nginx: true });
  }
  /** Runs a workload and prints its text with the machine check (`pid`: the server of that table, nginx or the bench server). */
  const watched = async (run: () => Promise<string>, pid = server.pid): Promise<void> => {
    const watch = new MachineWatch(pid);
    const text = await run();
    console.log(text + "\n\n" + watch.report() + "\n");
  };
  try {
    console.log(
      `load average before start: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}\n`,
    );
    const pinning = placements();
    if (pinning.note !== null && (wants("W1") || wants("W2") || wants("WF"))) note(pinning.note);
    /** The placements a table runs under: both for the bench server, none (unpinned) for nginx. */
    const placementsOf = (t: { readonly nginx: boolean }): readonly Placement[] =>
      t.nginx ? [{ label: "unpinned", client: null, server: null }] : pinning.list;
    /** A table's title and workload id with its placement. */
    const placed = (title: string, p: Placement): string =>
      p.client === null ? `${title} — ${p.label}` : `${title} — pinned, ${p.label}: client on CPU ${p.client}, server on CPU ${p.server}`;
    const idOf = (workload: string, p: Placement): string => `${workload} (${p.label})`;
    const pinnedRun = async (p: Placement, run: () => Promise<string>, pid: number): Promise<void> => {
      applyPlacement(p, server.pid);
      try {
        await watched(run, pid);
      } finally {
        unpinAll(server.pid);
      }
    };
    if (wants("W1")) {
      for (const t of targets) {
        for (const p of placementsOf(t)) {
          await pinnedRun(
            p,
            async () => {
              const r = await runW1Interleaved({
                port: t.port,
                requests: settings.requests,
                warmup: settings.warmup,
                runs: settings.runs,
                pairRuns: settings.w1PairRuns,
                clients: settings.clients,
                responseBytes: t.smallBytes,
                server: t.label,
                budgetSeconds: 1,
              });
              const [first = "", ...rest] = r.text.split("\n");
              const title = placed(first, p);
              add({
                workload: idOf("W1", p),
                title,
                metric: "rps",
                higherIsBetter: true,
                targets: [UNDICI(1.6), UNDICI_CPU],
                rows: r.rows,
              });
              return [title, ...rest].join("\n");
            },
            t.pid,
          );
        }
      }
      for (const p of pinning.list) {
        await pinnedRun(
          p,
          async () => {
            const r = await runW1c({ port: server.port, requests: settings.quick ? 30 : 120, runs: settings.runs, fps: 60 });
            const [first = "", ...rest] = r.text.split("\n");
            const title = placed(first, p);
            const target: Target = {
              peer: "target",
              ratio: 1,
              metric: "fpr",
              higherIsBetter: false,
              absolute: 1.05,
              subject: "poll-http",
              label: "≤ 1.05 frames per request",
            };
            add({
              workload: idOf("W1c", p),
              title,
              metric: "fpr",
              higherIsBetter: false,
              targets: [target, { ...UNDICI(1), metric: "fpr", higherIsBetter: false, label: "no more frames per request than undici" }],
              rows: r.rows,
            });
            return [title, ...rest].join("\n");
          },
          server.pid,
        );
      }
      if (settings.clients.length === 0 || settings.clients.includes("engine")) {
        console.log(runW1Engine({ port: server.port, requests: settings.requests * 5, runs: settings.runs }) + "\n");
      }
    }
    if (wants("W2")) {
      for (const t of targets) {
        for (const p of placementsOf(t)) {
          await pinnedRun(
            p,
            async () => {
              const r = await runW2({
                host: "127.0.0.1",
                port: t.port,
                requests: settings.w2Requests,
                connections: settings.w2Connections,
                batches: settings.w2Batches,
                budgetSeconds: settings.quick ? 0.3 : 1,
                runs: settings.runs,
                clients: settings.clients,
                responseBytes: t.smallBytes,
                server: t.label,
                subject: "clients",
              });
              const [first = "", ...rest] = r.text.split("\n");
              const title = placed(first, p);
              add({ workload: idOf("W2a", p), title, metric: "rps", higherIsBetter: true, targets: [UNDICI(2.0)], rows: r.rows });
              return [title, ...rest].join("\n");
            },
            t.pid,
          );
        }
      }
      for (const p of pinning.list) {
        await pinnedRun(
          p,
          async () => {
            const n = settings.w2Nodes;
            // W2b: the tree against undici and the raw floor (node:http and fetch on request with --clients), to keep the suite short.
            const clients = settings.clients.length === 0 ? ["poll", "pool", "undici", "raw"] : settings.clients;
            const r = await runW2({
              host: "127.0.0.1",
              port: server.port,
              requests: n,
              connections: n,
              batches: settings.quick ? 1 : 20,
              budgetSeconds: settings.quick ? 0.3 : 1,
              runs: settings.quick ? settings.runs : Math.max(settings.runs, 5),
              clients,
              responseBytes: SMALL_RESPONSE.length,
              server: bench.label,
              subject: "tree",
            });
            const [first = "", ...rest] = r.text.split("\n");
            const title = placed(first, p);
            add({
              workload: idOf("W2b", p),
              title,
              metric: "rps",
              higherIsBetter: true,
              targets: [UNDICI(2.0), POOL_VS_NODES],
              rows: r.rows,
            });
            return [title, ...rest].join("\n");
          },
          server.pid,
        );
      }
    }
    const w3Settings = (port: number, clients: readonly string[], nginx: boolean): W3Options => ({
      port,
      entry,
      inProcess: settings.inProcess || settings.quick,
      mib: settings.mib,
      runs: settings.runs,
      clients,
      nginx,
    });
    if (wants("W3")) {
      for (const t of targets) {
        // nginx: the poll-http, undici, node:http and raw-socket rows only, to keep the suite short.
        const clients = t.nginx && settings.clients.length === 0 ? ["poll", "undici", "http", "raw"] : settings.clients;
        const w3 = w3Settings(t.port, clients, t.nginx);
        await watched(async () => {
          const r = await runW3(w3);
          for (const table of r.tables)
            add({
              workload: "W3",
              title: table.title,
              metric: "mbps",
              higherIsBetter: true,
              targets: [UNDICI(1.8), RAW(0.9), RSS_16_MIB],
              rows: table.rows,
            });
          return r.text;
        }, t.pid);
        if (t.nginx) continue; // nginx: into a counter only (the file tables use the bench server)
        await watched(async () => {
          const r = await runW3File(w3);
          for (const table of r.tables)
            add({
              workload: "W3file",
              title: table.title,
              metric: "mbps",
              higherIsBetter: true,
              targets: [UNDICI(1.8), RAW(0.9), RSS_16_MIB],
              rows: table.rows,
            });
          return r.text;
        });
      }
    }
    if (wants("W4")) {
      await watched(async () => {
        const r = await runW4({
          port: server.port,
          entry,
          inProcess: settings.inProcess,
          nodes: settings.w4Nodes,
          ticks: settings.w4Ticks,
          runs: settings.runs,
          clients: settings.clients.filter((c) => c === "scripted" || c === "tcp"),
        });
        add({
          workload: "W4",
          title: r.text.split("\n")[0] ?? "",
          metric: "ns",
          higherIsBetter: false,
          absolute: W4_TARGET_NS,
          targets: [{ peer: "target", ratio: 1, label: `≤ ${W4_TARGET_NS} ns / node / tick` }],
          rows: r.rows,
        });
        return r.text;
      });
    }
    if (wants("W5")) {
      await watched(async () => {
        const r = (await import("./w5-parser.ts")).runW5({ quick: settings.quick, runs: settings.runs });
        for (const table of r.tables) {
          add({
            workload: table.workload,
            title: table.title,
            metric: "mbs",
            higherIsBetter: true,
            targets: [LLHTTP_PEER(table.workload === "W5a" ? 0.8 : 1.0)],
            rows: table.rows,
          });
        }
        return r.text;
      });
    }
    if (wants("W6")) {
      await watched(async () => {
        const clients = settings.clients.filter((c) => c === "poll" || c === "undici" || c === "http");
        const r = await runW6({
          port: server.port,
          entry,
          inProcess: settings.inProcess,
          mib: settings.w6Mib,
          runs: settings.runs,
          clients,
        });
        for (const table of r.tables) {
          if (table.workload === "W6") {
            const targets: Target[] = [
              UNDICI(W6_UNDICI_RATIO),
              { peer: W6_FREE_ROW, ratio: W6_FREE_RATIO, label: `≥ ${W6_FREE_RATIO}× poll-http free-running` },
              {
                peer: "target",
                ratio: 1,
                absolute: W6_TARGET_MIBS,
                subject: "poll-http",
                label: `≥ ${W6_TARGET_MBS} MB/s, default settings`,
              },
            ];
            add({ workload: "W6 (60 fps)", title: table.title, metric: "mbps", higherIsBetter: true, targets, rows: table.rows });
          } else {
            add({ workload: "W6 (free-running)", title: table.title, metric: "mbps", higherIsBetter: true, targets: [], rows: table.rows });
          }
        }
        return r.text;
      });
    }
    if (wants("WT")) {
      await watched(async () => {
        const r = await runWT({
          port: server.port,
          entry,
          inProcess: settings.inProcess || settings.quick,
          requests: settings.requests,
          warmup: settings.warmup,
          mib: settings.mib,
          runs: settings.runs,
        });
        const threaded = WT_NAMES.threaded;
        const vsNode = (ratio: number): Target => ({ peer: WT_NAMES.node, ratio, label: `≥ ${ratio}× NodeNetwork` });
        const [w1, w3] = r.tables;
        if (w1 !== undefined)
          add({
            workload: "WT1",
            title: w1.title,
            metric: "rps",
            higherIsBetter: true,
            subject: threaded,
            targets: [vsNode(0.7)],
            rows: w1.rows,
          });
        if (w3 !== undefined) {
          const rss: Target = {
            peer: "target",
            ratio: 1,
            metric: "rss",
            higherIsBetter: false,
            absolute: 24,
            subject: threaded,
            label: "peak RSS growth ≤ 24 MiB",
          };
          add({
            workload: "WT3",
            title: w3.title,
            metric: "mbps",
            higherIsBetter: true,
            subject: threaded,
            targets: [vsNode(0.8), rss],
            rows: w3.rows,
          });
        }
        return r.text;
      });
    }
    if (wants("WF")) {
      // The W1 and W2 shapes through the facades, under both placements as W1 and W2: a sequential
      // request's rate depends on where the server runs.
      for (const p of pinning.list) {
        await pinnedRun(
          p,
          async () => {
            const r = await runWF({
              port: server.port,
              requests: settings.quick ? 2_000 : 20_000,
              inflight: settings.w2Connections,
              runs: settings.runs,
              budgetSeconds: settings.quick ? 0.3 : 1,
            });
            const texts: string[] = [];
            for (const table of r.tables) {
              const targets: Target[] = [
                { peer: WF_RUNTIME, ratio: 2, label: "≥ 2× the runtime's fetch" },
                { peer: WF_UNDICI, ratio: 1, label: "≥ 1× undici's fetch" },
              ];
              const [first = "", ...rest] = table.text.split("\n");
              const title = placed(first, p);
              add({
                workload: idOf(table.workload, p),
                title: placed(table.title, p),
                metric: "rps",
                higherIsBetter: true,
                subject: WF_SUBJECT,
                targets,
                rows: table.rows,
              });
              texts.push([title, ...rest].join("\n"));
            }
            return texts.join("\n\n");
          },
          server.pid,
        );
      }
    }
    if (wants("W7")) {
      // The burst's server stands in for a remote one: on its own CPU where placement is possible,
      // so the client's ticks measure the client's work, not the server's share of its CPU.
      const apart = pinning.list.find((p) => p.client !== null && p.server !== null && p.client !== p.server);
      const w7Placement: Placement = apart ?? { label: "unpinned", client: null, server: null };
      await pinnedRun(
        w7Placement,
        async () => {
          const r = await runW7({
            host: "127.0.0.1",
            port: server.port,
            requests: settings.w7Requests,
            runs: settings.quick ? 1 : Math.max(settings.runs, 5),
            fps: 60,
            placement:
              w7Placement.client === null ? "unpinned" : `client on CPU ${w7Placement.client}, server on CPU ${w7Placement.server}`,
          });
          add({
            workload: "W7",
            title: r.text.split("\n")[0] ?? "",
            metric: "longest",
            higherIsBetter: false,
            targets: r.targets,
            rows: r.rows,
          });
          return r.text;
        },
        server.pid,
      );
    }
    if (wants("WC")) {
      await watched(async () => {
        const r = await runWC({
          port: server.port,
          requests: settings.quick ? 2_000 : 20_000,
          warmup: settings.quick ? 200 : 2_000,
          runs: settings.runs,
        });
        const target: Target = { peer: WC_NETWORK_ROW, ratio: 1, label: `${WC_CACHE_ROW} ≥ 1× ${WC_NETWORK_ROW}` };
        add({
          workload: "WC",
          title: r.text.split("\n")[0] ?? "",
          metric: "rps",
          higherIsBetter: true,
          subject: WC_CACHE_ROW,
          targets: [target],
          rows: r.rows,
        });
        return r.text;
      });
    }
  } finally {
    if (typeof nginx === "object" && nginx !== null) await nginx.stop();
    await server.close();
  }
  record.seconds = (performance.now() - started) / 1000;
  writeRecord(settings.json, record);
  console.log(`results: ${settings.json} (chart: node scripts/run-ts.mjs bench/chart.ts ${settings.json})`);
  console.log(`total ${record.seconds.toFixed(1)} s`);
  const failed = record.tables.flatMap((t) =>
    t.rows.filter((r) => r.note.startsWith("FAILED")).map((r) => `${t.workload} ${r.name}: ${r.note}`),
  );
  if (failed.length > 0) {
    console.error(`${failed.length} measurement(s) failed:\n${failed.join("\n")}`);
    process.exitCode = 1; // the suite must keep working; speed is never asserted
  }
}

if (process.argv.includes("--bench-server")) {
  runServerChild();
} else if (process.argv.includes(CHILD_FLAG)) {
  void childMain((spec) => {
    switch (spec.kind) {
      case "w3":
        return measureW3(spec);
      case "w3file":
        return measureW3File(spec);
      case "w4":
        return measureW4(spec);
      case "w6":
        return measureW6(spec);
      case "wt3":
        return measureWT3(spec);
    }
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
