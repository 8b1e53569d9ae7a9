// W3, bulk: one large body (Content-Length, then chunked) into a byte counter.
import { countingGet } from "./node-http-get.ts";
import { Agent } from "node:http";
import { connect as netConnect } from "node:net";
import { type ChildSample, type ChildSpec, runInChild } from "./child.ts";
import {
  addSample,
  type ClientEntry,
  type Column,
  formatTable,
  interleaved,
  newRow,
  type Row,
  RssSampler,
  selectClients,
  startSpan,
  withTimeout,
} from "./measure.ts";
import { connectClient, getOnce, type WakeMode } from "./poll-driver.ts";
import { bulkPath, bulkResponseWireBytes } from "./server.ts";
import { WireEnd } from "./wire-end.ts";
import { loadUndici } from "./undici-peer.ts";

/** Settings of a W3 run. */
export interface W3Options {
  readonly port: number;
  /** The bundled bench file, forked for each measurement. */
  readonly entry: string;
  /** Measure in the bench process instead of a fresh child per measurement (for profiling). */
  readonly inProcess: boolean;
  /** Body size in MiB. */
  readonly mib: number;
  readonly runs: number;
  readonly clients: readonly string[];
  /** The server is nginx (response sizes not known ahead) rather than the bench server. */
  readonly nginx?: boolean;
}

/** Downloads one body over a new connection and returns the body bytes counted (wireBytes -1: unknown). */
type BulkClient = (path: string, wireBytes: number) => Promise<number>;

/** Wake-ups (driver steps) of the last poll-http download, for the wakes column. */
let lastSteps = NaN;

/** Largest piece asked of readResponseBodyPiece: bigger than any socket read, so each call returns a whole received chunk. */
const PIECE_MAX = 1 << 20;

function pollHttp(port: number, mode: WakeMode): BulkClient {
  return async (path) => {
    const client = await connectClient(mode, port);
    let bytes = 0;
    try {
      lastSteps = await getOnce(client, mode, path, PIECE_MAX, (piece) => {
        bytes += piece.length;
      });
    } finally {
      client.close();
    }
    return bytes;
  };
}

function undici(port: number): BulkClient {
  return async (path) => {
    const { Client } = await loadUndici();
    const client = new Client(`http://127.0.0.1:${port}`);
    try {
      const { body } = await client.request({ path, method: "GET" });
      return await new Promise<number>((resolve, reject) => {
        let n = 0;
        body.on("data", (chunk: Buffer) => {
          n += chunk.length;
        });
        body.on("end", () => resolve(n));
        body.on("error", reject);
      });
    } finally {
      await client.close();
    }
  };
}

function nodeHttp(port: number): BulkClient {
  return (path) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    return countingGet(port, path, agent).finally(() => agent.destroy());
  };
}

function globalFetch(port: number): BulkClient {
  return async (path) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    const body = res.body;
    if (body === null) return 0;
    const reader = body.getReader();
    let n = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.length;
    }
    return n;
  };
}

