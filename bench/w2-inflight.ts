// W2 (a), many in flight: batches of requests for a 13-byte body spread over a pool of keep-alive
// connections (1,000 over 50 by default), each connection carrying one request at a time.
import { Agent } from "node:http";
import { connect as netConnect, type Socket } from "node:net";
import type { Pool } from "undici";
import type { HTTPClient } from "../src/index.ts";
import { countingGet } from "./node-http-get.ts";
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
import { connectClient, type GetLoop, stepGets } from "./poll-driver.ts";
import { SMALL_BODY } from "./server.ts";
import { treeClient } from "./w2-tree.ts";
import { poolClient } from "./w2-pool.ts";
import { loadUndici } from "./undici-peer.ts";

/** Settings of a W2 (a) run. */
export interface W2Options {
  readonly host: string;
  readonly port: number;
  /** Requests per batch (all issued at once). */
  readonly requests: number;
  /** Keep-alive connections. */
  readonly connections: number;
  /** Measured batches per run, after one warm-up batch (at most; see `budgetSeconds`). */
  readonly batches: number;
  /** A client's measured batches stop once this many seconds have passed (at least two batches run), so slow peers do not stretch the suite. */
  readonly budgetSeconds: number;
  readonly runs: number;
  readonly clients: readonly string[];
  /** Bytes of one whole `/small` response on the wire (for the raw socket). */
  readonly responseBytes: number;
  /** Label of the server in the title. */
  readonly server: string;
  /**
   * poll-http's row: `clients` (W2a: one HTTPClient per connection, one poll loop) or `tree`
   * (W2b: one HTTPRequest node per connection in a SceneTree run by TreeRunner).
   */
  readonly subject: "clients" | "tree";
}

/** A client of W2: open its pool, run batches, close. */
export interface PoolClient {
  open(): Promise<void>;
  /** Runs `n` requests with at most `connections` at once; returns the body bytes received. */
  batch(n: number): Promise<number>;
  close(): Promise<void>;
}

const PATH = "/small";

/**
 * poll-http: one HTTPClient per connection, all driven by one loop. A client's activity listener
 * puts it on the ready list and schedules one `setImmediate` step for the whole pool; the step polls
 * the ready clients, reads their bodies and gives each idle client the next request.
 */
function pollHttp(host: string, port: number, connections: number): PoolClient {
  const clients: HTTPClient[] = [];
  return {
    async open() {
      for (let i = 0; i < connections; i++) clients.push(await connectClient("immediate", port, host));
    },
    batch(n) {
      return new Promise<number>((resolve, reject) => {
        let left = n; // not yet started
        let pending = n; // not yet finished
        let bytes = 0;
        const sent = new Uint8Array(clients.length);
        const ready: number[] = [];
        const queued = new Uint8Array(clients.length);
        let scheduled = false;
        const finish = (error: Error | null): void => {
          for (const c of clients) c.setActivityListener(null);
          if (error === null) resolve(bytes);
          else reject(error);
        };
        const onPiece = (piece: Uint8Array): void => {
          bytes += piece.length;
        };
        /** Client i's GETs: on each idle, count the one finished and give it the next, if any are left. */
        const loops = clients.map(
          (_, i): GetLoop => ({
            path: PATH,
            onPiece,
            onIdle: () => {
              if (sent[i] === 1) {
                sent[i] = 0;
                if (--pending === 0) return "done";
              }
              if (left === 0) return "wait";
              left--;
              sent[i] = 1;
              return "request";
            },
          }),
        );
        /** Advances one client as far as it goes; false when the batch is over (done or failed). */
        const advance = (i: number): boolean => {
          const c = clients[i];
          const loop = loops[i];
          if (c === undefined || loop === undefined) return true;
          return stepGets(c, loop) === "wait";
        };
        const step = (): void => {
          scheduled = false;
          try {
            while (ready.length > 0) {
              const i = ready.pop() ?? 0;
              queued[i] = 0;
              if (!advance(i)) {
                finish(null);
                return;
              }
            }
          } catch (error) {
            finish(error instanceof Error ? error : new Error(String(error)));
          }
        };
        const wake = (i: number): void => {
          if (queued[i] === 0) {
            queued[i] = 1;
            ready.push(i);
          }
          if (!scheduled) {
            scheduled = true;
            setImmediate(step);
          }
        };
        clients.forEach((c, i) => {
          c.setActivityListener(() => wake(i));
          wake(i);
        });
      });
    },
    async close() {
      for (const c of clients) c.close();
      clients.length = 0;
    },
  };
}

