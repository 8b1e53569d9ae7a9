/**
 * Stepped (ScriptedNetwork, virtual time): the background validation of stale-while-revalidate. The
 * stale answer completes on the first tick after `request()`, and the conditional request goes out
 * on a connection of its own in that same tick, on every run; its 304 refreshes the stored entry;
 * one validation per cache key is in flight whichever node delivered the stale answer; leaving the
 * tree closes the validation's connection.
 */
import { describe, expect, it } from "vitest";
import { Err, HTTPCache, HTTPRequest, SceneTree, ScriptedNetwork, resultName, type ScriptedPeer } from "../../src/index.ts";
import { ok, wire } from "../request/helpers.ts";

const EPOCH = Date.UTC(2026, 0, 1);
const DELTA = 0.25;
const URL = "http://a.test/data";
const STORED = ["Cache-Control: max-age=1, stale-while-revalidate=10", 'ETag: "1"'];

interface Harness {
  readonly tree: SceneTree;
  readonly network: ScriptedNetwork;
  readonly cache: HTTPCache;
  /** Completions as [frame, result, outcome, body], per node. */
  readonly done: Map<HTTPRequest, Array<[number, string, string, string]>>;
  node(): HTTPRequest;
}

function harness(): Harness {
  const network = new ScriptedNetwork();
  network.addHost("a.test", ["10.0.0.1"]);
  network.autoAccept = true;
  const tree = new SceneTree({ epoch: () => EPOCH });
  const cache = new HTTPCache();
  tree.httpCache = cache;
  const done = new Map<HTTPRequest, Array<[number, string, string, string]>>();
  return {
    tree,
    network,
    cache,
    done,
    node: () => {
      const node = new HTTPRequest({ network });
      tree.root.addChild(node);
      const list: Array<[number, string, string, string]> = [];
      done.set(node, list);
      node.requestCompleted.connect((result, _code, _headers, body) =>
        list.push([tree.getFrame(), resultName(result), node.getCacheOutcome(), Buffer.from(body).toString("latin1")]),
      );
      return node;
    },
  };
}

/** Stores the SWR response through `node` (a miss answered on its connection), then lets 1.25 s of ticks pass. */
function storeThenAge(h: Harness, node: HTTPRequest): void {
  expect(node.request(URL)).toBe(Err.OK);
  h.tree.process(DELTA);
  const peer = h.network.connections.at(-1) as ScriptedPeer;
  for (let i = 0; i < 5 && !peer.takeOutgoingText().startsWith("GET "); i++) h.tree.process(0);
  peer.pushIncoming(ok("v1", STORED));
  for (let i = 0; i < 5 && (h.done.get(node)?.length ?? 0) === 0; i++) h.tree.process(0);
  expect(h.done.get(node)?.at(-1)?.slice(1)).toEqual(["RESULT_SUCCESS", "miss", "v1"]);
  for (let i = 0; i < 5; i++) h.tree.process(DELTA); // age 1.25 s: stale, within stale-while-revalidate
}

/** The request lines a peer has received, without the final empty line. */
function head(peer: ScriptedPeer): string[] {
  return peer
    .takeOutgoingText()
    .split("\r\n")
    .filter((l) => l !== "");
}

/** Starts the stale request and ticks (DELTA each) until the validation's head has gone out; returns the frames. */
function staleRun(): { completed: number; sent: number; lines: string[]; h: Harness; node: HTTPRequest; peer: ScriptedPeer } {
  const h = harness();
  const node = h.node();
  storeThenAge(h, node);
  const connections = h.network.connections.length;
  const start = h.tree.getFrame();
  expect(node.request(URL)).toBe(Err.OK);
  let sent = -1;
  let lines: string[] = [];
  for (let i = 0; i < 10 && sent < 0; i++) {
    h.tree.process(DELTA);
    const peer = h.network.connections[connections];
    if (peer === undefined) continue;
    const got = head(peer);
    if (got.length > 0) {
      sent = h.tree.getFrame() - start;
      lines = got;
    }
  }
  const last = h.done.get(node)?.at(-1);
  expect(last?.slice(1)).toEqual(["RESULT_SUCCESS", "hit", "v1"]);
  const peer = h.network.connections[connections] as ScriptedPeer;
  return { completed: (last?.[0] ?? 0) - start, sent, lines, h, node, peer };
}

