// WT, loops that never yield: W1 (sequential keep-alive GETs of a small body) and W3 (one large
// body into a counter) through a ThreadedNetwork against a NodeNetwork, both driven from the event
// loop the way TreeRunner's as-fast-as-possible mode is (a step on setImmediate after each activity
// notice), plus the same workloads driven by a synchronous loop in blocking mode that never lets
// the event loop turn. W3 runs each measurement in a fresh child process (peak RSS growth from a
// known start; the worker thread's memory counts, it is part of the process).
import { Err, HTTPClient, Method, NodeNetwork, Status, ThreadedNetwork, type Network } from "../src/index.ts";
import { type ChildSample, runInChild } from "./child.ts";
import { addSample, type Column, formatTable, newRow, type Row, RssSampler, rowMedian, startSpan, withTimeout } from "./measure.ts";
import { assertHealthy, drive, getOnce, stepGets, type GetLoop } from "./poll-driver.ts";
import { bulkPath } from "./server.ts";

/** Settings of a WT run. */
export interface WTOptions {
  readonly port: number;
  /** The bundled bench file, forked for each W3 measurement. */
  readonly entry: string;
  /** W3 in this process instead of a fresh child per measurement (RSS growth not comparable). */
  readonly inProcess: boolean;
  /** Measured W1 requests per run. */
  readonly requests: number;
  /** Unmeasured W1 requests before each run. */
  readonly warmup: number;
  /** W3 body size in MiB. */
  readonly mib: number;
  readonly runs: number;
}

/** How a client is driven. */
export type WTDriver = "node" | "threaded" | "threaded-blocking";

/** What a W3 child measures. */
export interface WT3Spec {
  readonly kind: "wt3";
  readonly driver: WTDriver;
  readonly port: number;
  readonly mib: number;
}

/** The row names of the drivers. */
export const NAMES: Readonly<Record<WTDriver, string>> = {
  node: "NodeNetwork, event loop",
  threaded: "ThreadedNetwork, event loop",
  "threaded-blocking": "ThreadedNetwork, blocking loop (no event-loop turn)",
};
const DRIVERS: readonly WTDriver[] = ["node", "threaded", "threaded-blocking"];
const PIECE_MAX = 1 << 20;

function networkOf(driver: WTDriver): Network {
  return driver === "node" ? new NodeNetwork() : new ThreadedNetwork();
}

/** Connects a client of `driver` to the bench server. */
async function open(driver: WTDriver, port: number): Promise<HTTPClient> {
  const network = networkOf(driver);
  const client = new HTTPClient({ network });
  if (client.connectToHost("127.0.0.1", port) !== Err.OK) throw new Error(client.getErrorReason());
  if (driver === "threaded-blocking") {
    client.blockingModeEnabled = true;
    while (client.getStatus() === Status.STATUS_CONNECTING) client.poll();
  } else {
    await drive(client, "immediate", () => {
      client.poll();
      assertHealthy(client, client.getStatus());
      return client.getStatus() === Status.STATUS_CONNECTED ? "done" : "wait";
    });
  }
  if (client.getStatus() !== Status.STATUS_CONNECTED) throw new Error(`connect: ${client.getErrorReason()}`);
  return client;
}

/** `n` sequential GETs of /small from a synchronous loop: each blocking poll() waits for news. */
function blockingGets(client: HTTPClient, n: number): number {
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    if (client.request(Method.METHOD_GET, "/small", []) !== Err.OK) throw new Error(client.getErrorReason());
    while (client.getStatus() === Status.STATUS_REQUESTING) client.poll();
    while (client.getStatus() === Status.STATUS_BODY) {
      client.poll();
      for (let piece = client.readResponseBodyPiece(); piece.length > 0; piece = client.readResponseBodyPiece()) bytes += piece.length;
    }
    if (client.getStatus() !== Status.STATUS_CONNECTED)
      throw new Error(`GET /small: status ${client.getStatus()}: ${client.getErrorReason()}`);
  }
  return bytes;
}

/** `n` sequential GETs of /small driven from the event loop. */
async function drivenGets(client: HTTPClient, n: number): Promise<number> {
  let done = 0;
  let sent = false;
  let bytes = 0;
  const loop: GetLoop = {
    path: "/small",
    onPiece: (piece) => {
      bytes += piece.length;
    },
    onIdle: () => {
      if (sent) {
        done++;
        sent = false;
      }
      if (done === n) return "done";
      sent = true;
      return "request";
    },
  };
  await drive(client, "immediate", () => stepGets(client, loop));
  return bytes;
}

async function gets(driver: WTDriver, client: HTTPClient, n: number): Promise<number> {
  return driver === "threaded-blocking" ? blockingGets(client, n) : drivenGets(client, n);
}

const W1_COLUMNS: readonly Column[] = [
  { title: "req/s", key: "rps", digits: 0, higherIsBetter: true, ratio: true },
  { title: "CPU s / 10k req", key: "cpu", digits: 3, higherIsBetter: false, ratio: true },
];

const W3_COLUMNS: readonly Column[] = [
  { title: "MiB/s", key: "mbps", digits: 0, higherIsBetter: true, ratio: true },
  { title: "CPU s / GiB", key: "cpu", digits: 2, higherIsBetter: false, ratio: true },
  { title: "peak RSS growth MiB", key: "rss", digits: 1, higherIsBetter: false, ratio: false },
];

