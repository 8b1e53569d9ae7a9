// W6: a 64 MiB download kept in memory, the way a game uses a client: poll-http's HTTPRequest node
// in a SceneTree, undici (`body.arrayBuffer()`) and node:http (chunks + `Buffer.concat`), each at a
// fixed 60 frames/s and free-running, each in a fresh process.
//
// At 60 fps every client runs under the same TreeRunner timeline: poll-http's node is ticked by it;
// the peers' promises run on the event loop between frames and a node of the tree notices the body
// at the first frame after it is complete, as a game's frame would. Free-running: poll-http under
// TreeRunner as-fast-as-possible (ticks when a socket has news), the peers awaited directly.
//
// Targets (default settings): poll-http at 60 fps ≥ 2× undici at 60 fps; ≥ 0.8× poll-http
// free-running of the same run; ≥ 60 MB/s. The per-connection peak memory of poll-http is the
// most unread bytes its connection held (HTTPRequest.getPeakBufferedBytes()).
import { get as httpGet, Agent } from "node:http";
import { Err, HTTPRequest, Node, Result, type RunMode, SceneTree, TreeRunner } from "../src/index.ts";
import { addSample, type Column, formatTable, newRow, type Row, rowMedian, RssSampler, startSpan, withTimeout } from "./measure.ts";
import { type ChildSample, type ChildSpec, runInChild } from "./child.ts";
import { bulkPath } from "./server.ts";
import { loadUndici, undiciInstalled } from "./undici-peer.ts";

/** Settings of a W6 run. */
export interface W6Options {
  readonly port: number;
  /** The bundled bench file, forked for each measurement. */
  readonly entry: string;
  /** Measure in the bench process instead of a fresh child per measurement (for profiling). */
  readonly inProcess: boolean;
  /** Body size in MiB. */
  readonly mib: number;
  readonly runs: number;
  /** Client ids to run (`poll`, `undici`, `http`); empty for all. */
  readonly clients: readonly string[];
}

/** The MB/s poll-http must reach at 60 fps with default settings, and the same in MiB/s (the unit of the table). */
export const W6_TARGET_MBS = 60;
export const W6_TARGET_MIBS = (W6_TARGET_MBS * 1e6) / (1024 * 1024);
/** poll-http at 60 fps against undici at 60 fps. */
export const W6_UNDICI_RATIO = 2;
/** poll-http at 60 fps against poll-http free-running, in the same run. */
export const W6_FREE_RATIO = 0.8;
/** The W6 client ids and row names. */
export const W6_CLIENTS = [
  { id: "poll", name: "poll-http" },
  { id: "undici", name: "undici" },
  { id: "http", name: "node:http" },
] as const;
/** The row name of poll-http free-running in the 60 fps table, the peer of its 0.8× target. */
export const W6_FREE_ROW = "poll-http free-running";

type W6Client = (typeof W6_CLIENTS)[number]["id"];

interface Outcome {
  /** Frames of the 60 fps timeline until the body was seen complete (NaN free-running for the peers). */
  readonly frames: number;
  readonly bytes: number;
  /** poll-http: the most unread bytes its connection held at once; NaN for the peers. */
  readonly peakBuffered: number;
}

/** undici: one Client, the body taken with `arrayBuffer()`. */
async function undiciBody(port: number, path: string): Promise<number> {
  const { Client } = await loadUndici();
  const client = new Client(`http://127.0.0.1:${port}`);
  try {
    const { statusCode, body } = await client.request({ path, method: "GET" });
    if (statusCode !== 200) throw new Error(`undici: status ${statusCode}`);
    return (await body.arrayBuffer()).byteLength;
  } finally {
    await client.close();
  }
}

/** node:http: the chunks of the response kept, then `Buffer.concat`. */
function httpBody(port: number, path: string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return new Promise<number>((resolve, reject) => {
    const req = httpGet({ host: "127.0.0.1", port, path, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve(res.statusCode === 200 ? Buffer.concat(chunks).length : -1));
      res.on("error", reject);
    });
    req.on("error", reject);
  }).finally(() => agent.destroy());
}

/** A node that stops the runner at the first frame that sees `done()` (how a game's frame notices a promise's result). */
class Watcher extends Node {
  private readonly done: () => boolean;
  private readonly runner: () => TreeRunner;
  constructor(done: () => boolean, runner: () => TreeRunner) {
    super("watcher");
    this.done = done;
    this.runner = runner;
  }
  override _process(): void {
    if (this.done()) this.runner().stop();
  }
}

