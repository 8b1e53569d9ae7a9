// W7 burst: 1,000 GETs of a 13-byte body started in one frame of a SceneTree run by a TreeRunner
// at a fixed 60 fps, through 1,000 bare HTTPRequest nodes (each opens its connection in that frame)
// and through an HTTPRequestPool with its default frame budget (a time budget of 3 ms per tick, its
// connections' work counted; at most 64 new connections and 256 starts per tick), which spreads the
// burst over frames. The pool rows: room for 1,000 connections
// (the targets' row; at 60 fps a connection carries at most one request per frame, so 6
// connections cannot finish 1,000 requests in a few hundred ms), the same with a 2 ms time budget,
// the same in the counts-only mode (tickBudgetMs 0, the counts of the first release: 16 new
// connections and 48 starts per tick), and every default (6 per origin). Measured: the longest tick (the tree's work in one
// frame, timed from a probe node before the subject to the end of the tree's step, its extra
// passes included), the time from the start of the
// first frame to the end of the frame that completed the last request, and the frames it took. The
// longest tick is also given in CPU time (process.cpuUsage across the tick), which a loaded machine
// does not inflate the way it does wall time; the caller's request() calls are timed apart.
import { Err, HTTPRequest, HTTPRequestPool, Node, Result, SceneTree, TreeRunner } from "../src/index.ts";
import { addSample, type Column, formatTable, median, newRow, type Row, withTimeout } from "./measure.ts";
import type { Target } from "./report.ts";

/** Settings of a W7 run. */
export interface W7Options {
  readonly host: string;
  readonly port: number;
  /** Requests in the burst. Default 1,000. */
  readonly requests: number;
  readonly runs: number;
  /** Frames per second of the runner. Default 60. */
  readonly fps: number;
  /** Where the client and the server ran, for the title (e.g. "client on CPU 0, server on CPU 1"). */
  readonly placement?: string;
}

/** The targets of W7: the pool's longest tick at most a quarter frame, its burst within 1.5× the bare nodes'. */
export const W7_TICK_FRACTION = 0.25;
export const W7_TIME_RATIO = 1.5;

/** A subject of W7: builds its nodes under `parent`, starts the burst, tells when it is done. */
interface Subject {
  readonly name: string;
  /** Adds the nodes; returns the function that starts every request (called inside the first frame) and a close. */
  build(parent: Node, url: string, requests: number, onDone: (ok: boolean) => void): { start(): void; close(): void };
}

/** A node that calls a function each tick; one runs before the subject and one after it. */
class Probe extends Node {
  private readonly fn: () => void;
  constructor(name: string, fn: () => void) {
    super(name);
    this.fn = fn;
  }
  override _process(): void {
    this.fn();
  }
}

const NODES: Subject = {
  name: "bare HTTPRequest nodes (one per request)",
  build(parent, url, requests, onDone) {
    const nodes: HTTPRequest[] = [];
    for (let i = 0; i < requests; i++) {
      const node = new HTTPRequest({ name: `req${i}` });
      node.requestCompleted.connect((result, code) => onDone(result === Result.RESULT_SUCCESS && code === 200));
      parent.addChild(node);
      nodes.push(node);
    }
    return {
      start() {
        for (const node of nodes) if (node.request(url) !== Err.OK) onDone(false);
      },
      close() {
        for (const node of nodes) parent.removeChild(node);
      },
    };
  },
};

function poolSubject(name: string, options: ConstructorParameters<typeof HTTPRequestPool>[0]): Subject {
  return {
    name,
    build(parent, url, requests, onDone) {
      const pool = new HTTPRequestPool(options);
      parent.addChild(pool);
      return {
        start() {
          for (let i = 0; i < requests; i++) {
            const job = pool.request(url);
            if (job.err !== Err.OK) onDone(false);
            else job.requestCompleted.connect((result, code) => onDone(result === Result.RESULT_SUCCESS && code === 200));
          }
        },
        close() {
          parent.removeChild(pool);
        },
      };
    },
  };
}

/** The pool row the targets are read on: the default frame budget, with room for the whole burst in flight. */
const POOL_WIDE = "pool, default budget, room for the whole burst";

const SUBJECTS: readonly Subject[] = [
  NODES,
  // Whichever subject follows the bare nodes in a round pays, in its first frames, for the release
  // of their thousand connections; the row without a target takes that place.
  poolSubject("pool, all defaults (6 per origin)", {}),
  poolSubject(POOL_WIDE, { maxConnectionsPerOrigin: 1000, maxConnections: 1000 }),
  poolSubject("pool, tickBudgetMs 2, same room", { maxConnectionsPerOrigin: 1000, maxConnections: 1000, tickBudgetMs: 2 }),
  poolSubject("pool, counts only (tickBudgetMs 0, 16 new, 48 starts), same room", {
    maxConnectionsPerOrigin: 1000,
    maxConnections: 1000,
    tickBudgetMs: 0,
    maxNewConnectionsPerTick: 16,
    maxStartsPerTick: 48,
  }),
];

const COLUMNS: readonly Column[] = [
  { title: "longest tick ms", key: "longest", digits: 2, higherIsBetter: false, ratio: false },
  { title: "longest tick CPU ms", key: "cpu", digits: 2, higherIsBetter: false, ratio: false },
  { title: "p90 tick ms", key: "p90", digits: 2, higherIsBetter: false, ratio: false },
  { title: "burst ms", key: "ms", digits: 0, higherIsBetter: false, ratio: false },
  { title: "frames", key: "frames", digits: 0, higherIsBetter: false, ratio: false },
  { title: "request() calls ms", key: "calls", digits: 1, higherIsBetter: false, ratio: false },
];