/** Ratio lines against the NodeNetwork row, with the targets. */
function ratios(rows: readonly Row[], key: string, unit: string, target: number): string {
  const base = rows.find((r) => r.name === NAMES.node);
  if (base === undefined) return "";
  return rows
    .filter((r) => r !== base)
    .map((r) => `- ${unit}: ${r.name} / NodeNetwork = ${(rowMedian(r, key) / rowMedian(base, key)).toFixed(2)}x (target ≥ ${target}x)`)
    .join("\n");
}

/** W1 through each driver: `runs` rounds, the drivers' order rotating each round. */
async function runWT1(options: WTOptions): Promise<{ text: string; rows: Row[] }> {
  const rows = DRIVERS.map((d) => newRow(NAMES[d]));
  for (let run = 0; run < options.runs; run++) {
    for (let k = 0; k < DRIVERS.length; k++) {
      const i = (k + run) % DRIVERS.length;
      const driver = DRIVERS[i] as WTDriver;
      const row = rows[i] as Row;
      const client = await withTimeout(open(driver, options.port), 10_000, `${driver} connect`);
      try {
        await gets(driver, client, options.warmup);
        const end = startSpan();
        await withTimeout(gets(driver, client, options.requests), 120_000, `${driver} W1`);
        const span = end();
        addSample(row, "rps", options.requests / span.seconds);
        addSample(row, "cpu", (span.cpuSeconds / options.requests) * 10_000);
      } finally {
        client.close();
      }
    }
  }
  const title = `WT1: ${options.requests} sequential GETs of a 13-byte body on one connection (median of ${options.runs})`;
  return { text: `${formatTable(title, W1_COLUMNS, rows)}\n\n${ratios(rows, "rps", "req/s", 0.7)}`, rows };
}

/** One W3 download (in a child process unless `inProcess`). */
export async function measureWT3(spec: WT3Spec): Promise<ChildSample> {
  const client = await open(spec.driver, spec.port);
  const n = spec.mib * 1024 * 1024;
  const rss = new RssSampler();
  const end = startSpan();
  let bytes = 0;
  let steps = 0;
  if (spec.driver === "threaded-blocking") {
    if (client.request(Method.METHOD_GET, bulkPath(n, false), []) !== Err.OK) throw new Error(client.getErrorReason());
    while (client.getStatus() === Status.STATUS_REQUESTING || client.getStatus() === Status.STATUS_BODY) {
      client.poll();
      steps++;
      for (let piece = client.readResponseBodyPiece(PIECE_MAX); piece.length > 0; piece = client.readResponseBodyPiece(PIECE_MAX))
        bytes += piece.length;
    }
  } else {
    steps = await getOnce(client, "immediate", bulkPath(n, false), PIECE_MAX, (piece) => {
      bytes += piece.length;
    });
  }
  const span = end();
  const rssGrowth = rss.stop();
  client.close();
  if (bytes !== n) throw new Error(`${spec.driver}: ${bytes} of ${n} bytes: ${client.getErrorReason()}`);
  return { seconds: span.seconds, cpuSeconds: span.cpuSeconds, rssGrowth, steps, bytes };
}

async function runWT3(options: WTOptions): Promise<{ text: string; rows: Row[] }> {
  const rows = DRIVERS.map((d) => newRow(NAMES[d]));
  for (let run = 0; run < options.runs; run++) {
    for (let k = 0; k < DRIVERS.length; k++) {
      const i = (k + run) % DRIVERS.length;
      const spec: WT3Spec = { kind: "wt3", driver: DRIVERS[i] as WTDriver, port: options.port, mib: options.mib };
      const row = rows[i] as Row;
      try {
        const sample = await withTimeout(
          options.inProcess ? measureWT3(spec) : runInChild(options.entry, spec),
          300_000,
          `${spec.driver} W3`,
        );
        addSample(row, "mbps", options.mib / sample.seconds);
        addSample(row, "cpu", (sample.cpuSeconds / options.mib) * 1024);
        addSample(row, "rss", sample.rssGrowth / 2 ** 20);
      } catch (error) {
        row.note = `FAILED: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
  }
  const where = options.inProcess ? "in the bench process" : "each in a fresh child process";
  const title = `WT3: one ${options.mib} MiB body (Content-Length) into a counter, ${where} (median of ${options.runs})`;
  const rss = rows.map((r) => `${r.name} ${rowMedian(r, "rss").toFixed(1)} MiB`).join(", ");
  return {
    text: `${formatTable(title, W3_COLUMNS, rows)}\n\n${ratios(rows, "mbps", "MiB/s", 0.8)}\n- peak RSS growth (target ≤ 24 MiB for ThreadedNetwork): ${rss}`,
    rows,
  };
}

/**
 * Runs WT1 and WT3.
 *
 * @returns The printed tables and their rows.
 */
export async function runWT(options: WTOptions): Promise<{ text: string; tables: Array<{ title: string; rows: Row[] }> }> {
  const w1 = await runWT1(options);
  const w3 = await runWT3(options);
  return {
    text: `${w1.text}\n\n${w3.text}`,
    tables: [
      { title: w1.text.split("\n")[0] ?? "", rows: w1.rows },
      { title: w3.text.split("\n")[0] ?? "", rows: w3.rows },
    ],
  };
}
