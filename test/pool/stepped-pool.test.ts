/**
 * HTTPRequestPool stepped over a ScriptedNetwork: no socket, no timer. Start order by priority and
 * queue order, limits per origin and overall, the per-tick budgets, cancel, a full queue, and the
 * same start order and signals on every run at every byte split of the responses.
 */
import { describe, expect, it } from "vitest";
import {
  CASSETTE_VERSION,
  DEFAULT_TICK_BUDGET_MS,
  Err,
  HTTPRequestPool,
  Method,
  type Network,
  NodeNetwork,
  PRIORITY_AUTO,
  PRIORITY_HIGH,
  PRIORITY_LOW,
  RecordingNetwork,
  ReplayNetwork,
  SceneTree,
  ScriptedNetwork,
  resultName,
  type HTTPRequestPoolOptions,
  type PoolRequest,
  type PoolRequestOptions,
  type ScriptedPeer,
} from "../../src/index.ts";

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");

/** The response the scripted server gives to a request for `path`: its path as the body. */
function response(path: string): Uint8Array {
  return Buffer.from(`HTTP/1.1 200 OK\r\nX-Path: ${path}\r\nContent-Length: ${path.length}\r\n\r\n${path}`, "latin1");
}

interface Rig {
  readonly tree: SceneTree;
  readonly pool: HTTPRequestPool;
  readonly network: ScriptedNetwork;
  /** Every event of every handle, in emission order, without tick numbers. */
  readonly events: string[];
  /** The order requests started in (their names). */
  readonly starts: string[];
  /** Queues a request to `http://<host>/<name>` and records its signals. */
  add(host: string, name: string, options?: PoolRequestOptions): PoolRequest;
  tick(): void;
  /** Serves every request head the client wrote since the last call: queues `split(response)` for its peer. */
  serve(split?: (bytes: Uint8Array) => Uint8Array[]): void;
  /** Pushes one queued piece to each peer that has one; false when none had. */
  pushPieces(): boolean;
  /** Serves and pushes and ticks until nothing is running or queued (at most `max` ticks). */
  runToEnd(split?: (bytes: Uint8Array) => Uint8Array[], max?: number): void;
}

function rig(options: HTTPRequestPoolOptions = {}): Rig {
  const network = new ScriptedNetwork().addHost("a.test", ["10.0.0.1"]).addHost("b.test", ["10.0.0.2"]).addHost("c.test", ["10.0.0.3"]);
  network.autoAccept = true;
  const tree = new SceneTree();
  // On a ScriptedNetwork the counts alone budget a tick by default (tickBudgetMs 0).
  const pool = new HTTPRequestPool({ network, ...options });
  tree.root.addChild(pool);
  const events: string[] = [];
  const starts: string[] = [];
  const pieces = new Map<ScriptedPeer, Uint8Array[]>();
  const serve = (split: (bytes: Uint8Array) => Uint8Array[] = (b) => [b]): void => {
    for (const peer of network.connections) {
      if (peer.isClosed()) continue;
      const out = peer.takeOutgoingText();
      for (const match of out.matchAll(/^GET (\S+) HTTP\/1\.1\r\n/gm)) {
        const queue = pieces.get(peer) ?? [];
        queue.push(...split(response(match[1] ?? "")));
        pieces.set(peer, queue);
      }
    }
  };
  const pushPieces = (): boolean => {
    let any = false;
    for (const [peer, queue] of pieces) {
      const piece = queue.shift();
      if (piece === undefined) continue;
      any = true;
      if (!peer.isClosed()) peer.pushIncoming(piece);
    }
    return any;
  };
  const tick = (): void => tree.process(1 / 60);
  return {
    tree,
    pool,
    network,
    events,
    starts,
    tick,
    serve,
    pushPieces,
    add(host, name, options = {}) {
      const job = pool.request(`http://${host}/${name}`, [], Method.METHOD_GET, "", options);
      job.started.connect(() => {
        starts.push(name);
        events.push(`${name} started`);
      });
      job.headersReceived.connect((code, headers) => events.push(`${name} headers ${code} ${headers.join("|")}`));
      job.requestCompleted.connect((result, code, headers, body) =>
        events.push(`${name} completed ${resultName(result)} ${code} ${headers.length} ${latin1(body)}`),
      );
      return job;
    },
    runToEnd(split, max = 500) {
      for (let i = 0; i < max; i++) {
        if (pool.getQueuedCount() === 0 && pool.getRunningCount() === 0) return;
        serve(split);
        pushPieces();
        tick();
      }
      throw new Error(`still ${pool.getQueuedCount()} queued and ${pool.getRunningCount()} running after ${max} ticks`);
    },
  };
}