/** One burst through `subject`; resolves with its measurements. */
async function burst(
  subject: Subject,
  options: W7Options,
): Promise<{ longest: number; longestCpu: number; p90: number; ms: number; frames: number; calls: number }> {
  // The tick ends when the whole step does: the extra passes the tree gives after its regular pass
  // (nodes started during the step, a pool's pass after its connections') count.
  const tree = new (class extends SceneTree {
    override process(delta: number): void {
      super.process(delta);
      endOfStep();
    }
  })();
  const url = `http://${options.host}:${options.port}/small`;
  let left = options.requests;
  let failed = false;
  let tickStart = 0;
  let longest = 0;
  let frames = 0;
  let first = 0;
  let end = 0;
  let calls = 0;
  const runner = new TreeRunner(tree, { fps: options.fps });
  // The caller's 1,000 request() calls in the first frame, timed apart from the subject's tick.
  tree.root.addChild(
    new Probe("caller", () => {
      if (frames > 0) return;
      first = performance.now();
      built.start();
      calls = performance.now() - first;
    }),
  );
  let cpuStart = process.cpuUsage();
  let longestCpu = 0;
  const ticks: number[] = [];
  tree.root.addChild(
    new Probe("before", () => {
      tickStart = performance.now();
      cpuStart = process.cpuUsage();
    }),
  );
  const holder = new Node("subject");
  tree.root.addChild(holder);
  const built = subject.build(holder, url, options.requests, (ok) => {
    if (!ok) failed = true;
    left--;
  });
  const endOfStep = (): void => {
    const now = performance.now();
    const cpu = process.cpuUsage(cpuStart);
    frames++;
    ticks.push(now - tickStart);
    longest = Math.max(longest, now - tickStart);
    longestCpu = Math.max(longestCpu, (cpu.user + cpu.system) / 1000);
    if (left <= 0 || failed) {
      end = now;
      runner.stop();
    }
  };
  if (runner.start() !== Err.OK) throw new Error(runner.getLastError());
  await withTimeout(runner.whenStopped(), 60_000, `${subject.name} burst`);
  built.close();
  tree.process(0);
  // The closed connections' handles are released on later event-loop turns (a thousand of them for
  // the bare nodes): let that happen here, not in the next subject's first frames.
  await new Promise<void>((resolve) => setTimeout(resolve, 200));
  if (failed) throw new Error("a request failed");
  ticks.sort((a, b) => a - b);
  return { longest, longestCpu, p90: ticks[Math.floor(ticks.length * 0.9)] ?? NaN, ms: end - first, frames, calls };
}

/**
 * Runs W7: one unmeasured burst per subject (JIT warm-up), then `runs` rounds of one burst per
 * subject, in rotating order.
 *
 * @returns The printed table and its rows.
 */
export async function runW7(options: W7Options): Promise<{ text: string; rows: Row[]; targets: Target[] }> {
  const rows = SUBJECTS.map((s) => newRow(s.name));
  for (const subject of SUBJECTS) await burst(subject, options).catch(() => undefined);
  for (let run = 0; run < options.runs; run++) {
    for (let k = 0; k < SUBJECTS.length; k++) {
      const index = (k + run) % SUBJECTS.length;
      const subject = SUBJECTS[index] as Subject;
      const row = rows[index] as Row;
      try {
        const r = await burst(subject, options);
        addSample(row, "longest", r.longest);
        addSample(row, "cpu", r.longestCpu);
        addSample(row, "p90", r.p90);
        addSample(row, "ms", r.ms);
        addSample(row, "frames", r.frames);
        addSample(row, "calls", r.calls);
      } catch (error) {
        row.note = `FAILED: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
  }
  const frameMs = 1000 / options.fps;
  const title = `W7 burst: ${options.requests.toLocaleString("en-US")} GETs of a 13-byte body started in one frame, TreeRunner fixed ${options.fps} fps (median of ${options.runs}; each subject warmed up first)${options.placement === undefined ? "" : ` — ${options.placement}`}`;
  let text = formatTable(title, COLUMNS, rows);
  const nodes = rows[0] as Row;
  const nodesMs = median(nodes.samples.get("ms") ?? []);
  for (const row of rows.slice(1)) {
    const longest = median(row.samples.get("longest") ?? []);
    const cpu = median(row.samples.get("cpu") ?? []);
    const ms = median(row.samples.get("ms") ?? []);
    text += `\n- ${row.name}: longest tick ${longest.toFixed(2)} ms = ${(longest / frameMs).toFixed(2)} of a frame, in CPU time ${(cpu / frameMs).toFixed(2)} (target ≤ ${W7_TICK_FRACTION}); burst ${(ms / nodesMs).toFixed(2)}× the bare nodes' (target ≤ ${W7_TIME_RATIO}×)`;
  }
  const frame = { peer: "target", ratio: 1, absolute: frameMs * W7_TICK_FRACTION, subject: POOL_WIDE } as const;
  const targets: Target[] = [
    { ...frame, label: `longest tick ≤ ${W7_TICK_FRACTION} frame (${(frameMs * W7_TICK_FRACTION).toFixed(2)} ms)` },
    { ...frame, metric: "cpu", higherIsBetter: false, label: `longest tick in CPU time ≤ ${W7_TICK_FRACTION} frame` },
    {
      peer: NODES.name,
      ratio: 1 / W7_TIME_RATIO,
      metric: "ms",
      higherIsBetter: false,
      subject: POOL_WIDE,
      label: `burst ≤ ${W7_TIME_RATIO}× the bare nodes'`,
    },
  ];
  return { text, rows, targets };
}
