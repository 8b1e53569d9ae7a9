/**
 * HTTPRequestPool against real loopback servers (node:http on port 0): connections counted at the
 * servers (open at once, accepted in all, requests per connection), priorities, cancel, a full
 * queue, the pool leaving the tree (file descriptors back to the baseline), and the features of
 * HTTPRequest giving the same results through the pool.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import {
  Err,
  HTTPRequest,
  HTTPRequestPool,
  Method,
  Result,
  SceneTree,
  resultName,
  type PoolRequest,
  type RequestCompletedArgs,
} from "../../src/index.ts";
import { runTree } from "../request/loopback-helpers.ts";
import { tick } from "../helpers/wait.ts";

/** A keep-alive HTTP server that counts its connections. */
interface CountingServer {
  readonly origin: string;
  /** Connections open now (a connection stops counting when its client's FIN arrives). */
  open: number;
  /** The most connections open at once. */
  most: number;
  /** Connections accepted in all. */
  accepted: number;
  /** Requests served per connection, in order of acceptance. */
  readonly perConnection: number[];
  /** Paths in the order requests arrived. */
  readonly paths: string[];
  close(): Promise<void>;
}

/** The connections open over every server of the current test, and the most at once. */
const everywhere = { live: new Set<Socket>(), most: 0 };

const servers: CountingServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  everywhere.live = new Set<Socket>();
  everywhere.most = 0;
});

const GZIP_TEXT = "pooled and compressed ".repeat(50);
const GZIP_BODY = gzipSync(Buffer.from(GZIP_TEXT));

