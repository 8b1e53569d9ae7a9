// W2 (b): poll-http's row of the tree variant — HTTPRequest nodes in one SceneTree, run by a
// TreeRunner in as-fast-as-possible mode, each node one keep-alive connection carrying one request
// at a time (a new request() from its requestCompleted listener while the batch has requests left).
import { Err, HTTPRequest, Result, SceneTree, TreeRunner } from "../src/index.ts";
import type { PoolClient } from "./w2-inflight.ts";

/**
 * A W2 client made of `nodes` HTTPRequest nodes.
 *
 * @param host - Server address.
 * @param port - Server port.
 * @param nodes - Nodes (and so connections).
 * @returns The client; `open()` makes every node do one request, which opens its connection.
 */
export function treeClient(host: string, port: number, nodes: number): PoolClient {
  const url = `http://${host}:${port}/small`;
  const tree = new SceneTree();
  const requests: HTTPRequest[] = [];
  /** The batch in progress: its listener per node is connected once and reads these. */
  let left = 0;
  let pending = 0;
  let bytes = 0;
  let failure: string | null = null;
  let runner: TreeRunner | null = null;
  const start = (r: HTTPRequest): void => {
    left--;
    if (r.request(url) !== Err.OK) failure ??= `request(): ${r.getErrorReason()}`;
  };
  const batch = async (n: number): Promise<number> => {
    left = n;
    pending = n;
    bytes = 0;
    failure = null;
    for (const r of requests) if (left > 0) start(r);
    const run = new TreeRunner(tree, { mode: "as-fast-as-possible" });
    runner = run;
    if (run.start() !== Err.OK) throw new Error(`TreeRunner: ${run.getLastError()}`);
    await run.whenStopped();
    runner = null;
    if (failure !== null) throw new Error(failure);
    return bytes;
  };
  return {
    async open() {
      for (let i = 0; i < nodes; i++) {
        const r = new HTTPRequest({ name: `req${i}` });
        r.requestCompleted.connect((result, code, _headers, body) => {
          if (result !== Result.RESULT_SUCCESS || code !== 200)
            failure ??= `node ${i}: result ${result}, code ${code}: ${r.getErrorReason()}`;
          bytes += body.length;
          pending--;
          if (failure !== null || pending === 0) runner?.stop();
          else if (left > 0) start(r);
        });
        tree.root.addChild(r);
        requests.push(r);
      }
      await batch(nodes);
    },
    batch,
    async close() {
      for (const r of requests) r.queueFree();
      tree.process(0);
      requests.length = 0;
    },
  };
}