async function pollDownload(port: number, path: string, mode: RunMode): Promise<Outcome> {
  const tree = new SceneTree();
  const request = new HTTPRequest();
  tree.root.addChild(request);
  const runner = new TreeRunner(tree, { mode, fps: 60 });
  const completed: { value: { result: Result; code: number; bytes: number } | null } = { value: null };
  request.requestCompleted.connect((res, code, _headers, body) => {
    completed.value = { result: res, code, bytes: body.length };
    runner.stop();
  });
  if (request.request(`http://127.0.0.1:${port}${path}`) !== Err.OK) throw new Error(`request(): ${request.getErrorReason()}`);
  if (runner.start() !== Err.OK) throw new Error(`runner.start(): ${runner.getLastError()}`);
  await runner.whenStopped();
  const frames = runner.getFrames();
  const peakBuffered = request.getPeakBufferedBytes();
  request.queueFree();
  tree.process(0);
  const r = completed.value;
  if (r === null || r.result !== Result.RESULT_SUCCESS || r.code !== 200) {
    throw new Error(`HTTPRequest failed: ${JSON.stringify(r)} ${request.getErrorReason()}`);
  }
  return { frames, bytes: r.bytes, peakBuffered };
}

async function peerDownload(client: Exclude<W6Client, "poll">, port: number, path: string, mode: RunMode): Promise<Outcome> {
  const get = client === "undici" ? undiciBody : httpBody;
  if (mode === "as-fast-as-possible") return { frames: NaN, bytes: await get(port, path), peakBuffered: NaN };
  const tree = new SceneTree();
  const result: { bytes: number | null; error: unknown } = { bytes: null, error: null };
  const runner = new TreeRunner(tree, { mode: "fixed", fps: 60 });
  tree.root.addChild(
    new Watcher(
      () => result.bytes !== null || result.error !== null,
      () => runner,
    ),
  );
  get(port, path).then(
    (n) => (result.bytes = n),
    (error: unknown) => (result.error = error ?? new Error("failed")),
  );
  if (runner.start() !== Err.OK) throw new Error(`runner.start(): ${runner.getLastError()}`);
  await runner.whenStopped();
  if (result.error !== null) throw result.error;
  return { frames: runner.getFrames(), bytes: result.bytes ?? -1, peakBuffered: NaN };
}

function download(client: W6Client, port: number, path: string, mode: RunMode): Promise<Outcome> {
  return client === "poll" ? pollDownload(port, path, mode) : peerDownload(client, port, path, mode);
}

const COLUMNS: readonly Column[] = [
  { title: "seconds", key: "s", digits: 3, higherIsBetter: false, ratio: false },
  { title: "frames", key: "ticks", digits: 0, higherIsBetter: false, ratio: false },
  { title: "MiB/s", key: "mbps", digits: 0, higherIsBetter: true, ratio: true },
  { title: "CPU s", key: "cpu", digits: 3, higherIsBetter: false, ratio: false },
  { title: "peak RSS growth MiB", key: "rss", digits: 1, higherIsBetter: false, ratio: false },
  { title: "peak unread MiB / connection", key: "buffered", digits: 1, higherIsBetter: false, ratio: false },
];

/**
 * Measures one W6 download in this process (a measuring child, or the main process with
 * `--in-process`), after a 1 MiB warm-up download by the same client.
 *
 * @param spec - Client, runner mode and body size.
 * @returns The sample; `steps` holds the frames.
 */
export async function measureW6(spec: Extract<ChildSpec, { kind: "w6" }>): Promise<ChildSample> {
  const path = bulkPath(spec.mib * 1024 * 1024, false);
  const rss = new RssSampler(5);
  try {
    await download(spec.client, spec.port, bulkPath(1024 * 1024, false), spec.mode); // warm-up: 1 MiB
    const end = startSpan();
    const outcome = await withTimeout(download(spec.client, spec.port, path, spec.mode), 120_000, `W6 ${spec.client} ${spec.mode}`);
    const span = end();
    return {
      seconds: span.seconds,
      cpuSeconds: span.cpuSeconds,
      rssGrowth: rss.stop(),
      steps: outcome.frames,
      bytes: outcome.bytes,
      extra: { peakBuffered: outcome.peakBuffered },
    };
  } finally {
    rss.stop();
  }
}

/**
 * Runs W6: each selected client at a fixed 60 fps and free-running, `runs` times, interleaved with
 * the order rotated each run, each measurement in a fresh child process unless `inProcess`.
 *
 * @returns The printed tables and their rows: the 60 fps table (with poll-http free-running as a
 * row, the peer of its 0.8× target) and the free-running table.
 */
