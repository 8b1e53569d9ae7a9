/**
 * fetch() through the request pool, against real loopback servers (node:http on port 0) that count
 * their connections: the default `fetch` keeps to 6 connections per origin, `init.priority` orders
 * the queue, an abort takes a queued fetch out of it, a full queue rejects with its cause, and
 * `createFetch({ tree, pool })` shares the pool's limit with direct `pool.request()` calls.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createFetch, Err, fetch, FetchFailure, HTTPRequestPool, Result, SceneTree, type PoolRequest } from "../../src/index.ts";
import { runTree } from "../request/loopback-helpers.ts";

/** A keep-alive server that counts connections and holds its answers until told (or until `holdUntil` requests wait). */
interface GateServer {
  readonly origin: string;
  /** Connections open now. */
  open: number;
  /** The most connections open at once. */
  most: number;
  /** Connections accepted in all. */
  accepted: number;
  /** Paths in the order the requests arrived. */
  readonly paths: string[];
  /** Requests waiting for their answer. */
  readonly waiting: { path: string; res: ServerResponse }[];
  /** Answers every waiting request (the body is its path). */
  release(): void;
  close(): Promise<void>;
}

const servers: GateServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/**
 * @param holdUntil - Answers are held until this many requests wait, or until `total` requests
 * arrived in all (then every waiting one is answered); 0 holds until `release()`.
 * @param total - Requests the test makes (see `holdUntil`).
 */
