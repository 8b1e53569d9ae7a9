// W6: a download through the HTTPRequest node in a SceneTree ticked by TreeRunner — the way a game
// uses the library. Fixed 60 fps shows how many frames a large body takes (bounded by the peer's
// read buffer × fps); as-fast-as-possible shows the node's own overhead.
//
//   W6a: default settings (the peer's 4 MiB read buffer bound), fixed 60 fps and as-fast-as-possible;
//        target ≥ 60 MB/s.
//   W6b: both modes again with the per-connection read buffer bound raised to 16 MiB (a NodeNetwork
//        with readBufferBytes), against the W3 poll-http MiB/s (Content-Length, into a counter) of
//        the same bench run; target ≥ 0.8× that. At fixed 60 fps the bound caps a tick at 16 MiB,
//        i.e. 960 MiB/s, and the ticks before the first body byte count too.
//
// Every row also shows the fresh-memory fill rate of its process: a new array of the body's size
// filled once, no network. A body kept in memory must be written into fresh pages, and where a
// first touch of a page is expensive (a page fault costs ~10 µs in the Firecracker VM of this
// suite) that rate, not the client, bounds W6; W3 keeps no body and never pays it.
import { performance } from "node:perf_hooks";
import { Err, HTTPRequest, NodeNetwork, Result, type RunMode, SceneTree, TreeRunner } from "../src/index.ts";
import { addSample, type Column, formatTable, newRow, type Row, rowMedian, RssSampler, startSpan, withTimeout } from "./measure.ts";
import { type ChildSample, type ChildSpec, runInChild } from "./child.ts";
import { bulkPath } from "./server.ts";

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
  /** The raised per-connection read buffer bound of W6b, in bytes. */
  readonly bigBufferBytes: number;
  /**
   * W6b's peer: poll-http's W3 row of this bench run (Content-Length into a counter; its `mbps`
   * samples are used), or null when W3 did not measure it.
   */
  readonly reference: { readonly name: string; readonly row: Row | null };
}

/** The MB/s W6a must reach with default settings, and the same in MiB/s (the unit of the table). */
export const W6_TARGET_MBS = 60;
export const W6_TARGET_MIBS = (W6_TARGET_MBS * 1e6) / (1024 * 1024);
/** W6b's target: this share of the W3 throughput of the same run. */
export const W6B_TARGET_RATIO = 0.8;

interface Outcome {
  readonly frames: number;
  readonly bytes: number;
  /** The most unread bytes the connection held at once (HTTPRequest.getPeakBufferedBytes): how much of the read bound was used. */
  readonly peakBuffered: number;
}