export async function runW6(
  options: W6Options,
): Promise<{ text: string; tables: Array<{ workload: "W6" | "W6free"; title: string; rows: Row[] }> }> {
  const { port, mib, runs } = options;
  const bytes = mib * 1024 * 1024;
  const clients = W6_CLIENTS.filter(
    (c) => (options.clients.length === 0 || options.clients.includes(c.id)) && (c.id !== "undici" || undiciInstalled()),
  );
  const variants = clients.flatMap((c) => [
    { client: c.id, mode: "fixed" as const, name: c.name, table: "W6" as const },
    { client: c.id, mode: "as-fast-as-possible" as const, name: c.name, table: "W6free" as const },
  ]);
  const rows = variants.map((v) => newRow(v.name));
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (k + run) % variants.length; // rotate the order each run against position effects
      const variant = variants[i];
      const row = rows[i];
      if (variant === undefined || row === undefined) continue;
      const spec = { kind: "w6", client: variant.client, mode: variant.mode, port, mib } as const;
      try {
        const sample = options.inProcess ? await measureW6(spec) : await runInChild(options.entry, spec);
        if (sample.bytes !== bytes) throw new Error(`got ${sample.bytes} body bytes, expected ${bytes}`);
        addSample(row, "s", sample.seconds);
        addSample(row, "ticks", sample.steps);
        addSample(row, "mbps", mib / sample.seconds);
        addSample(row, "cpu", sample.cpuSeconds);
        addSample(row, "rss", sample.rssGrowth / (1024 * 1024));
        addSample(row, "buffered", (sample.extra?.["peakBuffered"] ?? NaN) / (1024 * 1024));
      } catch (error) {
        row.note = `FAILED: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
  }
  const where = options.inProcess ? "in the bench process" : "each in a fresh process";
  const fixedRows = rows.filter((_, i) => variants[i]?.table === "W6");
  const freeRows = rows.filter((_, i) => variants[i]?.table === "W6free");
  // poll-http free-running again in the 60 fps table, under its own name: the peer of the 0.8× target.
  const free = freeRows.find((r) => r.name === "poll-http");
  const freePeer = newRow(W6_FREE_ROW);
  if (free !== undefined) for (const [key, values] of free.samples) for (const v of values) addSample(freePeer, key, v);
  else freePeer.note = "not measured";
  const fixedTitle = `W6 at a fixed 60 fps: ${mib} MiB download, body kept in memory, default settings, ${where} (median of ${runs}; targets: poll-http ≥ ${W6_UNDICI_RATIO}× undici at 60 fps, ≥ ${W6_FREE_RATIO}× poll-http free-running, ≥ ${W6_TARGET_MBS} MB/s)`;
  const freeTitle = `W6 free-running: ${mib} MiB download, body kept in memory, default settings, ${where} (median of ${runs})`;
  const fixedTable = [...fixedRows, freePeer];
  const ratioLine = (rowsOf: readonly Row[], peer: string): string => {
    const mine = rowMedian(rowsOf.find((r) => r.name === "poll-http") ?? newRow(""), "mbps");
    const theirs = rowMedian(rowsOf.find((r) => r.name === peer) ?? newRow(""), "mbps");
    return `poll-http / ${peer} = ${Number.isFinite(mine / theirs) ? (mine / theirs).toFixed(2) : "—"}x`;
  };
  const notes = [
    `- MiB/s at 60 fps: ${["undici", "node:http", W6_FREE_ROW].map((p) => ratioLine(fixedTable, p)).join(", ")}`,
    "- frames: of the 60 fps timeline, from the request to the frame that has the whole body (poll-http: the frame that emits requestCompleted; the peers: the first frame after their promise resolved)",
    "- peak unread MiB / connection: poll-http's HTTPRequest.getPeakBufferedBytes(), the most received bytes its connection held unread at once (the peer's read bound: 4 MiB growing to 8 MiB by default)",
  ];
  const text = `${formatTable(fixedTitle, COLUMNS, fixedTable)}\n\n${notes.join("\n")}\n\n${formatTable(freeTitle, COLUMNS, freeRows)}\n\n- MiB/s free-running: ${["undici", "node:http"].map((p) => ratioLine(freeRows, p)).join(", ")}`;
  return {
    text,
    tables: [
      { workload: "W6", title: fixedTitle, rows: fixedTable },
      { workload: "W6free", title: freeTitle, rows: freeRows },
    ],
  };
}
