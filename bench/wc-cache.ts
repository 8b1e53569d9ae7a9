// WC, a repeat GET answered by the memory cache against the same GET over a kept-alive connection:
// an HTTPRequest node in a tree driven by TreeRunner (as fast as possible) asks for the bench
// server's /small-cacheable (13 bytes, `Cache-Control: max-age=3600`) again from each
// requestCompleted listener. Row "memory cache": the tree has an HTTPCache (MemoryCacheStore), so
// after the first answer every request is a hit (no byte sent; checked by getCacheOutcome()).
// Row "kept-alive connection": no cache, every request goes over the one kept connection.
// Same node code, same signals, same runner; both rows in one run, alternating.
import { Err, HTTPCache, HTTPRequest, Result, SceneTree, TreeRunner } from "../src/index.ts";
import { addSample, type Column, formatTable, newRow, rowMedian, type Row, withTimeout } from "./measure.ts";

/** Settings of a WC run. */
export interface WCOptions {
  readonly port: number;
  /** Measured requests per run (after `warmup` unmeasured ones). */
  readonly requests: number;
  readonly warmup: number;
  readonly runs: number;
}

/** The row names. */
export const WC_CACHE_ROW = "memory cache";
export const WC_NETWORK_ROW = "kept-alive connection";

/** Runs `warmup + requests` chained GETs; returns the measured requests' wall and CPU microseconds. */
async function chained(port: number, cached: boolean, warmup: number, requests: number): Promise<{ us: number; cpuUs: number }> {
  const tree = new SceneTree();
  if (cached) tree.httpCache = new HTTPCache();
  const node = new HTTPRequest();
  tree.root.addChild(node);
  const runner = new TreeRunner(tree, { mode: "as-fast-as-possible" });
  const url = `http://127.0.0.1:${port}/small-cacheable`;
  let done = 0;
  let started = 0;
  let cpu = process.cpuUsage();
  let failure = "";
  node.requestCompleted.connect((result, code, _headers, body) => {
    if (result !== Result.RESULT_SUCCESS || code !== 200 || body.length !== 13) {
      failure = `result ${result}, code ${code}, ${body.length} bytes: ${node.getErrorReason()}`;
      runner.stop();
      return;
    }
    if (done > 0 && cached && node.getCacheOutcome() !== "hit") {
      failure = `expected a cache hit, got ${node.getCacheOutcome()}`;
      runner.stop();
      return;
    }
    done++;
    if (done === warmup) {
      started = performance.now();
      cpu = process.cpuUsage();
    }
    if (done === warmup + requests) runner.stop();
    else node.request(url);
  });
  if (node.request(url) !== Err.OK) throw new Error(node.getErrorReason());
  runner.start();
  await runner.whenStopped();
  const us = (performance.now() - started) * 1000;
  const used = process.cpuUsage(cpu);
  tree.root.removeChild(node);
  if (failure !== "") throw new Error(failure);
  return { us, cpuUs: used.user + used.system };
}

const COLUMNS: readonly Column[] = [
  { title: "req/s", key: "rps", digits: 0, higherIsBetter: true, ratio: true },
  { title: "µs / req", key: "us", digits: 2, higherIsBetter: false, ratio: false },
  { title: "CPU µs / req", key: "cpu", digits: 2, higherIsBetter: false, ratio: false },
];

/**
 * Runs WC: the two rows alternately, `runs` times each.
 *
 * @returns The printed table (with the ratio line) and its rows.
 */
export async function runWC(options: WCOptions): Promise<{ text: string; rows: Row[] }> {
  const rows = [newRow(WC_CACHE_ROW), newRow(WC_NETWORK_ROW)];
  for (let run = 0; run < options.runs; run++) {
    for (let k = 0; k < 2; k++) {
      const i = (k + run) % 2;
      const row = rows[i];
      if (row === undefined) continue;
      try {
        const r = await withTimeout(chained(options.port, i === 0, options.warmup, options.requests), 60_000, `WC ${row.name}`);
        addSample(row, "rps", options.requests / (r.us / 1e6));
        addSample(row, "us", r.us / options.requests);
        addSample(row, "cpu", r.cpuUs / options.requests);
      } catch (error) {
        row.note = `FAILED: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
  }
  const [cache, network] = rows;
  const ratio = cache !== undefined && network !== undefined ? rowMedian(cache, "rps") / rowMedian(network, "rps") : NaN;
  const title = `WC cache: ${options.requests} chained GETs of /small-cacheable (13 bytes, max-age=3600) on one HTTPRequest, TreeRunner as fast as possible, from an HTTPCache in memory against the same GET over a kept-alive connection (median of ${options.runs})`;
  const text = `${formatTable(title, COLUMNS, rows)}\n\n- req/s: ${WC_CACHE_ROW} / ${WC_NETWORK_ROW} = ${Number.isFinite(ratio) ? ratio.toFixed(2) : "—"}x`;
  return { text, rows };
}