/** The floor: a bare socket that writes the request and counts wire bytes to the known response end. */
function rawSocket(port: number): BulkClient {
  return (path, wireBytes) =>
    new Promise<number>((resolve, reject) => {
      const socket = netConnect({ host: "127.0.0.1", port });
      socket.setNoDelay(true);
      let got = 0;
      const end = new WireEnd(wireBytes);
      socket.on("connect", () =>
        socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: raw\r\nAccept: */*\r\n\r\n`, "latin1"),
      );
      socket.on("data", (chunk: Buffer) => {
        got += chunk.length;
        if (end.push(chunk)) {
          socket.destroy();
          resolve(-1);
        }
      });
      socket.on("error", reject);
      socket.on("close", () => reject(new Error(`closed after ${got} of ${wireBytes} bytes`)));
    });
}

/**
 * A second floor: a bare socket reading into one static 64 KiB buffer (`onread`), so Node allocates
 * no Buffer per read and the GC has nothing to collect. What a peer that copied into its own
 * bounded ring buffer could approach.
 */
function rawOnread(port: number): BulkClient {
  return (path, wireBytes) =>
    new Promise<number>((resolve, reject) => {
      let got = 0;
      const end = new WireEnd(wireBytes);
      const buffer = Buffer.allocUnsafe(64 * 1024);
      const socket = netConnect({
        host: "127.0.0.1",
        port,
        onread: {
          buffer,
          callback: (n: number): boolean => {
            got += n;
            if (end.push(buffer.subarray(0, n))) {
              socket.destroy();
              resolve(-1);
            }
            return true;
          },
        },
      });
      socket.setNoDelay(true);
      socket.on("connect", () =>
        socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: raw\r\nAccept: */*\r\n\r\n`, "latin1"),
      );
      socket.on("error", reject);
      socket.on("close", () => reject(new Error(`closed after ${got} of ${wireBytes} bytes`)));
    });
}

const COLUMNS: readonly Column[] = [
  { title: "MiB/s", key: "mbps", digits: 0, higherIsBetter: true, ratio: true },
  { title: "CPU s / GiB", key: "cpu", digits: 3, higherIsBetter: false, ratio: true },
  { title: "peak RSS growth MiB", key: "rss", digits: 1, higherIsBetter: false, ratio: false },
  { title: "wakes / MiB", key: "wakes", digits: 1, higherIsBetter: false, ratio: false },
];

/** The W3 clients, in table order; `--clients` takes their ids. */
function w3Entries(port: number): ReadonlyArray<ClientEntry<BulkClient>> {
  return [
    { id: "poll", name: "poll-http", make: () => pollHttp(port, "immediate") },
    { id: "poll-micro", name: "poll-http (microtask wake)", make: () => pollHttp(port, "microtask") },
    { id: "undici", name: "undici", make: () => undici(port) },
    { id: "http", name: "node:http", make: () => nodeHttp(port) },
    { id: "fetch", name: "fetch", make: () => globalFetch(port) },
    { id: "raw", name: "raw socket", make: () => rawSocket(port) },
    { id: "raw-onread", name: "raw socket (onread buffer)", make: () => rawOnread(port) },
  ];
}

const MIB = 1024 * 1024;

/**
 * Measures one W3 download in this process (a measuring child, or the main process with
 * `--in-process`): RSS baseline after a full GC, an unmeasured warm-up download on its own
 * connection, then the measured one. RSS is sampled every 5 ms throughout.
 *
 * @param spec - Which client, body size, framing and warm-up size.
 * @returns The sample.
 */
export async function measureW3(spec: Extract<ChildSpec, { kind: "w3" }>): Promise<ChildSample> {
  const entry = w3Entries(spec.port).find((e) => e.id === spec.client);
  if (entry === undefined) throw new Error(`unknown W3 client ${spec.client}`);
  const wire = (n: number): number => (spec.nginx === true ? -1 : bulkResponseWireBytes(n, spec.chunked));
  const rss = new RssSampler(5);
  try {
    if (spec.warmupMib > 0) {
      const warm = spec.warmupMib * MIB;
      await withTimeout(entry.make()(bulkPath(warm, spec.chunked), wire(warm)), 60_000, `${entry.name} warm-up`);
    }
    const bytes = spec.mib * MIB;
    lastSteps = NaN;
    const download = entry.make();
    const end = startSpan();
    const got = await withTimeout(download(bulkPath(bytes, spec.chunked), wire(bytes)), 120_000, `${entry.name} download`);
    const span = end();
    return { seconds: span.seconds, cpuSeconds: span.cpuSeconds, rssGrowth: rss.stop(), steps: lastSteps, bytes: got };
  } finally {
    rss.stop();
  }
}

/**
 * Runs W3 for Content-Length and for chunked bodies: every client `runs` times, interleaved with
 * the order rotated each run, each measurement in a fresh child process (see bench/child.ts)
 * unless `inProcess`. Each download uses a new connection (connect included in the time; it is
 * negligible next to the body).
 *
 * @returns The printed tables.
 */
export async function runW3(options: W3Options): Promise<{ text: string; rows: Row[]; tables: Array<{ title: string; rows: Row[] }> }> {
  const selected = selectClients(w3Entries(options.port), options.clients);
  const run = await runW3Framings(
    options,
    selected,
    COLUMNS,
    (fields) => {
      const spec = { kind: "w3", ...fields } as const;
      return options.inProcess ? measureW3(spec) : runInChild(options.entry, spec);
    },
    (framing, server, where) =>
      `W3 bulk (${server}), ${framing}: ${options.mib} MiB body into a byte counter, ${where} (median of ${options.runs})`,
  );
  return { ...run, rows: run.tables.flatMap((t) => t.rows) };
}

/** What a W3 measurement is given: a W3 child spec but for its kind. */
export type W3Fields = Omit<Extract<ChildSpec, { kind: "w3" }>, "kind">;

/**
 * Runs a W3 variant for Content-Length and then for chunked bodies: every client `runs` times,
 * interleaved with the order rotated each run, each measured by `measure`; checks the body bytes
 * each download reported and adds MiB/s, CPU s per GiB, RSS growth and (where the sample counted
 * steps) wakes per MiB to its row.
 *
 * @param measure - Measures one download (in a fresh child process unless `inProcess`).
 * @param title - A table's title, given the framing, the server's label and where it ran.
 * @returns The printed tables and their rows, one table per framing.
 */
export async function runW3Framings(
  options: W3Options,
  selected: ReadonlyArray<{ readonly id: string; readonly name: string }>,
  columns: readonly Column[],
  measure: (fields: W3Fields) => Promise<ChildSample>,
  title: (framing: string, server: string, where: string) => string,
): Promise<{ text: string; tables: Array<{ title: string; rows: Row[] }> }> {
  const { port, mib, runs } = options;
  const bytes = mib * MIB;
  const server = options.nginx === true ? "nginx" : "bench server";
  const where = options.inProcess ? "in the bench process" : "each in a fresh process";
  const texts: string[] = [];
  const tables: Array<{ title: string; rows: Row[] }> = [];
  for (const chunked of [false, true]) {
    const rows = selected.map((e) => newRow(e.name));
    for (const [entry, row] of interleaved(runs, selected, rows)) {
      try {
        const sample = await measure({ client: entry.id, port, mib, chunked, warmupMib: Math.min(16, mib), nginx: options.nginx === true });
        if (sample.bytes !== -1 && sample.bytes !== bytes)
          throw new Error(`${entry.name}: got ${sample.bytes} body bytes, expected ${bytes}`);
        addSample(row, "mbps", mib / sample.seconds);
        addSample(row, "cpu", sample.cpuSeconds / (mib / 1024));
        addSample(row, "rss", sample.rssGrowth / MIB);
        if (typeof sample.steps === "number" && Number.isFinite(sample.steps)) addSample(row, "wakes", sample.steps / mib);
      } catch (error) {
        row.note = `FAILED: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    const tableTitle = title(chunked ? "chunked" : "Content-Length", server, where);
    texts.push(formatTable(tableTitle, columns, rows));
    tables.push({ title: tableTitle, rows });
  }
  return { text: texts.join("\n\n"), tables };
}