async function startGateServer(holdUntil = 0, total = Number.POSITIVE_INFINITY): Promise<GateServer> {
  const sockets = new Set<Socket>();
  const state: GateServer = {
    origin: "",
    open: 0,
    most: 0,
    accepted: 0,
    paths: [],
    waiting: [],
    release() {
      for (const { path, res } of state.waiting.splice(0)) {
        res.setHeader("Content-Type", "text/plain");
        res.end(path);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer({ keepAliveTimeout: 30_000 }, (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? "/";
    state.paths.push(path);
    state.waiting.push({ path, res });
    if (holdUntil > 0 && (state.waiting.length >= holdUntil || state.paths.length >= total)) state.release();
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    state.accepted++;
    state.most = Math.max(state.most, ++state.open);
    socket.on("close", () => {
      sockets.delete(socket);
      state.open--;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  (state as { origin: string }).origin = `http://127.0.0.1:${address.port}`;
  servers.push(state);
  return state;
}

/** A tree with a pool of `maxConnectionsPerOrigin` connections per origin, and a fetch over it. */
function pooled(
  maxConnectionsPerOrigin: number,
  maxQueued?: number,
): { tree: SceneTree; pool: HTTPRequestPool; fetch: ReturnType<typeof createFetch> } {
  const tree = new SceneTree();
  const pool = new HTTPRequestPool({ maxConnectionsPerOrigin, ...(maxQueued !== undefined ? { maxQueued } : {}) });
  tree.root.addChild(pool);
  return { tree, pool, fetch: createFetch({ tree, pool }) };
}

/** What a fetch ended with, filled in as the tree is ticked: its body's text, or the error. */
function settled(pending: Promise<Response>): { text: string | null; error: unknown } {
  const out: { text: string | null; error: unknown } = { text: null, error: null };
  pending.then(async (res) => (out.text = await res.text())).catch((error: unknown) => (out.error = error));
  return out;
}

/** Ticks the tree once per event-loop turn until `until()` holds (it may wait on the server, which does not wake the tree). */
async function stepUntil(tree: SceneTree, until: () => boolean, what: string): Promise<void> {
  await runTree(tree, until, { mode: "loop", maxTicks: 100_000, maxMs: 10_000 }, () => what);
}

describe("fetch() through the request pool (loopback)", () => {
  it("50 concurrent fetch() calls to one origin never open more than 6 connections, reused for all 50", async () => {
    const server = await startGateServer(6, 50);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => fetch(`${server.origin}/r${i}`).then(async (res) => [res.status, await res.text()] as const)),
    );
    expect(responses).toEqual(Array.from({ length: 50 }, (_, i) => [200, `/r${i}`]));
    // Answers are held until 6 requests wait at once: 6 connections were open together, never more.
    expect(server.most).toBe(6);
    expect(server.accepted).toBe(6);
    expect(server.paths).toHaveLength(50);
  });

  it('priority "high" queued after "low" ones starts before them (one connection per origin)', async () => {
    const server = await startGateServer();
    const { tree, pool, fetch: poolFetch } = pooled(1);
    const order: string[] = [];
    const get = (path: string, priority?: "high" | "low" | "auto"): Promise<void> =>
      poolFetch(`${server.origin}${path}`, priority === undefined ? {} : { priority }).then(async (res) => {
        order.push(await res.text());
      });
    const all = [get("/first")];
    await stepUntil(tree, () => server.paths.length === 1, "the first request at the server");
    all.push(get("/low-1", "low"), get("/low-2", "low"), get("/auto"), get("/high", "high"));
    await stepUntil(tree, () => pool.getQueuedCount() === 4, "four queued");
    for (let answered = 1; answered <= 5; answered++) {
      await stepUntil(tree, () => server.waiting.length === 1, `request ${answered} at the server`);
      server.release();
    }
    await stepUntil(tree, () => order.length === 5, "five responses");
    await Promise.all(all);
    expect(server.paths).toEqual(["/first", "/high", "/auto", "/low-1", "/low-2"]);
    expect(order).toEqual(server.paths);
    expect(server.accepted).toBe(1);
    tree.root.removeChild(pool);
  });

  it("an abort takes a queued fetch out of the queue: it rejects with the signal's reason and never reaches the server", async () => {
    const server = await startGateServer();
    const { tree, pool, fetch: poolFetch } = pooled(1);
    const first = settled(poolFetch(`${server.origin}/first`));
    await stepUntil(tree, () => server.paths.length === 1, "the first request at the server");
    const controller = new AbortController();
    const queued = poolFetch(`${server.origin}/queued`, { signal: controller.signal });
    const after = settled(poolFetch(`${server.origin}/after`));
    await stepUntil(tree, () => pool.getQueuedCount() === 2, "two queued");
    const rejected = expect(queued).rejects.toMatchObject({ name: "AbortError" });
    controller.abort();
    expect(pool.getQueuedCount()).toBe(1);
    await rejected;
    server.release();
    await stepUntil(tree, () => first.text !== null && server.waiting.length === 1, "the first response, the next request at the server");
    server.release();
    await stepUntil(tree, () => after.text !== null, "the last response");
    expect([first.text, after.text]).toEqual(["/first", "/after"]);
    expect(server.paths).toEqual(["/first", "/after"]);
    tree.root.removeChild(pool);
  });

  it("a full queue rejects with a TypeError whose cause is a FetchFailure with ERR_BUSY", async () => {
    const server = await startGateServer();
    const { tree, pool, fetch: poolFetch } = pooled(1, 1);
    const first = settled(poolFetch(`${server.origin}/first`));
    await stepUntil(tree, () => server.paths.length === 1, "the first request at the server");
    const second = settled(poolFetch(`${server.origin}/second`));
    const error: unknown = await poolFetch(`${server.origin}/third`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    const cause = (error as TypeError).cause;
    expect(cause).toBeInstanceOf(FetchFailure);
    expect(cause).toMatchObject({ err: Err.ERR_BUSY, result: Result.RESULT_REQUEST_FAILED, responseCode: 0 });
    expect((cause as FetchFailure).reason).toMatch(/queue is full/);
    server.release();
    await stepUntil(tree, () => first.text !== null && server.waiting.length === 1, "the first response, the second request at the server");
    server.release();
    await stepUntil(tree, () => second.text !== null, "the second response");
    expect([first.text, second.text]).toEqual(["/first", "/second"]);
    expect(server.paths).toEqual(["/first", "/second"]);
    tree.root.removeChild(pool);
  });

  it("createFetch({ tree, pool }) shares the pool's per-origin limit with direct pool.request() calls", async () => {
    const server = await startGateServer(2, 8);
    const { tree, pool, fetch: poolFetch } = pooled(2);
    const direct: PoolRequest[] = [];
    const texts: string[] = [];
    let directDone = 0;
    for (let i = 0; i < 4; i++) {
      const job = pool.request(`${server.origin}/direct-${i}`);
      expect(job.err).toBe(Err.OK);
      job.requestCompleted.connect((result, code) => {
        if (result === Result.RESULT_SUCCESS && code === 200) directDone++;
      });
      direct.push(job);
      void poolFetch(`${server.origin}/fetch-${i}`).then(async (res) => texts.push(await res.text()));
    }
    expect(pool.getQueuedCount()).toBe(8);
    await stepUntil(tree, () => directDone === 4 && texts.length === 4, "all eight requests");
    expect(texts.sort()).toEqual(["/fetch-0", "/fetch-1", "/fetch-2", "/fetch-3"]);
    expect(direct.map((job) => job.getState())).toEqual(["done", "done", "done", "done"]);
    // Answers are held until 2 requests wait at once: the pool's 2 connections carried all 8.
    expect(server.most).toBe(2);
    expect(server.accepted).toBe(2);
    tree.root.removeChild(pool);
  });
});
