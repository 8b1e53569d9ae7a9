// W1, latency-bound: sequential keep-alive GETs of a 13-byte body on one connection.
import { countingGet } from "./node-http-get.ts";
import { Agent } from "node:http";
import { connect as netConnect, type Socket } from "node:net";
import type { Client as UndiciClient } from "undici";
import { Err, HTTPClient, Method, ScriptedPeer, Status } from "../src/index.ts";
import {
  addSample,
  type ClientEntry,
  type Column,
  formatTable,
  interleaved,
  newRow,
  type Row,
  selectClients,
  startSpan,
  withTimeout,
} from "./measure.ts";
import { connectClient, drive, type GetLoop, stepGets, type WakeMode } from "./poll-driver.ts";
import { SMALL_BODY, SMALL_RESPONSE } from "./server.ts";
import { loadUndici } from "./undici-peer.ts";

/** Settings of a W1 run. */
export interface W1Options {
  readonly port: number;
  /** Measured requests per run. */
  readonly requests: number;
  /** Unmeasured requests on the same connection before each run. */
  readonly warmup: number;
  readonly runs: number;
  /** Client names to run (all when empty). */
  readonly clients: readonly string[];
  /** Bytes on the wire of one whole `/small` response (for the raw socket); the bench server's by default. */
  readonly responseBytes?: number;
  /** Label of the server in the title; "bench server" by default. */
  readonly server?: string;
  /**
   * A run stops after this many seconds, between chunks of 1,000 requests (at least two chunks
   * run), so slow peers do not stretch the suite; req/s counts the requests done. Default none.
   */
  readonly budgetSeconds?: number;
}

/** One client of the workload: opens a keep-alive connection, then does `n` sequential GETs. */
interface LatencyClient {
  readonly name: string;
  open(): Promise<void>;
  /** Does `n` requests one after the other; returns the body bytes received. */
  run(n: number): Promise<number>;
  /** poll-http only: wake-ups (driver steps) of the last run. */
  lastSteps?: () => number;
  close(): Promise<void>;
}

const PATH = "/small";