async function download(port: number, path: string, mode: RunMode, readBufferBytes: number | undefined): Promise<Outcome> {
  const tree = new SceneTree();
  const request = new HTTPRequest(readBufferBytes === undefined ? {} : { network: new NodeNetwork({ readBufferBytes }) });
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

const COLUMNS: readonly Column[] = [
  { title: "seconds", key: "s", digits: 3, higherIsBetter: false, ratio: false },
  { title: "ticks", key: "ticks", digits: 0, higherIsBetter: false, ratio: false },
  { title: "MiB / tick", key: "perTick", digits: 2, higherIsBetter: true, ratio: false },
  { title: "MiB/s", key: "mbps", digits: 0, higherIsBetter: true, ratio: false },
  { title: "CPU s", key: "cpu", digits: 3, higherIsBetter: false, ratio: false },
  { title: "peak RSS growth MiB", key: "rss", digits: 1, higherIsBetter: false, ratio: false },
  { title: "peak buffered MiB", key: "buffered", digits: 1, higherIsBetter: false, ratio: false },
  { title: "fresh-memory fill MiB/s", key: "fresh", digits: 0, higherIsBetter: true, ratio: false },
];

/**
 * Times what an in-memory body costs before any byte of it is received: a new array of `bytes`
 * bytes filled once, no network. Each first write to a page of fresh memory is a page fault, which
 * costs far more than the copy on some machines (about 10 µs per 4 KiB page in the Firecracker VM
 * this suite was tuned on, i.e. ~380 MiB/s), so this is the ceiling of any client that keeps the
 * body in memory in this process — W3 counts bytes without keeping them and never pays it.
 *
 * @param bytes - The body size.
 * @returns Seconds.
 */
function freshFillSeconds(bytes: number): number {
  const t0 = performance.now();
  const fresh = new Uint8Array(bytes);
  fresh.fill(0x61);
  const seconds = (performance.now() - t0) / 1000;
  if (fresh[bytes - 1] !== 0x61) throw new Error("fill failed");
  return seconds;
}

/**
 * Measures one W6 download in this process (a measuring child, or the main process with
 * `--in-process`).
 *
 * @param spec - Runner mode and body size.
 * @returns The sample; `steps` holds the frames.
 */
export async function measureW6(spec: Extract<ChildSpec, { kind: "w6" }>): Promise<ChildSample> {
  const path = bulkPath(spec.mib * 1024 * 1024, false);
  const rss = new RssSampler(5);
  try {
    await download(spec.port, bulkPath(1024 * 1024, false), spec.mode, spec.readBufferBytes); // warm-up: 1 MiB
    const end = startSpan();
    const outcome = await withTimeout(download(spec.port, path, spec.mode, spec.readBufferBytes), 120_000, `W6 ${spec.mode}`);
    const span = end();
    const rssGrowth = rss.stop();
    const freshFill = freshFillSeconds(spec.mib * 1024 * 1024); // after the RSS sampling: it allocates a body's size
    return { seconds: span.seconds, cpuSeconds: span.cpuSeconds, rssGrowth, steps: outcome.frames, bytes: outcome.bytes, extra: { peakBuffered: outcome.peakBuffered, freshFill } };
  } finally {
    rss.stop();
  }
}

/** One measured configuration: a row of W6a or W6b. */
interface Variant {
  readonly table: "W6a" | "W6b";
  readonly name: string;
  readonly mode: "fixed" | "as-fast-as-possible";
  readonly readBufferBytes?: number;
}

/**
 * Runs W6: an HTTPRequest (body kept in memory, as Godot's default) for a Content-Length body,
 * W6a under TreeRunner `fixed` at 60 fps and `as-fast-as-possible` with default settings, W6b the
 * same two with the read buffer bound raised to `bigBufferBytes`. Every configuration runs
 * `runs` times, interleaved with the order rotated each run, each measurement in a fresh child
 * process unless `inProcess` (after a 1 MiB warm-up; the RSS baseline is taken before it).
 *
 * @returns The printed tables and their rows. W6b's rows are its subjects (`subjects`; the fixed
 * 60 fps one first) and last the W3 reference, their peer.
 */
export async function runW6(options: W6Options): Promise<{ text: string; tables: Array<{ workload: "W6a" | "W6b"; title: string; subjects: string[]; rows: Row[] }> }> {
  const { port, mib, runs } = options;
  const bytes = mib * 1024 * 1024;
  const bigMib = options.bigBufferBytes / (1024 * 1024);
  const variants: readonly Variant[] = [
    { table: "W6a", name: "HTTPRequest, TreeRunner fixed 60 fps", mode: "fixed" },
    { table: "W6a", name: "HTTPRequest, TreeRunner as-fast-as-possible", mode: "as-fast-as-possible" },
    { table: "W6b", name: `fixed 60 fps, ${bigMib} MiB buffer`, mode: "fixed", readBufferBytes: options.bigBufferBytes },
    { table: "W6b", name: `as-fast-as-possible, ${bigMib} MiB buffer`, mode: "as-fast-as-possible", readBufferBytes: options.bigBufferBytes },
  ];
  const rows = variants.map((v) => newRow(v.name));
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (k + run) % variants.length; // rotate the order each run against position effects
      const variant = variants[i];
      const row = rows[i];
      if (variant === undefined || row === undefined) continue;
      const spec = { kind: "w6", mode: variant.mode, port, mib, ...(variant.readBufferBytes === undefined ? {} : { readBufferBytes: variant.readBufferBytes }) } as const;
      try {
        const sample = options.inProcess ? await measureW6(spec) : await runInChild(options.entry, spec);
        if (sample.bytes !== bytes) throw new Error(`got ${sample.bytes} body bytes, expected ${bytes}`);
        addSample(row, "s", sample.seconds);
        addSample(row, "ticks", sample.steps);
        addSample(row, "perTick", mib / sample.steps);
        addSample(row, "mbps", mib / sample.seconds);
        addSample(row, "cpu", sample.cpuSeconds);
        addSample(row, "rss", sample.rssGrowth / (1024 * 1024));
        addSample(row, "buffered", (sample.extra?.["peakBuffered"] ?? NaN) / (1024 * 1024));
        addSample(row, "fresh", mib / (sample.extra?.["freshFill"] ?? NaN));
      } catch (error) {
        row.note = `FAILED: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
  }
  const where = options.inProcess ? "in the bench process" : "each in a fresh process";
  const rowsOf = (table: Variant["table"]): Row[] => rows.filter((_, i) => variants[i]?.table === table);
  const aRows = rowsOf("W6a");
  const aTitle = `W6a scene: ${mib} MiB download through HTTPRequest in a SceneTree, body kept in memory, default settings, ${where} (median of ${runs}; target ≥ ${W6_TARGET_MBS} MB/s = ${W6_TARGET_MIBS.toFixed(1)} MiB/s)`;
  const aText = formatTable(aTitle, COLUMNS, aRows);
  const bRows = rowsOf("W6b");
  const subjects = bRows.map((r) => r.name);
  const reference = newRow(options.reference.name);
  const refRuns = options.reference.row?.samples.get("mbps");
  if (refRuns === undefined || refRuns.length === 0) reference.note = "not measured in this run";
  else for (const v of refRuns) addSample(reference, "mbps", v);
  bRows.push(reference);
  const bTitle = `W6b scene, ${bigMib} MiB read buffer: ${mib} MiB download through HTTPRequest (NodeNetwork readBufferBytes ${bigMib} MiB), body kept in memory, ${where}, against W3 poll-http of this run (the same server and framing, into a counter) (median of ${runs}; target ≥ ${W6B_TARGET_RATIO}× W3)`;
  const ratios = subjects.map((name) => {
    const ratio = rowMedian(bRows.find((r) => r.name === name) ?? reference, "mbps") / rowMedian(reference, "mbps");
    return `${name} / ${reference.name} = ${Number.isFinite(ratio) ? ratio.toFixed(2) : "—"}x`;
  });
  const freshNote = `- fresh-memory fill MiB/s: in the same process after the download, a new ${mib} MiB array filled once, no network — ` +
    "the most MiB/s any client keeping the body in memory can reach there (every first write to a page of fresh memory is a page fault). " +
    `When it is below ${W6B_TARGET_RATIO}x W3, W6b's target is out of reach on this machine whatever the client does.`;
  const bText = `${formatTable(bTitle, COLUMNS, bRows)}\n\n- MiB/s (higher is better; target ≥ ${W6B_TARGET_RATIO}x): ${ratios.join(", ")}\n${freshNote}`;
  return {
    text: `${aText}\n\n${bText}`,
    tables: [
      { workload: "W6a", title: aTitle, subjects: aRows.map((r) => r.name), rows: aRows },
      { workload: "W6b", title: bTitle, subjects, rows: bRows },
    ],
  };
}
