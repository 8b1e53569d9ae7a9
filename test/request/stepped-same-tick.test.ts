/**
 * A request started during a tick goes out in that tick, wherever it is started from: a
 * `requestCompleted` listener, another node's `_process` before the request node in tree order, or
 * one after it. Stepped over a ScriptedNetwork: no socket, no timing; "the same tick" is the tree's
 * frame number when the bytes are found in the peer's outgoing buffer.
 */
import { describe, expect, it } from "vitest";
import { Err, HTTPRequest, MAX_EXTRA_PASSES, Node, Result, SceneTree, ScriptedNetwork, type ScriptedPeer } from "../../src/index.ts";
import { getHead, ok } from "./helpers.ts";

/** A node that runs a callback from its `_process` once, on a chosen frame. */
class Starter extends Node {
  onFrame = -1;
  start: () => void = () => {};
  override _process(): void {
    if (this.getTree()?.getFrame() === this.onFrame) this.start();
  }
}

interface Rig {
  readonly tree: SceneTree;
  readonly node: HTTPRequest;
  readonly network: ScriptedNetwork;
  readonly starter: Starter;
  readonly done: Array<{ frame: number; result: Result; text: string }>;
  peer(): ScriptedPeer;
}

/** A tree holding a Starter and an HTTPRequest, in the given order, over a ScriptedNetwork. */
function rig(order: "starter-first" | "request-first"): Rig {
  const network = new ScriptedNetwork();
  network.addHost("example.test", ["10.0.0.1"]);
  network.addHost("other.test", ["10.0.0.2"]);
  network.autoAccept = true;
  const tree = new SceneTree();
  const node = new HTTPRequest({ network });
  const starter = new Starter("starter");
  if (order === "starter-first") {
    tree.root.addChild(starter);
    tree.root.addChild(node);
  } else {
    tree.root.addChild(node);
    tree.root.addChild(starter);
  }
  const done: Rig["done"] = [];
  node.requestCompleted.connect((result, _code, _headers, body) => {
    done.push({ frame: tree.getFrame(), result, text: Buffer.from(body).toString("latin1") });
  });
  return {
    tree,
    node,
    network,
    starter,
    done,
    peer: () => {
      const last = network.connections[network.connections.length - 1];
      if (last === undefined) throw new Error("no connection opened");
      return last;
    },
  };
}

/** Runs GET /one to completion on a fresh connection; it stays kept alive. */
function first(r: Rig): void {
  expect(r.node.request("http://example.test/one")).toBe(Err.OK);
  r.tree.process(1 / 60);
  expect(r.peer().takeOutgoingText()).toBe(getHead("/one"));
  r.peer().pushIncoming(ok("one"));
  r.tree.process(1 / 60);
  expect(r.done.map((d) => d.text)).toEqual(["one"]);
}