function pollHttp(name: string, port: number, mode: WakeMode): LatencyClient {
  let client: HTTPClient | null = null;
  let steps = 0;
  return {
    name,
    lastSteps: () => steps,
    async open() {
      client = await connectClient(mode, port);
    },
    async run(n) {
      const c = client;
      if (c === null) throw new Error("not open");
      let done = 0;
      let sent = false;
      let bytes = 0;
      const loop: GetLoop = {
        path: PATH,
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
      steps = await drive(c, mode, () => stepGets(c, loop));
      return bytes;
    },
    async close() {
      client?.close();
      client = null;
    },
  };
}

function undici(port: number): LatencyClient {
  let client: UndiciClient | null = null;
  return {
    name: "undici",
    async open() {
      const { Client } = await loadUndici();
      client = new Client(`http://127.0.0.1:${port}`, { pipelining: 1 });
      await this.run(1);
    },
    async run(n) {
      const c = client;
      if (c === null) throw new Error("not open");
      let bytes = 0;
      for (let i = 0; i < n; i++) {
        const { body } = await c.request({ path: PATH, method: "GET" });
        bytes += (await body.arrayBuffer()).byteLength;
      }
      return bytes;
    },
    async close() {
      await client?.close();
      client = null;
    },
  };
}

function nodeHttp(port: number): LatencyClient {
  let agent: Agent | null = null;
  const one = (a: Agent): Promise<number> => countingGet(port, PATH, a);
  return {
    name: "node:http",
    async open() {
      agent = new Agent({ keepAlive: true, maxSockets: 1 });
      await one(agent);
    },
    async run(n) {
      const a = agent;
      if (a === null) throw new Error("not open");
      let bytes = 0;
      for (let i = 0; i < n; i++) bytes += await one(a);
      return bytes;
    },
    async close() {
      agent?.destroy();
      agent = null;
    },
  };
}

function globalFetch(port: number): LatencyClient {
  const url = `http://127.0.0.1:${port}${PATH}`;
  return {
    name: "fetch",
    async open() {
      await this.run(1);
    },
    async run(n) {
      let bytes = 0;
      for (let i = 0; i < n; i++) {
        const res = await fetch(url);
        bytes += (await res.arrayBuffer()).byteLength;
      }
      return bytes;
    },
    async close() {},
  };
}

/** The floor: a bare socket that writes the request and counts response bytes. */
function rawSocket(port: number, responseBytes: number): LatencyClient {
  const request = Buffer.from(`GET ${PATH} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: raw\r\nAccept: */*\r\n\r\n`, "latin1");
  let socket: Socket | null = null;
  return {
    name: "raw socket",
    async open() {
      const s = netConnect({ host: "127.0.0.1", port });
      s.setNoDelay(true);
      await new Promise<void>((resolve, reject) => {
        s.once("connect", resolve);
        s.once("error", reject);
      });
      socket = s;
    },
    run(n) {
      const s = socket;
      if (s === null) return Promise.reject(new Error("not open"));
      return new Promise<number>((resolve, reject) => {
        let got = 0;
        let done = 0;
        const onData = (chunk: Buffer): void => {
          got += chunk.length;
          while (got >= responseBytes) {
            got -= responseBytes;
            done++;
            if (done === n) {
              s.off("data", onData);
              s.off("error", reject);
              resolve(n * SMALL_BODY.length);
              return;
            }
            s.write(request);
          }
        };
        s.on("data", onData);
        s.once("error", reject);
        s.write(request);
      });
    },
    async close() {
      socket?.destroy();
      socket = null;
    },
  };
}

const COLUMNS: readonly Column[] = [
  { title: "req/s", key: "rps", digits: 0, higherIsBetter: true, ratio: true },
  { title: "CPU s / 10k req", key: "cpu", digits: 3, higherIsBetter: false, ratio: true },
  { title: "µs / req", key: "us", digits: 1, higherIsBetter: false, ratio: false },
  { title: "wakes / req", key: "wakes", digits: 2, higherIsBetter: false, ratio: false },
];

/**
 * Runs W1: every client `runs` times, interleaved (run 1 of every client, then run 2…), each run on
 * a fresh connection with its own warm-up. Medians are reported.
 *
 * @returns The printed table.
 */
export async function runW1(options: W1Options): Promise<{ text: string; rows: Row[] }> {
  const { port, requests, warmup, runs } = options;
  const entries: ReadonlyArray<ClientEntry<LatencyClient>> = [
    { id: "poll", name: "poll-http", make: () => pollHttp("poll-http", port, "immediate") },
    { id: "poll-micro", name: "poll-http (microtask wake)", make: () => pollHttp("poll-http (microtask wake)", port, "microtask") },
    { id: "undici", name: "undici", make: () => undici(port) },
    { id: "http", name: "node:http", make: () => nodeHttp(port) },
    { id: "fetch", name: "fetch", make: () => globalFetch(port) },
    { id: "raw", name: "raw socket", make: () => rawSocket(port, options.responseBytes ?? SMALL_RESPONSE.length) },
  ];
  const selected = selectClients(entries, options.clients);
  const rows = selected.map((e) => newRow(e.name));
  for (const [entry, row] of interleaved(runs, selected, rows)) {
    const client = entry.make();
    try {
      await withTimeout(client.open(), 10_000, `${client.name} open`);
      if (warmup > 0) await withTimeout(client.run(warmup), 60_000, `${client.name} warm-up`);
      const budgetMs = (options.budgetSeconds ?? Infinity) * 1000;
      const chunk = Math.min(requests, 1_000);
      const end = startSpan();
      const t0 = performance.now();
      let done = 0;
      let bytes = 0;
      let steps = 0;
      while (done < requests && (done < 2 * chunk || performance.now() - t0 < budgetMs)) {
        const n = Math.min(chunk, requests - done);
        bytes += await withTimeout(client.run(n), 120_000, `${client.name} run`);
        steps += client.lastSteps?.() ?? 0;
        done += n;
      }
      const span = end();
      if (bytes !== done * SMALL_BODY.length)
        throw new Error(`${client.name}: got ${bytes} body bytes, expected ${done * SMALL_BODY.length}`);
      addSample(row, "rps", done / span.seconds);
      addSample(row, "cpu", (span.cpuSeconds / done) * 10_000);
      addSample(row, "us", (span.seconds / done) * 1e6);
      if (client.lastSteps !== undefined) addSample(row, "wakes", steps / done);
    } catch (error) {
      row.note = `FAILED: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      await client.close();
    }
  }
  const title = `W1 latency-bound (${options.server ?? "bench server"}): ${requests.toLocaleString("en-US")} sequential keep-alive GETs of a 13-byte body (at most ${options.budgetSeconds ?? Infinity} s per run), one connection (median of ${runs})`;
  return { text: formatTable(title, COLUMNS, rows), rows };
}

/**
 * The library's own cost per request, without sockets: request → poll → the 13-byte response pushed
 * into a ScriptedPeer → poll → body read, in a synchronous loop. No kernel, no event loop, no
 * server, so it is steady on a busy machine and shows what changes in src/ save per request.
 */
function engineRun(n: number, port: number): number {
  const peer = new ScriptedPeer({ open: true });
  const client = new HTTPClient();
  if (client.setConnection(peer, "127.0.0.1", port) !== Err.OK) throw new Error(`setConnection: ${client.getErrorReason()}`);
  const response = new Uint8Array(SMALL_RESPONSE);
  const headers: string[] = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    if (client.request(Method.METHOD_GET, PATH, headers) !== Err.OK) throw new Error(`request(): ${client.getErrorReason()}`);
    client.poll();
    peer.pushIncoming(response);
    client.poll();
    for (let piece = client.readResponseBodyPiece(); piece.length > 0; piece = client.readResponseBodyPiece()) bytes += piece.length;
    if (client.getStatus() !== Status.STATUS_CONNECTED) throw new Error(`engine: status ${client.getStatus()}: ${client.getErrorReason()}`);
    if ((i & 1023) === 1023) peer.takeOutgoing();
  }
  client.close();
  return bytes;
}

/**
 * Runs the engine-only measure of W1 (see {@link engineRun}): `runs` runs of `requests` cycles
 * after a warm-up, median.
 *
 * @returns The printed table.
 */
export function runW1Engine(options: { readonly port: number; readonly requests: number; readonly runs: number }): string {
  const { requests, runs, port } = options;
  const row = newRow("poll-http engine (ScriptedPeer)");
  engineRun(Math.min(requests, 20_000), port);
  for (let run = 0; run < runs; run++) {
    const end = startSpan();
    const bytes = engineRun(requests, port);
    const span = end();
    if (bytes !== requests * SMALL_BODY.length) throw new Error(`engine: got ${bytes} body bytes`);
    addSample(row, "rps", requests / span.seconds);
    addSample(row, "cpuus", (span.cpuSeconds / requests) * 1e6);
  }
  const columns: readonly Column[] = [
    { title: "cycles/s", key: "rps", digits: 0, higherIsBetter: true, ratio: false },
    { title: "CPU µs / request", key: "cpuus", digits: 2, higherIsBetter: false, ratio: false },
  ];
  return formatTable(
    `W1e poll-http engine only: ${requests.toLocaleString("en-US")} request/response cycles over a ScriptedPeer, no I/O (median of ${runs})`,
    columns,
    [row],
  );
}
