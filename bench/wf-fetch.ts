// WF, the promise facade: this library's fetch() (its own tree, runner and request pool, at the
// pool's default 6 connections per origin) against undici's fetch and the runtime's fetch (their
// default dispatchers: no per-origin connection limit), on the W1 shape (sequential keep-alive GETs
// of the 13-byte body) and the W2 shape (50 requests in flight). Every client reads each body with
// arrayBuffer().
import { addSample, type Column, formatTable, interleaved, newRow, type Row, startSpan, withTimeout } from "./measure.ts";
import { SMALL_BODY } from "./server.ts";
import { loadUndici, undiciInstalled } from "./undici-peer.ts";
import { fetch as pollFetch } from "../src/index.ts";

/** Settings of a WF run. */
export interface WFOptions {
  readonly port: number;
  /** Requests per run (both shapes). */
  readonly requests: number;
  /** Requests in flight in the second shape. */
  readonly inflight: number;
  readonly runs: number;
  /** A run stops after this many seconds, between chunks (at least two chunks run). */
  readonly budgetSeconds: number;
}

type FetchLike = (url: string) => Promise<Response>;

interface Client {
  readonly name: string;
  readonly fetch: FetchLike;
}

/** Row names; the targets name them. */
export const WF_SUBJECT = "poll-http fetch";
export const WF_UNDICI = "undici fetch";
export const WF_RUNTIME = "runtime fetch";

async function clients(): Promise<Client[]> {
  const list: Client[] = [{ name: WF_SUBJECT, fetch: (url) => pollFetch(url) }];
  if (undiciInstalled()) {
    const undici = await loadUndici();
    list.push({ name: WF_UNDICI, fetch: (url) => undici.fetch(url) as unknown as Promise<Response> });
  }
  list.push({ name: WF_RUNTIME, fetch: (url) => globalThis.fetch(url) });
  return list;
}

async function one(client: Client, url: string): Promise<number> {
  const res = await client.fetch(url);
  return (await res.arrayBuffer()).byteLength;
}

async function sequential(client: Client, url: string, n: number): Promise<number> {
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += await one(client, url);
  return bytes;
}

async function inflight(client: Client, url: string, n: number, width: number): Promise<number> {
  let next = 0;
  let bytes = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      next++;
      const got = await one(client, url);
      bytes += got;
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, n) }, lane));
  return bytes;
}

const COLUMNS: readonly Column[] = [
  { title: "req/s", key: "rps", digits: 0, higherIsBetter: true, ratio: true },
  { title: "CPU s / 10k req", key: "cpu", digits: 3, higherIsBetter: false, ratio: true },
];

async function measure(options: WFOptions, width: number): Promise<Row[]> {
  const url = `http://127.0.0.1:${options.port}/small`;
  const list = await clients();
  const rows = list.map((c) => newRow(c.name));
  for (const [client, row] of interleaved(options.runs, list, rows)) {
    try {
      const run = (n: number): Promise<number> => (width === 1 ? sequential(client, url, n) : inflight(client, url, n, width));
      await withTimeout(run(Math.min(options.requests, 500)), 60_000, `${client.name} warm-up`);
      const chunk = Math.min(options.requests, 1_000);
      const end = startSpan();
      const t0 = performance.now();
      let done = 0;
      let bytes = 0;
      while (done < options.requests && (done < 2 * chunk || performance.now() - t0 < options.budgetSeconds * 1000)) {
        const n = Math.min(chunk, options.requests - done);
        bytes += await withTimeout(run(n), 120_000, `${client.name} run`);
        done += n;
      }
      const span = end();
      if (bytes !== done * SMALL_BODY.length)
        throw new Error(`${client.name}: got ${bytes} body bytes, expected ${done * SMALL_BODY.length}`);
      addSample(row, "rps", done / span.seconds);
      addSample(row, "cpu", (span.cpuSeconds / done) * 10_000);
    } catch (error) {
      row.note = `FAILED: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return rows;
}

/** One WF table: its workload id, title, rows and text. */
export interface WFTable {
  readonly workload: string;
  readonly title: string;
  readonly rows: Row[];
  readonly text: string;
}

/**
 * Runs WF: the sequential table, then the in-flight one; every client `runs` times, interleaved.
 *
 * @returns The two tables (title, rows and text each) and their text together.
 */
export async function runWF(options: WFOptions): Promise<{ text: string; tables: WFTable[] }> {
  const seqRows = await measure(options, 1);
  const seqTitle = `WF1 fetch facade, W1 shape: sequential keep-alive GETs of a 13-byte body, body read with arrayBuffer() (at most ${options.budgetSeconds} s per run, median of ${options.runs})`;
  const parRows = await measure(options, options.inflight);
  const parTitle = `WF2 fetch facade, W2 shape: ${options.inflight} GETs in flight, body read with arrayBuffer() (at most ${options.budgetSeconds} s per run, median of ${options.runs})`;
  const tables = [
    { workload: "WF1", title: seqTitle, rows: seqRows, text: formatTable(seqTitle, COLUMNS, seqRows) },
    { workload: "WF2", title: parTitle, rows: parRows, text: formatTable(parTitle, COLUMNS, parRows) },
  ];
  return { text: tables.map((t) => t.text).join("\n\n"), tables };
}