describe("a request started during a tick goes out in that tick", () => {
  it("from a requestCompleted listener: the next keep-alive request is written in the tick that completed the last", () => {
    const r = rig("request-first");
    first(r);
    let chained = 0;
    r.node.requestCompleted.connect(() => {
      if (chained < 3) expect(r.node.request(`http://example.test/c${chained++}`)).toBe(Err.OK);
    });
    // The completion of /one happened already; start the chain from the next one.
    expect(r.node.request("http://example.test/start")).toBe(Err.OK);
    r.tree.process(1 / 60);
    expect(r.peer().takeOutgoingText()).toBe(getHead("/start"));
    for (const [target, next] of [
      ["start", "/c0"],
      ["c0", "/c1"],
      ["c1", "/c2"],
    ] as const) {
      r.peer().pushIncoming(ok(target));
      r.tree.process(1 / 60);
      const frame = r.tree.getFrame();
      expect(r.done[r.done.length - 1]).toEqual({ frame, result: Result.RESULT_SUCCESS, text: target });
      expect(r.peer().takeOutgoingText()).toBe(getHead(next)); // written in the completing frame
    }
    r.peer().pushIncoming(ok("c2"));
    r.tree.process(1 / 60);
    expect(r.done.map((d) => d.text)).toEqual(["one", "start", "c0", "c1", "c2"]);
    expect(r.network.connections).toHaveLength(1);
  });

  it("from a requestCompleted listener, to another origin: the new connection is opened and written in that tick", () => {
    const r = rig("request-first");
    first(r);
    r.node.requestCompleted.connect((_result, _code, _headers, body) => {
      if (Buffer.from(body).toString() === "one-again") r.node.request("http://other.test/two");
    });
    r.node.request("http://example.test/again");
    r.tree.process(1 / 60);
    r.peer().pushIncoming(ok("one-again"));
    const before = r.network.connections.length;
    r.tree.process(1 / 60);
    expect(r.network.connections).toHaveLength(before + 1);
    expect(r.peer().takeOutgoingText()).toBe(getHead("/two", "other.test"));
  });

  for (const order of ["starter-first", "request-first"] as const) {
    const where = order === "starter-first" ? "before" : "after";
    it(`from another node's _process ${where} it in tree order, on a kept connection`, () => {
      const r = rig(order);
      first(r);
      const frame = r.tree.getFrame() + 1;
      r.starter.onFrame = frame;
      r.starter.start = () => expect(r.node.request("http://example.test/two")).toBe(Err.OK);
      r.tree.process(1 / 60);
      expect(r.tree.getFrame()).toBe(frame);
      expect(r.peer().takeOutgoingText()).toBe(getHead("/two"));
      r.peer().pushIncoming(ok("two"));
      r.tree.process(1 / 60);
      expect(r.done.map((d) => [d.frame, d.text])).toEqual([
        [frame - 1, "one"],
        [frame + 1, "two"],
      ]);
    });

    it(`from another node's _process ${where} it in tree order, on a new connection`, () => {
      const r = rig(order);
      r.starter.onFrame = 1;
      r.starter.start = () => expect(r.node.request("http://example.test/one")).toBe(Err.OK);
      r.tree.process(1 / 60);
      expect(r.peer().takeOutgoingText()).toBe(getHead("/one"));
    });
  }

  it("the node started from its own listener is not stepped twice by the time it had: the extra pass has delta 0", () => {
    const r = rig("request-first");
    r.node.timeout = 1;
    first(r); // two ticks of 1/60 s
    r.node.requestCompleted.connect(() => {
      if (r.done.length === 2) r.node.request("http://example.test/three");
    });
    r.node.request("http://example.test/two");
    r.tree.process(0.25);
    expect(r.peer().takeOutgoingText()).toBe(getHead("/two"));
    r.peer().pushIncoming(ok("two"));
    r.tree.process(0.25); // /two completes; /three starts and is sent in this tick with 0 s of its own
    expect(r.peer().takeOutgoingText()).toBe(getHead("/three"));
    r.tree.process(0.5);
    r.tree.process(0.49);
    expect(r.done.map((d) => d.text)).toEqual(["one", "two"]); // 0.99 s: not timed out
    r.tree.process(0.02);
    expect(r.done.map((d) => d.result)).toEqual([Result.RESULT_SUCCESS, Result.RESULT_SUCCESS, Result.RESULT_TIMEOUT]);
  });
});

describe("SceneTree.queueProcess", () => {
  it("gives a queued node _process(0) after the regular pass, round after round, at most MAX_EXTRA_PASSES rounds, then wakes", () => {
    const tree = new SceneTree();
    const deltas: number[] = [];
    class Greedy extends Node {
      override _process(delta: number): void {
        deltas.push(delta);
        tree.queueProcess(this); // asks for another pass every time
      }
    }
    const greedy = new Greedy();
    tree.root.addChild(greedy);
    tree.process(0.25);
    expect(deltas).toEqual([0.25, ...Array.from({ length: MAX_EXTRA_PASSES }, () => 0)]);
    expect(tree.isWakePending()).toBe(true);
    deltas.length = 0;
    tree.process(0.25);
    expect(deltas[0]).toBe(0.25); // what was left over did not run in the next step before the regular pass
  });

  it("a node queued before its regular pass in the same step is served by that pass only", () => {
    const tree = new SceneTree();
    const calls: string[] = [];
    class Recorder extends Node {
      override _process(delta: number): void {
        calls.push(`${this.name}:${delta}`);
      }
    }
    class Asker extends Node {
      target: Node | null = null;
      override _process(delta: number): void {
        calls.push(`${this.name}:${delta}`);
        if (this.target !== null) expect(tree.queueProcess(this.target)).toBe(Err.OK);
      }
    }
    const asker = new Asker("asker");
    const early = new Recorder("early");
    const late = new Recorder("late");
    tree.root.addChild(early);
    tree.root.addChild(asker);
    tree.root.addChild(late);
    asker.target = late;
    tree.process(1);
    asker.target = early;
    tree.process(1);
    expect(calls).toEqual(["early:1", "asker:1", "late:1", "early:1", "asker:1", "late:1", "early:0"]);
    expect(tree.isWakePending()).toBe(false);
  });

  it("between steps it wakes the tree; a node outside the tree is refused", () => {
    const tree = new SceneTree();
    const node = new Node();
    expect(tree.queueProcess(node)).toBe(Err.ERR_INVALID_PARAMETER);
    tree.root.addChild(node);
    let woken = 0;
    tree.woken.connect(() => woken++);
    expect(tree.queueProcess(node)).toBe(Err.OK);
    expect(woken).toBe(1);
    expect(tree.isWakePending()).toBe(true);
  });
});
