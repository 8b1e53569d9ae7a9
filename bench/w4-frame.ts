// W4, frame cost: a SceneTree of many HTTPRequest nodes that each wait on a response that never
// comes, ticked many times. What one idle node costs per tick, and whether idle ticks leave garbage
// that survives a GC (heap growth).
//
// Two transports:
// - `scripted`: every node's connection is a ScriptedNetwork peer (auto-accepted) to which no byte
//   is ever pushed. No socket, no event loop: the tick's own cost only.
// - `tcp`: every node has a real TCP connection to the bench server's `/hang` route, which reads
//   the request and never answers. Adds the real peer's per-tick checks.
// Each runs in a fresh child with `--expose-gc` (see bench/child.ts), so heap numbers start clean.
import { Err, HTTPRequest, type Result, SceneTree, ScriptedNetwork, Status } from "../src/index.ts";
import { type ChildSample, type ChildSpec, runInChild } from "./child.ts";
import { addSample, type Column, formatTable, fullGc, newRow, type Row, startSpan } from "./measure.ts";

/** Settings of a W4 run. */
export interface W4Options {
  readonly port: number;
  /** The bundled bench file, forked for each measurement. */
  readonly entry: string;
  readonly inProcess: boolean;
  readonly nodes: number;
  readonly ticks: number;
  readonly runs: number;
  /** Transports to measure (`scripted`, `tcp`); all when empty. */
  readonly clients: readonly string[];
}

/** The W4 target: at most this many ns per idle node per tick. */
export const W4_TARGET_NS = 200;

const TICK = 1 / 60;

/** Builds the tree and starts every request; resolves when all of them wait for a response head. */
async function buildTree(
  transport: "scripted" | "tcp",
  nodes: number,
  port: number,
): Promise<{ tree: SceneTree; requests: HTTPRequest[] }> {
  const tree = new SceneTree();
  const network = transport === "scripted" ? new ScriptedNetwork() : undefined;
  if (network !== undefined) network.autoAccept = true;
  const requests: HTTPRequest[] = [];
  const failures: string[] = [];
  for (let i = 0; i < nodes; i++) {
    const request = new HTTPRequest(network === undefined ? { name: `n${i}` } : { network, name: `n${i}` });
    request.timeout = 0;
    request.requestCompleted.connect((result: Result) => failures.push(`node ${i}: result ${result} ${request.getErrorReason()}`));
    tree.root.addChild(request);
    const url = transport === "scripted" ? `http://127.0.0.1:8080/hang/${i}` : `http://127.0.0.1:${port}/hang`;
    if (request.request(url) !== Err.OK) throw new Error(`request(): ${request.getErrorReason()}`);
    requests.push(request);
  }
  // Tick until every request has been written and waits (REQUESTING); real connects need the loop.
  const deadline = performance.now() + 60_000;
  for (;;) {
    tree.process(0);
    if (failures.length > 0) throw new Error(`W4 setup: ${failures[0] ?? ""}`);
    const waiting = requests.filter((r) => r.getHttpClientStatus() === Status.STATUS_REQUESTING).length;
    if (waiting === nodes) break;
    if (performance.now() > deadline) throw new Error(`W4 setup: only ${waiting} of ${nodes} requests waiting after 60 s`);
    await new Promise<void>((resolve) => setTimeout(resolve, transport === "tcp" ? 5 : 0));
  }
  return { tree, requests };
}

/**
 * Measures one W4 tree in this process: builds it, runs warm-up ticks, then a full GC, the heap
 * size, the measured ticks (timed), another full GC and the heap size again.
 *
 * @returns The sample: `seconds`/`cpuSeconds` of the measured ticks; `extra.ns` per node per tick,
 * `extra.heapGrowth` in bytes (after GC, after minus before), `extra.heapPerNode` in bytes.
 */
