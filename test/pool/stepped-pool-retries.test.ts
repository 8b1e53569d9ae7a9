/**
 * HTTPRequestPool with a retry policy and phase timeouts, stepped over a ScriptedNetwork: the
 * pool's policy applies to its requests, a request's own `retry` option overrides it, and the
 * pool's idleTimeout ends a stalled request.
 */
import { describe, expect, it } from "vitest";
import { HTTPRequestPool, Result, RetryPolicy, SceneTree, ScriptedNetwork } from "../../src/index.ts";

function rig(): { tree: SceneTree; pool: HTTPRequestPool; network: ScriptedNetwork } {
  const network = new ScriptedNetwork().addHost("a.test", ["10.0.0.1"]);
  network.autoAccept = true;
  const tree = new SceneTree();
  const pool = new HTTPRequestPool({ network });
  tree.root.addChild(pool);
  return { tree, pool, network };
}

const BUSY = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n";
const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

describe("HTTPRequestPool: retries and phase timeouts", () => {
  it("the pool's retryPolicy sends a 503 again after Retry-After in tick time; a request's retry: null makes one attempt", () => {
    const { tree, pool, network } = rig();
    pool.retryPolicy = new RetryPolicy();
    const results: [string, Result, number][] = [];
    const retried = pool.request("http://a.test/retried");
    retried.requestCompleted.connect((result, code) => results.push(["retried", result, code]));
    const retries: [number, number, string][] = [];
    retried.retrying.connect((attempt, delay, reason) => retries.push([attempt, delay, reason]));
    tree.process(0.1);
    network.connections[0]!.pushIncoming(BUSY);
    tree.process(0.1);
    for (let i = 0; i < 9; i++) tree.process(0.1);
    expect(network.connections).toHaveLength(1);
    tree.process(0.1); // the deltas since the 503 reach 1 s
    expect(network.connections).toHaveLength(2);
    network.connections[1]!.pushIncoming(OK);
    tree.process(0.1);
    expect(results).toEqual([["retried", Result.RESULT_SUCCESS, 200]]);
    expect(retried.getTimings().attempts).toBe(2);
    expect(retries).toEqual([[2, 1, "503 with Retry-After: 1"]]);

    const once = pool.request("http://a.test/once", [], undefined, "", { retry: null });
    once.requestCompleted.connect((result, code) => results.push(["once", result, code]));
    tree.process(0.1);
    const peer = network.connections.at(-1)!;
    expect(peer.takeOutgoingText()).toContain("GET /once HTTP/1.1\r\n");
    peer.pushIncoming(BUSY);
    for (let i = 0; i < 20 && results.length < 2; i++) tree.process(0.1);
    expect(results.at(-1)).toEqual(["once", Result.RESULT_SUCCESS, 503]);
  });

  it("the pool's idleTimeout ends a request whose body stalls", () => {
    const { tree, pool, network } = rig();
    pool.idleTimeout = 0.3;
    const results: Result[] = [];
    pool.request("http://a.test/stall").requestCompleted.connect((result) => results.push(result));
    tree.process(0.1);
    network.connections[0]!.pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab");
    for (let i = 0; i < 3; i++) tree.process(0.1);
    expect(results).toEqual([]);
    tree.process(0.1);
    expect(results).toEqual([Result.RESULT_TIMEOUT]);
  });
});
