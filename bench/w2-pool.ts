// W2 (b): the pool's row — one HTTPRequestPool in a SceneTree, run by a TreeRunner in
// as-fast-as-possible mode, with room for as many connections (and starts per tick) as the tree
// row has nodes; each batch queues all its requests at once and the pool runs them over its
// kept-alive connections.
import { Err, HTTPRequestPool, Result, SceneTree, TreeRunner } from "../src/index.ts";
import type { PoolClient } from "./w2-inflight.ts";

/**
 * A W2 client made of one {@link HTTPRequestPool} with `connections` connections to the server.
 *
 * @param host - Server address.
 * @param port - Server port.
 * @param connections - The pool's `maxConnectionsPerOrigin` and `maxConnections`.
 * @returns The client; `open()` runs one batch of `connections` requests, which opens the connections.
 */
export function poolClient(host: string, port: number, connections: number): PoolClient {
  const url = `http://${host}:${port}/small`;
  const tree = new SceneTree();
  // Room for every request in flight at once, as the tree row's nodes have: the per-tick budgets
  // (which spread a burst over frames, see W7) are raised to the connection count.
  const pool = new HTTPRequestPool({
    maxConnectionsPerOrigin: connections,
    maxConnections: connections,
    maxQueued: Math.max(10_000, connections),
    maxStartsPerTick: connections,
    maxNewConnectionsPerTick: connections,
  });
  tree.root.addChild(pool);
  const batch = async (n: number): Promise<number> => {
    let pending = n;
    let bytes = 0;
    let failure: string | null = null;
    const run = new TreeRunner(tree, { mode: "as-fast-as-possible" });
    const done = (result: number, code: number, _headers: string[], body: Uint8Array): void => {
      if (result !== Result.RESULT_SUCCESS || code !== 200) failure ??= `result ${result}, code ${code}`;
      bytes += body.length;
      if (--pending === 0 || failure !== null) run.stop();
    };
    for (let i = 0; i < n; i++) {
      const job = pool.request(url);
      if (job.err !== Err.OK) throw new Error(`pool.request(): ${job.getErrorReason()}`);
      job.requestCompleted.connect(done);
    }
    if (run.start() !== Err.OK) throw new Error(`TreeRunner: ${run.getLastError()}`);
    await run.whenStopped();
    if (failure !== null) throw new Error(failure);
    return bytes;
  };
  return {
    async open() {
      await batch(connections);
    },
    batch,
    async close() {
      pool.queueFree();
      tree.process(0);
    },
  };
}