export async function measureW4(spec: Extract<ChildSpec, { kind: "w4" }>): Promise<ChildSample> {
  fullGc();
  const heap0 = process.memoryUsage().heapUsed;
  const { tree, requests } = await buildTree(spec.transport, spec.nodes, spec.port);
  const warm = Math.min(100, spec.ticks);
  for (let i = 0; i < warm; i++) tree.process(TICK);
  fullGc();
  fullGc(); // a second pass frees what the first one's finalizers left
  const heapBefore = process.memoryUsage().heapUsed;
  const end = startSpan();
  for (let i = 0; i < spec.ticks; i++) tree.process(TICK);
  const span = end();
  fullGc();
  fullGc();
  const heapAfter = process.memoryUsage().heapUsed;
  const stillWaiting = requests.filter((r) => r.getHttpClientStatus() === Status.STATUS_REQUESTING).length;
  for (const r of requests) r.cancelRequest();
  if (stillWaiting !== spec.nodes) throw new Error(`W4: ${spec.nodes - stillWaiting} requests stopped waiting during the ticks`);
  return {
    seconds: span.seconds,
    cpuSeconds: span.cpuSeconds,
    rssGrowth: NaN,
    steps: spec.ticks,
    bytes: 0,
    extra: {
      ns: (span.seconds * 1e9) / (spec.nodes * spec.ticks),
      heapGrowth: heapAfter - heapBefore,
      heapPerNode: (heapBefore - heap0) / spec.nodes,
    },
  };
}

const COLUMNS: readonly Column[] = [
  { title: "ns / node / tick", key: "ns", digits: 0, higherIsBetter: false, ratio: false },
  { title: "ms / tick", key: "ms", digits: 2, higherIsBetter: false, ratio: false },
  { title: "heap growth KiB (after GC)", key: "heap", digits: 1, higherIsBetter: false, ratio: false },
  { title: "heap KiB / node", key: "perNode", digits: 2, higherIsBetter: false, ratio: false },
];

const TRANSPORTS = [
  { id: "scripted", name: "HTTPRequest over ScriptedNetwork (no bytes)" },
  { id: "tcp", name: "HTTPRequest over TCP to a silent server" },
] as const;

/**
 * Runs W4: each transport `runs` times, each in a fresh child with `--expose-gc`.
 *
 * @returns The printed table and its rows.
 */
export async function runW4(options: W4Options): Promise<{ text: string; rows: Row[] }> {
  const selected = TRANSPORTS.filter((t) => options.clients.length === 0 || options.clients.includes(t.id));
  const rows = selected.map((t) => newRow(t.name));
  for (let run = 0; run < options.runs; run++) {
    for (let i = 0; i < selected.length; i++) {
      const t = selected[i];
      const row = rows[i];
      if (t === undefined || row === undefined) continue;
      const spec = { kind: "w4", transport: t.id, port: options.port, nodes: options.nodes, ticks: options.ticks } as const;
      try {
        const sample = options.inProcess ? await measureW4(spec) : await runInChild(options.entry, spec, ["--expose-gc"]);
        const extra = sample.extra ?? {};
        addSample(row, "ns", extra["ns"] ?? NaN);
        addSample(row, "ms", (sample.seconds * 1000) / options.ticks);
        addSample(row, "heap", (extra["heapGrowth"] ?? NaN) / 1024);
        addSample(row, "perNode", (extra["heapPerNode"] ?? NaN) / 1024);
      } catch (error) {
        row.note = `FAILED: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
  }
  const title = `W4 frame cost: ${options.nodes.toLocaleString("en-US")} HTTPRequest nodes waiting on a response, ${options.ticks.toLocaleString("en-US")} ticks, ${options.inProcess ? "in the bench process" : "each in a fresh process with --expose-gc"} (median of ${options.runs}; target ≤ ${W4_TARGET_NS} ns, no heap growth)`;
  return { text: formatTable(title, COLUMNS, rows), rows };
}
