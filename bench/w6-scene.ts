// W6: a download through the HTTPRequest node in a SceneTree ticked by TreeRunner — the way a game
// uses the library. Fixed 60 fps shows how many frames a large body takes (bounded by the peer's
// read buffer × fps); as-fast-as-possible shows the node's own overhead.
import { Err, HTTPRequest, Result, type RunMode, SceneTree, TreeRunner } from "../src/index.ts";
import { addSample, type Column, formatTable, newRow, type Row, RssSampler, startSpan, withTimeout } from "./measure.ts";
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
}

interface Outcome {
  readonly frames: number;
  readonly bytes: number;
}

async function download(port: number, path: string, mode: RunMode): Promise<Outcome> {
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
  request.queueFree();
  tree.process(0);
  const r = completed.value;
  if (r === null || r.result !== Result.RESULT_SUCCESS || r.code !== 200) {
    throw new Error(`HTTPRequest failed: ${JSON.stringify(r)} ${request.getErrorReason()}`);
  }
  return { frames, bytes: r.bytes };
}

const COLUMNS: readonly Column[] = [
  { title: "seconds", key: "s", digits: 3, higherIsBetter: false, ratio: false },
  { title: "ticks", key: "ticks", digits: 0, higherIsBetter: false, ratio: false },
  { title: "MiB / tick", key: "perTick", digits: 2, higherIsBetter: true, ratio: false },
  { title: "MiB/s", key: "mbps", digits: 0, higherIsBetter: true, ratio: false },
  { title: "CPU s", key: "cpu", digits: 3, higherIsBetter: false, ratio: false },
  { title: "peak RSS growth MiB", key: "rss", digits: 1, higherIsBetter: false, ratio: false },
];

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
    await download(spec.port, bulkPath(1024 * 1024, false), spec.mode); // warm-up: 1 MiB
    const end = startSpan();
    const outcome = await withTimeout(download(spec.port, path, spec.mode), 120_000, `W6 ${spec.mode}`);
    const span = end();
    return { seconds: span.seconds, cpuSeconds: span.cpuSeconds, rssGrowth: rss.stop(), steps: outcome.frames, bytes: outcome.bytes };
  } finally {
    rss.stop();
  }
}

/**
 * Runs W6: an HTTPRequest (body kept in memory, as Godot's default) for a Content-Length body,
 * under TreeRunner `fixed` at 60 fps and `as-fast-as-possible`, each measurement in a fresh child
 * process unless `inProcess` (after a 1 MiB warm-up; the RSS baseline is taken before it).
 *
 * @returns The printed table.
 */
export async function runW6(options: W6Options): Promise<{ text: string; rows: Row[] }> {
  const { port, mib, runs } = options;
  const bytes = mib * 1024 * 1024;
  const modes: ReadonlyArray<"fixed" | "as-fast-as-possible"> = ["fixed", "as-fast-as-possible"];
  const rows = modes.map((m) => newRow(m === "fixed" ? "HTTPRequest, TreeRunner fixed 60 fps" : "HTTPRequest, TreeRunner as-fast-as-possible"));
  for (let run = 0; run < runs; run++) {
    for (let i = 0; i < modes.length; i++) {
      const mode = modes[i];
      const row = rows[i];
      if (mode === undefined || row === undefined) continue;
      const spec = { kind: "w6", mode, port, mib } as const;
      try {
        const sample = options.inProcess ? await measureW6(spec) : await runInChild(options.entry, spec);
        if (sample.bytes !== bytes) throw new Error(`got ${sample.bytes} body bytes, expected ${bytes}`);
        addSample(row, "s", sample.seconds);
        addSample(row, "ticks", sample.steps);
        addSample(row, "perTick", mib / sample.steps);
        addSample(row, "mbps", mib / sample.seconds);
        addSample(row, "cpu", sample.cpuSeconds);
        addSample(row, "rss", sample.rssGrowth / (1024 * 1024));
      } catch (error) {
        row.note = `FAILED: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
  }
  const where = options.inProcess ? "in the bench process" : "each in a fresh process";
  const title = `W6 scene: ${mib} MiB download through HTTPRequest in a SceneTree, body kept in memory, ${where} (median of ${runs})`;
  return { text: formatTable(title, COLUMNS, rows), rows };
}