function undici(host: string, port: number, connections: number): PoolClient {
  let pool: Pool | null = null;
  return {
    async open() {
      const undiciModule = await loadUndici();
      pool = new undiciModule.Pool(`http://${host}:${port}`, { connections, pipelining: 1 });
      await this.batch(connections);
    },
    async batch(n) {
      const p = pool;
      if (p === null) throw new Error("not open");
      const one = async (): Promise<number> => {
        const { body } = await p.request({ path: PATH, method: "GET" });
        return (await body.arrayBuffer()).byteLength;
      };
      const all = await Promise.all(Array.from({ length: n }, one));
      return all.reduce((a, b) => a + b, 0);
    },
    async close() {
      await pool?.close();
      pool = null;
    },
  };
}

function nodeHttp(port: number, connections: number): PoolClient {
  let agent: Agent | null = null;
  return {
    async open() {
      agent = new Agent({ keepAlive: true, maxSockets: connections });
      await this.batch(connections);
    },
    async batch(n) {
      const a = agent;
      if (a === null) throw new Error("not open");
      const all = await Promise.all(Array.from({ length: n }, () => countingGet(port, PATH, a)));
      return all.reduce((x, y) => x + y, 0);
    },
    async close() {
      agent?.destroy();
      agent = null;
    },
  };
}

/** Runs `n` jobs on `workers` sequential workers (fetch and the raw socket keep a fixed pool that way). */
async function onWorkers(n: number, workers: number, job: (worker: number) => Promise<number>): Promise<number> {
  let left = n;
  let total = 0;
  const worker = async (w: number): Promise<void> => {
    while (left > 0) {
      left--;
      const got = await job(w);
      total += got;
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, n) }, (_, w) => worker(w)));
  return total;
}

function globalFetch(host: string, port: number, connections: number): PoolClient {
  const url = `http://${host}:${port}${PATH}`;
  const one = async (): Promise<number> => (await (await fetch(url)).arrayBuffer()).byteLength;
  return {
    async open() {
      await onWorkers(connections, connections, one);
    },
    batch: (n) => onWorkers(n, connections, one),
    async close() {},
  };
}

/** The floor: bare sockets that write the request and count response bytes. */
function rawSockets(host: string, port: number, connections: number, responseBytes: number): PoolClient {
  const request = Buffer.from(`GET ${PATH} HTTP/1.1\r\nHost: ${host}:${port}\r\nUser-Agent: raw\r\nAccept: */*\r\n\r\n`, "latin1");
  const sockets: Socket[] = [];
  const one = (s: Socket): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      let got = 0;
      const onData = (chunk: Buffer): void => {
        got += chunk.length;
        if (got >= responseBytes) {
          s.off("data", onData);
          s.off("error", reject);
          resolve(SMALL_BODY.length);
        }
      };
      s.on("data", onData);
      s.once("error", reject);
      s.write(request);
    });
  return {
    async open() {
      for (let i = 0; i < connections; i++) {
        const s = netConnect({ host, port });
        s.setNoDelay(true);
        await new Promise<void>((resolve, reject) => {
          s.once("connect", resolve);
          s.once("error", reject);
        });
        sockets.push(s);
      }
    },
    batch: (n) => onWorkers(n, sockets.length, (w) => one(sockets[w] as Socket)),
    async close() {
      for (const s of sockets) s.destroy();
      sockets.length = 0;
    },
  };
}

/** Batches of the unmeasured pass that warms every client up before the measured runs. */
const WARM_UP_PASS_BATCHES = 3;