async function startServer(
  route: (
    path: string,
    origins: CountingServer[],
  ) => { status?: number; headers?: Record<string, string>; body?: string | Buffer } | null = () => null,
): Promise<CountingServer> {
  const sockets = new Set<Socket>();
  const served = new Map<Socket, number>();
  const state: CountingServer = {
    origin: "",
    open: 0,
    most: 0,
    accepted: 0,
    perConnection: [],
    paths: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    const path = req.url ?? "/";
    state.paths.push(path);
    const index = served.get(req.socket) ?? -1;
    if (index >= 0) state.perConnection[index] = (state.perConnection[index] ?? 0) + 1;
    const answer = route(path, servers);
    if (answer === null) {
      res.setHeader("Content-Type", "text/plain");
      res.end(path);
      return;
    }
    if (answer.body === undefined && answer.status === undefined) return; // never answer
    res.writeHead(answer.status ?? 200, answer.headers ?? {});
    res.end(answer.body ?? "");
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    served.set(socket, state.accepted++);
    state.perConnection.push(0);
    state.most = Math.max(state.most, ++state.open);
    const live = everywhere.live; // a socket of an earlier test closing late counts against that test's set
    live.add(socket);
    everywhere.most = Math.max(everywhere.most, live.size);
    let counted = true;
    const gone = (): void => {
      if (!counted) return;
      counted = false;
      state.open--;
      live.delete(socket);
    };
    socket.on("end", gone); // the client's FIN: it closed its side
    socket.on("close", () => {
      gone();
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  (state as { origin: string }).origin = `http://127.0.0.1:${address.port}`;
  servers.push(state);
  return state;
}

function poolInTree(options: ConstructorParameters<typeof HTTPRequestPool>[0] = {}): { tree: SceneTree; pool: HTTPRequestPool } {
  const tree = new SceneTree();
  const pool = new HTTPRequestPool(options);
  tree.root.addChild(pool);
  return { tree, pool };
}

/** Queues `count` GETs of `<origin>/<prefix><i>` and collects their completions. */
function queue(
  pool: HTTPRequestPool,
  origin: string,
  count: number,
  prefix = "r",
): { jobs: PoolRequest[]; done: Array<[path: string, ...RequestCompletedArgs]> } {
  const done: Array<[string, ...RequestCompletedArgs]> = [];
  const jobs: PoolRequest[] = [];
  for (let i = 0; i < count; i++) {
    const path = `/${prefix}${i}`;
    const job = pool.request(origin + path);
    expect(job.err).toBe(Err.OK);
    job.requestCompleted.connect((...args) => done.push([path, ...args]));
    jobs.push(job);
  }
  return { jobs, done };
}

const text = (body: Uint8Array): string => Buffer.from(body).toString("latin1");

function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

describe("HTTPRequestPool over loopback", () => {
  it("1,000 queued requests to one origin: never more than 6 connections at the server, all complete, connections reused", async () => {
    const server = await startServer();
    const { tree, pool } = poolInTree();
    const { done } = queue(pool, server.origin, 1000);
    expect(pool.getQueuedCount()).toBe(1000);
    await runTree(tree, () => done.length === 1000, { maxTicks: 20_000, maxMs: 15_000 });
    expect(done.every(([path, result, code, , body]) => result === Result.RESULT_SUCCESS && code === 200 && text(body) === path)).toBe(
      true,
    );
    expect(server.most).toBe(6);
    expect(server.accepted).toBe(6);
    expect(server.perConnection.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(Math.min(...server.perConnection)).toBeGreaterThan(50); // each of the 6 carried many
    tree.root.removeChild(pool);
  });

  it("two origins get 6 connections each; maxConnections holds across origins", async () => {
    const a = await startServer();
    const b = await startServer();
    {
      const { tree, pool } = poolInTree();
      const qa = queue(pool, a.origin, 120);
      const qb = queue(pool, b.origin, 120);
      await runTree(tree, () => qa.done.length + qb.done.length === 240, { maxMs: 10_000 });
      expect([a.most, b.most, a.accepted, b.accepted]).toEqual([6, 6, 6, 6]);
      tree.root.removeChild(pool);
    }
    await waitFor(() => everywhere.live.size === 0);
    everywhere.most = 0;
    const c = await startServer();
    const { tree, pool } = poolInTree({ maxConnections: 8 });
    // Three origins, uneven queues: when one runs dry its idle connections make room for the others.
    const q = [queue(pool, a.origin, 40, "x"), queue(pool, b.origin, 150, "y"), queue(pool, c.origin, 150, "z")];
    await runTree(tree, () => q.every((x) => x.done.length === x.jobs.length), { maxMs: 10_000 });
    expect(q.flatMap((x) => x.done).every(([, result, code]) => result === Result.RESULT_SUCCESS && code === 200)).toBe(true);
    expect(everywhere.most).toBe(8);
    expect(pool.getConnectionCount()).toBeLessThanOrEqual(8);
    tree.root.removeChild(pool);
  });

  it("priorities change the start order as the server sees it", async () => {
    const server = await startServer();
    const { tree, pool } = poolInTree({ maxConnectionsPerOrigin: 1 });
    const order: Array<[string, Parameters<HTTPRequestPool["request"]>[4]]> = [
      ["/auto", {}],
      ["/low", { priority: "low" }],
      ["/p10", { priority: 10 }],
      ["/high", { priority: "high" }],
      ["/p999", { priority: 999 }],
    ];
    let left = order.length + 1;
    const moved = pool.request(`${server.origin}/moved`, [], Method.METHOD_GET, "", { priority: 2 });
    moved.requestCompleted.connect(() => left--);
    for (const [path, options] of order)
      pool.request(server.origin + path, [], Method.METHOD_GET, "", options).requestCompleted.connect(() => left--);
    expect(moved.setPriority(800)).toBe(Err.OK);
    await runTree(tree, () => left === 0, { maxMs: 5_000 });
    expect(server.paths).toEqual(["/p999", "/moved", "/high", "/auto", "/low", "/p10"]);
    tree.root.removeChild(pool);
  });

  it("cancels queued and running requests; a full queue refuses with ERR_BUSY", async () => {
    const server = await startServer((path) => (path === "/hang" ? {} : null));
    const { tree, pool } = poolInTree({ maxConnectionsPerOrigin: 1, maxQueued: 2 });
    const hanging = pool.request(`${server.origin}/hang`);
    // A request with no answer wakes nothing: step the tree in a loop until the server saw it.
    await runTree(tree, () => server.paths.length === 1, { mode: "loop", maxMs: 5_000 });
    expect(hanging.getState()).toBe("running");
    const first = pool.request(`${server.origin}/first`);
    const second = pool.request(`${server.origin}/second`);
    const refused = pool.request(`${server.origin}/third`);
    expect([refused.err, refused.getState()]).toEqual([Err.ERR_BUSY, "refused"]);
    first.cancel();
    hanging.cancel();
    expect([first.getState(), hanging.getState()]).toEqual(["cancelled", "cancelled"]);
    let secondDone: RequestCompletedArgs | null = null;
    second.requestCompleted.connect((...args) => (secondDone = args));
    const emitted: string[] = [];
    hanging.requestCompleted.connect(() => emitted.push("hang"));
    first.requestCompleted.connect(() => emitted.push("first"));
    await runTree(tree, () => secondDone !== null, { maxMs: 5_000 });
    expect(server.paths).toEqual(["/hang", "/second"]);
    expect(server.accepted).toBe(2); // the cancelled request's connection was closed
    expect(emitted).toEqual([]);
    tree.root.removeChild(pool);
  });

  it("leaving the tree closes every connection: file descriptors back to the baseline", async () => {
    const server = await startServer((path) => (path.startsWith("/hang") ? {} : null));
    const baseline = openFds();
    const { tree, pool } = poolInTree();
    const { done } = queue(pool, server.origin, 30);
    await runTree(tree, () => done.length === 30, { maxMs: 5_000 });
    const hanging = queue(pool, server.origin, 10, "hang");
    await runTree(tree, () => server.paths.length === 36, { mode: "loop", maxMs: 5_000 });
    expect(openFds()).toBeGreaterThan(baseline + 6); // 6 client and 6 server sockets
    expect(hanging.jobs.map((j) => j.getState()).filter((s) => s === "running")).toHaveLength(6);
    tree.root.removeChild(pool);
    expect(hanging.jobs.every((j) => j.getState() === "cancelled")).toBe(true);
    await waitFor(() => server.open === 0 && openFds() === baseline);
    expect(openFds()).toBe(baseline);
  });

  it("redirects, gzip, limits, timeouts, integrity and downloads give the same results through the pool as on an HTTPRequest", async () => {
    const other = await startServer();
    const server = await startServer((path) => {
      switch (path) {
        case "/to-other":
          return { status: 302, headers: { Location: `${other.origin}/landed` } };
        case "/gzip":
          return { headers: { "Content-Encoding": "gzip", "Content-Length": String(GZIP_BODY.length) }, body: GZIP_BODY };
        case "/big":
          return { body: Buffer.alloc(100_000, 7) };
        case "/missing":
          return { status: 404, body: "no" };
        case "/hang":
          return {};
        default:
          return null;
      }
    });
    const sha = createHash("sha256").update("/checked").digest("base64");
    const cases: Array<{ path: string; options?: Parameters<HTTPRequestPool["request"]>[4]; set?: (r: HTTPRequest) => void }> = [
      { path: "/to-other" },
      { path: "/gzip" },
      { path: "/big", options: { bodySizeLimit: 1000 }, set: (r) => (r.bodySizeLimit = 1000) },
      { path: "/missing" },
      { path: "/hang", options: { timeout: 0.2 }, set: (r) => (r.timeout = 0.2) },
      { path: "/checked", options: { integrity: `sha256-${sha}` } },
      { path: "/checked", options: { integrity: "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" } },
      { path: "/to-other", options: { maxRedirects: 0 }, set: (r) => (r.maxRedirects = 0) },
    ];
    const viaNode: string[] = [];
    for (const c of cases) {
      const tree = new SceneTree();
      const node = new HTTPRequest();
      tree.root.addChild(node);
      c.set?.(node);
      let got: string | null = null;
      node.requestCompleted.connect((result, code, _headers, body) => (got = `${resultName(result)} ${code} ${text(body).slice(0, 40)}`));
      const { integrity } = c.options ?? {};
      expect(node.request(server.origin + c.path, [], Method.METHOD_GET, "", integrity !== undefined ? { integrity } : {})).toBe(Err.OK);
      await runTree(tree, () => got !== null, { maxMs: 5_000 });
      viaNode.push(got ?? "");
      tree.root.removeChild(node);
    }
    const { tree, pool } = poolInTree();
    const viaPool: string[] = [];
    let left = cases.length;
    cases.forEach((c, i) => {
      pool
        .request(server.origin + c.path, [], Method.METHOD_GET, "", c.options ?? {})
        .requestCompleted.connect((result, code, _headers, body) => {
          viaPool[i] = `${resultName(result)} ${code} ${text(body).slice(0, 40)}`;
          left--;
        });
    });
    await runTree(tree, () => left === 0, { maxMs: 5_000 });
    expect(viaPool).toEqual(viaNode);
    expect(viaNode.slice(0, 5).map((s) => s.split(" ").slice(0, 2).join(" "))).toEqual([
      "RESULT_SUCCESS 200",
      "RESULT_SUCCESS 200",
      "RESULT_BODY_SIZE_LIMIT_EXCEEDED 200",
      "RESULT_SUCCESS 404",
      "RESULT_TIMEOUT 0",
    ]);
    expect(viaPool[1]).toContain(GZIP_TEXT.slice(0, 30));
    tree.root.removeChild(pool);
  });

  it("each request writes its own download file; timings and byte counts stay readable once done", async () => {
    const server = await startServer();
    const dir = mkdtempSync(join(tmpdir(), "pool-download-"));
    try {
      const { tree, pool } = poolInTree({ maxConnectionsPerOrigin: 2 });
      const names = ["one", "two", "three"];
      const jobs = names.map((n) =>
        pool.request(`${server.origin}/file-${n}`, [], Method.METHOD_GET, "", { downloadFile: join(dir, `${n}.txt`) }),
      );
      const ended: Array<[number, number, number]> = [];
      for (const job of jobs) job.requestCompleted.connect((result, code, _h, body) => ended.push([result, code, body.length]));
      expect(jobs.map((j) => j.downloadFile)).toEqual(names.map((n) => join(dir, `${n}.txt`)));
      await runTree(tree, () => ended.length === 3, { maxMs: 5_000 });
      expect(ended).toEqual(Array(3).fill([Result.RESULT_SUCCESS, 200, 0]));
      expect(names.map((n) => readFileSync(join(dir, `${n}.txt`), "latin1"))).toEqual(names.map((n) => `/file-${n}`));
      for (const [i, job] of jobs.entries()) {
        expect(job.getDownloadedBytes()).toBe(`/file-${names[i]}`.length);
        expect(job.getBodySize()).toBe(`/file-${names[i]}`.length);
        expect(job.getTimings().total).toBeGreaterThanOrEqual(0);
      }
      tree.root.removeChild(pool);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Turns the event loop until `done()` (at most 3 s of turns), for closes to reach the other end. */
async function waitFor(done: () => boolean): Promise<void> {
  const until = Date.now() + 3_000;
  while (!done() && Date.now() < until) await tick();
}