describe("HTTPRequestPool (stepped)", () => {
  it("starts queued requests by priority, then in queue order, and maps Fetch's words onto 1-1000", () => {
    const r = rig({ maxConnectionsPerOrigin: 1 });
    const jobs = [
      r.add("a.test", "auto1"),
      r.add("a.test", "low", { priority: "low" }),
      r.add("a.test", "n900", { priority: 900 }),
      r.add("a.test", "high", { priority: "high" }),
      r.add("a.test", "auto2", { priority: "auto" }),
      r.add("a.test", "n1", { priority: 1 }),
      r.add("a.test", "n1000", { priority: 1000 }),
    ];
    expect(jobs.map((j) => j.getPriority())).toEqual([PRIORITY_AUTO, PRIORITY_LOW, 900, PRIORITY_HIGH, PRIORITY_AUTO, 1, 1000]);
    expect(jobs.map((j) => j.getState())).toEqual(Array(7).fill("queued"));
    r.runToEnd();
    expect(r.starts).toEqual(["n1000", "n900", "high", "auto1", "auto2", "low", "n1"]);
    expect(jobs.every((j) => j.getState() === "done")).toBe(true);
    expect(r.network.connections).toHaveLength(1); // one connection carried all seven
  });

  it("a queued request's priority can change; a started one's cannot; bad priorities are refused", () => {
    const r = rig({ maxConnectionsPerOrigin: 1 });
    const first = r.add("a.test", "first");
    const x = r.add("a.test", "x");
    const y = r.add("a.test", "y");
    const z = r.add("a.test", "z", { priority: "low" });
    r.tick(); // "first" starts
    expect(first.getState()).toBe("running");
    expect(z.setPriority("high")).toBe(Err.OK);
    expect(x.setPriority(2)).toBe(Err.OK);
    expect(y.setPriority(0)).toBe(Err.ERR_INVALID_PARAMETER);
    expect(first.setPriority("high")).toBe(Err.ERR_UNAVAILABLE);
    r.runToEnd();
    expect(r.starts).toEqual(["first", "z", "y", "x"]);
    const bad = r.pool.request("http://a.test/", [], Method.METHOD_GET, "", { priority: 1001 });
    expect([bad.err, bad.getState()]).toEqual([Err.ERR_INVALID_PARAMETER, "refused"]);
  });

  it("holds maxConnectionsPerOrigin per origin and maxConnections over all, closing an idle connection of another origin to make room", () => {
    const r = rig({ maxConnectionsPerOrigin: 2, maxConnections: 3 });
    for (let i = 0; i < 4; i++) r.add("a.test", `a${i}`);
    for (let i = 0; i < 4; i++) r.add("b.test", `b${i}`);
    r.tick();
    expect(r.starts).toEqual(["a0", "a1", "b0"]); // queue order across origins; a capped at 2, all at 3
    expect([r.pool.getConnectionCount("http://a.test"), r.pool.getConnectionCount("http://b.test"), r.pool.getConnectionCount()]).toEqual([
      2, 1, 3,
    ]);
    let most = 0;
    for (let i = 0; i < 100 && (r.pool.getQueuedCount() > 0 || r.pool.getRunningCount() > 0); i++) {
      r.serve();
      r.pushPieces();
      r.tick();
      const open = r.network.connections.filter((p) => !p.isClosed()).length;
      most = Math.max(most, open);
      expect(r.pool.getConnectionCount("http://a.test")).toBeLessThanOrEqual(2);
      expect(r.pool.getConnectionCount("http://b.test")).toBeLessThanOrEqual(2);
    }
    expect(most).toBe(3);
    expect(r.events.filter((e) => e.includes("completed RESULT_SUCCESS 200"))).toHaveLength(8);
    // c.test waits for a slot: every connection is idle now, so one of another origin is closed for it.
    r.add("c.test", "c0");
    r.runToEnd();
    expect(r.pool.getConnectionCount()).toBe(3);
    expect(r.pool.getConnectionCount("http://c.test")).toBe(1);
    expect(r.network.connections.filter((p) => !p.isClosed())).toHaveLength(3);
  });

  it("opens at most maxNewConnectionsPerTick new connections per tick; reused ones are not counted", () => {
    const r = rig({ maxConnectionsPerOrigin: 10, maxNewConnectionsPerTick: 3 });
    for (let i = 0; i < 10; i++) r.add("a.test", `r${i}`);
    const opened: number[] = [];
    for (let i = 0; i < 4; i++) {
      r.tick();
      opened.push(r.network.connections.length);
    }
    expect(opened).toEqual([3, 6, 9, 10]);
    expect(r.pool._nextDeadline()).toBeNull();
    // Ten more to the ten idle connections: all start in one tick.
    r.runToEnd();
    for (let i = 0; i < 10; i++) r.add("a.test", `s${i}`);
    r.tick();
    expect(r.pool.getRunningCount()).toBe(10);
    expect(r.network.connections).toHaveLength(10);
  });

  it("budgets ticks by counts only on a network that never reads real time, by time on the others", () => {
    const cassette = { version: CASSETTE_VERSION, deltas: [], redacted: [], events: [] };
    const budget = (network?: Network): number => new HTTPRequestPool(network === undefined ? {} : { network }).tickBudgetMs;
    expect(rig().pool.tickBudgetMs).toBe(0);
    expect(budget(new ScriptedNetwork())).toBe(0);
    expect(budget(new ReplayNetwork(cassette))).toBe(0);
    expect(budget(new RecordingNetwork(new ScriptedNetwork()))).toBe(0);
    expect(budget()).toBe(DEFAULT_TICK_BUDGET_MS);
    expect(budget(new NodeNetwork())).toBe(DEFAULT_TICK_BUDGET_MS);
    expect(budget(new RecordingNetwork(new NodeNetwork()))).toBe(DEFAULT_TICK_BUDGET_MS);
    // Missing exchanges recorded from a real network: real time again.
    expect(budget(new ReplayNetwork(cassette, { recordMissing: new NodeNetwork() }))).toBe(DEFAULT_TICK_BUDGET_MS);
    expect(rig({ tickBudgetMs: 2 }).pool.tickBudgetMs).toBe(2); // an explicit budget wins
  });

  it("with a time budget, stops starting requests once the pool's clock passed it (at least one per tick)", () => {
    let now = 0;
    const r = rig({ maxConnectionsPerOrigin: 10, tickBudgetMs: 2, clock: () => (now += 1) }); // each reading advances 1 ms
    for (let i = 0; i < 6; i++) r.add("a.test", `r${i}`);
    const running: number[] = [];
    for (let i = 0; i < 4; i++) {
      r.tick();
      running.push(r.pool.getRunningCount());
      if (i === 0) {
        // Held back: the next tick is wanted at once (a runner not paced by frames steps again without sleeping).
        expect(r.pool._nextDeadline()).toBe(0);
        expect(r.tree.isWakePending()).toBe(true);
      }
    }
    // One reading starts the budget, each start is followed by one: two starts fit in 2 ms.
    expect(running).toEqual([2, 4, 6, 6]);
  });

  it("with a time budget, starts requests after its connections' pass: a connection freed in the tick is reused in it", () => {
    const r = rig({ maxConnectionsPerOrigin: 10, tickBudgetMs: 3, clock: () => 0 }); // a clock that never passes the budget
    r.add("a.test", "first");
    r.tick();
    expect(r.starts).toEqual(["first"]);
    r.serve();
    r.pushPieces(); // the response is in before the next tick
    r.add("a.test", "second");
    r.tick(); // "first" completes in its connection's pass, then "second" starts on that connection
    expect(r.starts).toEqual(["first", "second"]);
    expect(r.network.connections).toHaveLength(1);
    r.runToEnd();
    expect(r.events.filter((e) => e.includes("completed RESULT_SUCCESS 200"))).toHaveLength(2);

    // Counts only: the pool's pass comes before its connections', so "fourth" opens a second connection.
    const counted = rig({ maxConnectionsPerOrigin: 10 });
    counted.add("a.test", "third");
    counted.tick();
    counted.serve();
    counted.pushPieces();
    counted.add("a.test", "fourth");
    counted.tick();
    expect(counted.starts).toEqual(["third", "fourth"]);
    expect(counted.network.connections).toHaveLength(2);
  });

  it("cancels queued and running requests (nothing emitted), refuses a full queue with ERR_BUSY", () => {
    const r = rig({ maxConnectionsPerOrigin: 1, maxQueued: 3 });
    const running = r.add("a.test", "running");
    r.tick();
    const q = [r.add("a.test", "q0"), r.add("a.test", "q1"), r.add("a.test", "q2")];
    const full = r.add("a.test", "q3");
    expect([full.err, full.getState(), r.pool.getQueuedCount()]).toEqual([Err.ERR_BUSY, "refused", 3]);
    expect(full.getErrorReason()).toMatch(/queue is full/);
    q[1]?.cancel();
    expect(q[1]?.getState()).toBe("cancelled");
    const again = r.add("a.test", "q3b");
    expect(again.err).toBe(Err.OK);
    running.cancel();
    expect(running.getState()).toBe("cancelled");
    expect(r.network.connections[0]?.isClosed()).toBe(true);
    r.pool.maxQueued = 4;
    const aborted = new AbortController();
    const viaSignal = r.add("a.test", "signal", { signal: aborted.signal, priority: "low" });
    aborted.abort(new Error("user left"));
    expect([viaSignal.getState(), viaSignal.getErrorReason()]).toEqual(["cancelled", "aborted: user left"]);
    r.runToEnd();
    expect(r.starts).toEqual(["running", "q0", "q2", "q3b"]);
    expect(r.events.filter((e) => e.includes("completed")).map((e) => e.split(" ")[0])).toEqual(["q0", "q2", "q3b"]);
  });

  it("refuses what HTTPRequest refuses, and anything outside a tree", () => {
    const r = rig();
    expect(r.pool.request("ftp://a.test/").err).toBe(Err.ERR_INVALID_PARAMETER);
    expect(r.pool.request("http://a.test/", ["Bad\nHeader: x"]).err).toBe(Err.ERR_INVALID_PARAMETER);
    expect(r.pool.request("http://a.test/", [], Method.METHOD_GET, "", { integrity: "sha1-nothing" }).err).toBe(Err.ERR_INVALID_PARAMETER);
    expect(r.pool.request("http://a.test/", [], Method.METHOD_GET, "", { resume: true }).err).toBe(Err.ERR_INVALID_PARAMETER);
    // Per-request settings an HTTPRequest setter would ignore are refused, not silently dropped.
    const outOfRange = [
      { timeout: -1 },
      { bodySizeLimit: 1.5 },
      { maxRedirects: -1 },
      { downloadChunkSize: 1 },
      { httpProxy: { host: "bad host", port: 1 } },
      { httpsProxy: { host: "p.test", port: 0 } },
    ];
    for (const options of outOfRange) {
      const refused = r.pool.request("http://a.test/", [], Method.METHOD_GET, "", options);
      expect([refused.err, refused.getState(), refused.getErrorReason() !== ""]).toEqual([Err.ERR_INVALID_PARAMETER, "refused", true]);
    }
    const byName = r.pool.request("http://a.test/", [], "PROPFIND"); // any method token, by name
    expect(byName.err).toBe(Err.OK);
    byName.cancel();
    expect(r.pool.request("http://a.test/", [], "BAD METHOD").err).toBe(Err.ERR_INVALID_PARAMETER);
    expect(new HTTPRequestPool().request("http://a.test/").err).toBe(Err.ERR_UNCONFIGURED);
    expect(r.pool.getQueuedCount()).toBe(0);
  });

  it("leaving the tree cancels every queued and running request and closes every connection", () => {
    const r = rig({ maxConnectionsPerOrigin: 2 });
    const jobs = [0, 1, 2, 3].map((i) => r.add("a.test", `r${i}`));
    r.tick();
    expect(jobs.map((j) => j.getState())).toEqual(["running", "running", "queued", "queued"]);
    r.tree.root.removeChild(r.pool);
    expect(jobs.map((j) => j.getState())).toEqual(Array(4).fill("cancelled"));
    expect(r.network.connections.every((p) => p.isClosed())).toBe(true);
    expect([r.pool.getQueuedCount(), r.pool.getRunningCount()]).toEqual([0, 0]);
    expect(r.events.filter((e) => e.includes("completed"))).toEqual([]);
  });

  it("forwards bodyData, downloadProgress and a manual redirect as an HTTPRequest emits them", () => {
    const r = rig({ maxConnectionsPerOrigin: 1 });
    const streamed = r.pool.request("http://a.test/stream");
    const pieces: string[] = [];
    const progress: Array<[number, number]> = [];
    let completedBody = -1;
    streamed.bodyData.connect((chunk) => pieces.push(latin1(chunk)));
    streamed.downloadProgress.connect((received, total) => progress.push([received, total]));
    streamed.requestCompleted.connect((_result, _code, _headers, body) => (completedBody = body.length));
    r.tick();
    const peer = r.network.connections[0]!;
    expect(peer.takeOutgoingText()).toMatch(/^GET \/stream HTTP\/1\.1\r\n/);
    peer.pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello");
    r.tick();
    peer.pushIncoming(" pool");
    r.tick();
    expect(pieces).toEqual(["hello", " pool"]);
    expect(progress).toEqual([
      [5, 10],
      [10, 10],
    ]);
    expect(completedBody).toBe(0); // handed out through bodyData only, as HTTPRequest does
    expect([streamed.getDownloadedBytes(), streamed.getBodySize()]).toEqual([10, 10]);

    const manual = r.pool.request("http://a.test/old", [], Method.METHOD_GET, "", { redirectMode: "manual" });
    const seen: string[] = [];
    manual.redirectReceived.connect((code, method, url) => {
      seen.push(`${code} ${method} ${url}`);
      expect(manual.followRedirect()).toBe(Err.OK);
    });
    let done = "";
    manual.requestCompleted.connect((result, code, _headers, body) => (done = `${resultName(result)} ${code} ${latin1(body)}`));
    r.tick();
    expect(peer.takeOutgoingText()).toMatch(/^GET \/old /);
    peer.pushIncoming("HTTP/1.1 301 Moved\r\nLocation: /new\r\nContent-Length: 0\r\n\r\n");
    r.tick();
    expect(seen).toEqual(["301 GET http://a.test/new"]);
    r.tick();
    expect(peer.takeOutgoingText()).toMatch(/^GET \/new /);
    peer.pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nnew");
    r.tick();
    expect(done).toBe("RESULT_SUCCESS 200 new");
    expect(manual.followRedirect()).toBe(Err.ERR_UNCONFIGURED);
  });

  describe("determinism: the same calls and ticks give the same start order and signals", () => {
    /** Two origins, two connections each, priorities mixed, one priority change mid-way. */
    /** The start order, and each request's own signals (how many ticks a split takes interleaves requests differently). */
    const scenario = (split?: (bytes: Uint8Array) => Uint8Array[]): { starts: string[]; perRequest: string[][] } => {
      const r = rig({ maxConnectionsPerOrigin: 2, maxNewConnectionsPerTick: 3 });
      r.add("a.test", "a0");
      r.add("b.test", "b0", { priority: "low" });
      const a1 = r.add("a.test", "a1");
      r.add("a.test", "a2", { priority: "high" });
      r.add("b.test", "b1", { priority: 999 });
      r.add("a.test", "a3", { priority: 1 });
      r.add("b.test", "b2");
      r.tick();
      expect(a1.setPriority(1000)).toBe(a1.getState() === "queued" ? Err.OK : Err.ERR_UNAVAILABLE);
      r.runToEnd(split);
      const names = [...r.starts].sort();
      return { starts: r.starts, perRequest: names.map((n) => r.events.filter((e) => e.startsWith(`${n} `))) };
    };

    it("on every run", () => {
      const first = scenario();
      // Tick 1 opens 3 connections (the budget): b1, a2, a0; a1 is then raised to 1000 but a.test has
      // its 2; tick 2 opens b.test's second for b2; then the connections freed in a tick take the
      // best queued requests, in the pool's pass after theirs: a1 (1000), b0 (250), a3 (1).
      expect(first.starts).toEqual(["b1", "a2", "a0", "b2", "a1", "b0", "a3"]);
      for (let run = 0; run < 3; run++) expect(scenario()).toEqual(first);
    });

    it("at every byte split of the responses, and one byte per tick", () => {
      const reference = scenario();
      const length = response("/a0").length;
      for (let at = 1; at < length; at++) {
        expect(
          scenario((b) => [b.subarray(0, at), b.subarray(at)]),
          `split at ${at}`,
        ).toEqual(reference);
      }
      expect(scenario((b) => Array.from(b, (x) => Uint8Array.of(x)))).toEqual(reference);
    });
  });
});