const COLUMNS: readonly Column[] = [
  { title: "req/s", key: "rps", digits: 0, higherIsBetter: true, ratio: true },
  { title: "CPU µs / req", key: "cpu", digits: 2, higherIsBetter: false, ratio: true },
];

/**
 * Runs W2 (a or b): an unmeasured warm-up pass of every client, then every client `runs` times,
 * interleaved with the order rotated each run; each run opens its pool, runs one warm-up batch,
 * then `batches` measured batches.
 *
 * @returns The printed table and its rows.
 */
export async function runW2(options: W2Options): Promise<{ text: string; rows: Row[] }> {
  const { host, port, requests, connections, batches, runs } = options;
  const entries: ReadonlyArray<ClientEntry<PoolClient>> = [
    {
      id: "poll",
      name: "poll-http",
      make: () => (options.subject === "tree" ? treeClient(host, port, connections) : pollHttp(host, port, connections)),
    },
    ...(options.subject === "tree" ? [{ id: "pool", name: "poll-http pool", make: () => poolClient(host, port, connections) }] : []),
    { id: "undici", name: "undici", make: () => undici(host, port, connections) },
    { id: "http", name: "node:http", make: () => nodeHttp(port, connections) },
    { id: "fetch", name: "fetch", make: () => globalFetch(host, port, connections) },
    { id: "raw", name: "raw socket", make: () => rawSockets(host, port, connections, options.responseBytes) },
  ];
  const selected = selectClients(entries, options.clients);
  const rows = selected.map((e) => newRow(e.name));
  // An unmeasured pass of every client first, so that no measured run pays for the JIT warming up
  // (each run builds a new pool; without it the first runs of a client measure compilation).
  for (const entry of selected) {
    const client = entry.make();
    try {
      await withTimeout(client.open(), 30_000, `${entry.name} open`);
      for (let i = 0; i < WARM_UP_PASS_BATCHES; i++) await withTimeout(client.batch(requests), 60_000, `${entry.name} warm-up pass`);
    } catch (error) {
      rows[selected.indexOf(entry)]!.note = `FAILED: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      await client.close();
    }
  }
  for (const [entry, row] of interleaved(runs, selected, rows)) {
    if (row.note.startsWith("FAILED")) continue;
    const client = entry.make();
    try {
      await withTimeout(client.open(), 30_000, `${entry.name} open`);
      await withTimeout(client.batch(requests), 60_000, `${entry.name} warm-up`);
      const end = startSpan();
      const t0 = performance.now();
      let bytes = 0;
      let done = 0;
      while (done < batches && (done < 2 || performance.now() - t0 < options.budgetSeconds * 1000)) {
        bytes += await withTimeout(client.batch(requests), 60_000, `${entry.name} batch`);
        done++;
      }
      const span = end();
      const total = requests * done;
      if (bytes !== total * SMALL_BODY.length) throw new Error(`got ${bytes} body bytes, expected ${total * SMALL_BODY.length}`);
      addSample(row, "rps", total / span.seconds);
      addSample(row, "cpu", (span.cpuSeconds / total) * 1e6);
    } catch (error) {
      row.note = `FAILED: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      await client.close();
    }
  }
  const how =
    options.subject === "tree"
      ? `poll-http = ${connections.toLocaleString("en-US")} HTTPRequest nodes in one SceneTree, poll-http pool = one HTTPRequestPool with ${connections.toLocaleString("en-US")} connections, TreeRunner as-fast-as-possible`
      : `poll-http = ${connections} HTTPClients in one poll loop`;
  const title = `W2${options.subject === "tree" ? "b" : "a"} many in flight (${options.server}): up to ${batches} batches (${options.budgetSeconds} s) of ${requests.toLocaleString("en-US")} GETs of a 13-byte body over ${connections.toLocaleString("en-US")} keep-alive connections; ${how} (median of ${runs}; every client warmed up first)`;
  return { text: formatTable(title, COLUMNS, rows), rows };
}