describe("stale-while-revalidate in tick time", () => {
  it("the stale answer completes on the first tick after request(); the conditional request goes out on a new connection in that same tick", () => {
    const run = staleRun();
    expect([run.completed, run.sent]).toEqual([1, 1]);
    expect(run.lines[0]).toBe("GET /data HTTP/1.1");
    expect(run.lines).toContain('If-None-Match: "1"');
    const again = staleRun();
    expect([again.completed, again.sent, again.lines]).toEqual([run.completed, run.sent, run.lines]);
  });

  it("the 304 refreshes the stored entry and closes the connection; the next request is a hit that sends nothing", () => {
    const { h, node, peer } = staleRun();
    peer.pushIncoming(wire("HTTP/1.1 304 Not Modified", ['ETag: "1"', "Cache-Control: max-age=60"]));
    h.tree.process(DELTA);
    expect(peer.isClosed()).toBe(true);
    expect(h.cache.getStore().get(URL)[0]?.headers).toContain("Cache-Control: max-age=60");
    const connections = h.network.connections.length;
    expect(node.request(URL)).toBe(Err.OK);
    for (let i = 0; i < 3; i++) h.tree.process(DELTA);
    expect(h.done.get(node)?.at(-1)?.slice(1)).toEqual(["RESULT_SUCCESS", "hit", "v1"]);
    expect(h.network.connections.length).toBe(connections);
    for (const p of h.network.connections) expect(p.takeOutgoingText()).toBe("");
  });

  it("a 200 replaces the stored entry; a failed validation changes nothing and emits nothing", () => {
    const replaced = staleRun();
    replaced.peer.pushIncoming(ok("v2", ["Cache-Control: max-age=60", 'ETag: "2"']));
    replaced.h.tree.process(DELTA);
    expect(new TextDecoder().decode(replaced.h.cache.getStore().get(URL)[0]?.body)).toBe("v2");
    expect(replaced.h.done.get(replaced.node)?.length).toBe(2);

    const failed = staleRun();
    const stored = failed.h.cache.getStore().get(URL)[0];
    failed.peer.pushIncoming("garbage\r\n\r\n");
    failed.h.tree.process(DELTA);
    expect(failed.peer.isClosed()).toBe(true);
    expect(failed.h.cache.getStore().get(URL)[0]).toBe(stored);
    expect(failed.h.done.get(failed.node)?.length).toBe(2);
  });

  it("one validation per cache key: another node's stale answer meanwhile starts none, and one starts again after it ended", () => {
    const { h, peer } = staleRun();
    const other = h.node();
    const connections = h.network.connections.length;
    expect(other.request(URL)).toBe(Err.OK);
    for (let i = 0; i < 3; i++) h.tree.process(DELTA);
    expect(h.done.get(other)?.at(-1)?.slice(1)).toEqual(["RESULT_SUCCESS", "hit", "v1"]);
    expect(h.network.connections.length).toBe(connections);
    peer.pushIncoming("HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n");
    h.tree.process(DELTA);
    expect(peer.isClosed()).toBe(true);
    expect(other.request(URL)).toBe(Err.OK); // still stale: a new validation
    for (let i = 0; i < 3; i++) h.tree.process(DELTA);
    expect(h.network.connections.length).toBe(connections + 1);
  });

  it("leaving the tree cancels the validation and closes its connection", () => {
    const { h, node, peer } = staleRun();
    expect(peer.isClosed()).toBe(false);
    h.tree.root.removeChild(node);
    expect(peer.isClosed()).toBe(true);
    peer.pushIncoming(wire("HTTP/1.1 304 Not Modified", ['ETag: "1"', "Cache-Control: max-age=60"]));
    h.tree.process(DELTA);
    expect(h.cache.getStore().get(URL)[0]?.headers).not.toContain("Cache-Control: max-age=60");
  });

  it("the node's timeout bounds an unanswered validation: its connection is closed on the tick the summed deltas reach it", () => {
    const h = harness();
    const node = h.node();
    node.timeout = 1;
    storeThenAge(h, node);
    expect(node.request(URL)).toBe(Err.OK);
    h.tree.process(DELTA); // the stale answer, and the validation sent
    const peer = h.network.connections.at(-1) as ScriptedPeer;
    expect(head(peer)).toContain('If-None-Match: "1"');
    expect(node._nextDeadline()).toBe(0.75); // the runner is asked back for the validation's timeout
    h.tree.process(0.5);
    expect(peer.isClosed()).toBe(false);
    h.tree.process(0.25);
    expect(peer.isClosed()).toBe(true);
    expect(node._nextDeadline()).toBe(null);
    expect(node.request(URL)).toBe(Err.OK); // still stale: a new validation may start
    h.tree.process(DELTA);
    expect(h.network.connections.length).toBe(h.network.connections.indexOf(peer) + 2);
  });
});
