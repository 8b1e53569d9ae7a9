import { describe, expect, it } from "vitest";
import { Err } from "../../src/status/err.ts";
import { Node } from "../../src/request-node/node.ts";
import { SceneTree } from "../../src/request-node/scene-tree.ts";

/** Logs `name` on each _process and runs an optional action. */
class Ticker extends Node {
  readonly log: string[];
  action: ((delta: number) => void) | null = null;
  deltas: number[] = [];
  constructor(name: string, log: string[]) {
    super(name);
    this.log = log;
  }
  override _process(delta: number): void {
    this.log.push(this.name);
    this.deltas.push(delta);
    this.action?.(delta);
  }
}

describe("SceneTree stepping", () => {
  it("starts with a root inside the tree and no frames", () => {
    const tree = new SceneTree();
    expect(tree.root.isInsideTree()).toBe(true);
    expect(tree.root.getTree()).toBe(tree);
    expect(tree.root.isNodeReady()).toBe(true);
    expect(tree.root.getPath()).toBe("/root");
    expect(tree.getFrame()).toBe(0);
    expect(tree.getElapsed()).toBe(0);
    expect(tree.getNodeCount()).toBe(1);
    expect(tree.queueDelete(tree.root)).toBe(Err.ERR_INVALID_PARAMETER);
  });

  it("processes every node once per step in pre-order", () => {
    const tree = new SceneTree();
    const log: string[] = [];
    const a = new Ticker("a", log);
    const b = new Ticker("b", log);
    const c = new Ticker("c", log);
    const d = new Ticker("d", log);
    a.addChild(b);
    b.addChild(d);
    a.addChild(c);
    tree.root.addChild(a);
    tree.process(0.016);
    expect(log).toEqual(["a", "b", "d", "c"]);
    tree.process(0.016);
    expect(log).toEqual(["a", "b", "d", "c", "a", "b", "d", "c"]);
    expect(tree.getFrame()).toBe(2);
  });

  it("steps virtual time with arbitrary deltas, deterministically", () => {
    const run = (): { elapsed: number; deltas: number[]; frames: number } => {
      const tree = new SceneTree();
      const ticker = new Ticker("t", []);
      tree.root.addChild(ticker);
      const steps = [0.5, 1e-9, 0, 3, 0.25, Number.NaN, -1, Infinity, 1 / 3];
      for (const delta of steps) {
        tree.process(delta);
      }
      return { elapsed: tree.getElapsed(), deltas: ticker.deltas, frames: tree.getFrame() };
    };
    const first = run();
    expect(first.deltas).toEqual([0.5, 1e-9, 0, 3, 0.25, 0, 0, 0, 1 / 3]);
    expect(first.elapsed).toBeCloseTo(0.5 + 1e-9 + 3 + 0.25 + 1 / 3, 12);
    expect(first.frames).toBe(9);
    expect(run()).toEqual(first);
  });

  it("exposes the current frame and elapsed time during a step", () => {
    const tree = new SceneTree();
    const seen: [number, number, boolean][] = [];
    const ticker = new Ticker("t", []);
    ticker.action = (): void => {
      seen.push([tree.getFrame(), tree.getElapsed(), tree.isProcessing()]);
    };
    tree.root.addChild(ticker);
    tree.process(0.5);
    tree.process(0.25);
    expect(seen).toEqual([
      [1, 0.5, true],
      [2, 0.75, true],
    ]);
    expect(tree.isProcessing()).toBe(false);
  });

  it("processes nodes added during a step from the next step", () => {
    const tree = new SceneTree();
    const log: string[] = [];
    const a = new Ticker("a", log);
    const late = new Ticker("late", log);
    const lateChild = new Ticker("lateChild", log);
    a.action = (): void => {
      if (late.getParent() === null) {
        tree.root.addChild(late); // after a, in tree order
        a.addChild(lateChild); // a's child, would come next
      }
    };
    tree.root.addChild(a);
    tree.process(0.1);
    expect(log).toEqual(["a"]);
    tree.process(0.1);
    expect(log).toEqual(["a", "a", "lateChild", "late"]);
  });

  it("does not process nodes removed during a step, even if re-added", () => {
    const tree = new SceneTree();
    const log: string[] = [];
    const a = new Ticker("a", log);
    const b = new Ticker("b", log);
    const bChild = new Ticker("bChild", log);
    const c = new Ticker("c", log);
    b.addChild(bChild);
    tree.root.addChild(a);
    tree.root.addChild(b);
    tree.root.addChild(c);
    a.action = (): void => {
      tree.root.removeChild(b);
      tree.root.removeChild(c);
      tree.root.addChild(c); // back in, but not this step
    };
    tree.process(0.1);
    expect(log).toEqual(["a"]);
    a.action = null;
    tree.process(0.1);
    expect(log).toEqual(["a", "a", "c"]);
  });

  it("a node may remove itself or an earlier node during its _process", () => {
    const tree = new SceneTree();
    const log: string[] = [];
    const a = new Ticker("a", log);
    const b = new Ticker("b", log);
    const c = new Ticker("c", log);
    tree.root.addChild(a);
    tree.root.addChild(b);
    tree.root.addChild(c);
    b.action = (): void => {
      tree.root.removeChild(a);
      tree.root.removeChild(b);
    };
    tree.process(0.1);
    expect(log).toEqual(["a", "b", "c"]);
    tree.process(0.1);
    expect(log).toEqual(["a", "b", "c", "c"]);
  });

  it("reports a throwing _process on nodeError and goes on with the next node", () => {
    const tree = new SceneTree();
    const log: string[] = [];
    const errors: string[] = [];
    tree.nodeError.connect((error, node, callback) => errors.push(`${node.name}.${callback}: ${String(error)}`));
    const bad = new Ticker("bad", log);
    bad.action = (): void => {
      throw new Error("boom");
    };
    tree.root.addChild(bad);
    tree.root.addChild(new Ticker("good", log));
    expect(() => tree.process(0.1)).not.toThrow();
    expect(log).toEqual(["bad", "good"]);
    expect(errors).toEqual(["bad._process: Error: boom"]);
  });

  it("logs errors to console.error when nothing is connected to nodeError", () => {
    const tree = new SceneTree();
    const bad = new Ticker("bad", []);
    bad.action = (): void => {
      throw new Error("boom");
    };
    tree.root.addChild(bad);
    const logged: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]): void => {
      logged.push(args);
    };
    try {
      tree.process(0.1);
    } finally {
      console.error = original;
    }
    expect(logged).toHaveLength(1);
    expect(String(logged[0]?.[0])).toContain('_process() of node "bad" threw');
  });

  it("ignores a re-entrant process() call", () => {
    const tree = new SceneTree();
    const log: string[] = [];
    const a = new Ticker("a", log);
    a.action = (): void => tree.process(1);
    tree.root.addChild(a);
    tree.process(0.5);
    expect(log).toEqual(["a"]);
    expect(tree.getFrame()).toBe(1);
    expect(tree.getElapsed()).toBe(0.5);
  });

  it("queueFree removes the node at the end of the step; outside a tree at once", () => {
    const tree = new SceneTree();
    const log: string[] = [];
    const a = new Ticker("a", log);
    const b = new Ticker("b", log);
    let exitedDuringStep = false;
    a.action = (): void => {
      a.queueFree();
      a.queueFree(); // twice is fine
    };
    a.treeExited.connect(() => {
      exitedDuringStep = tree.isProcessing();
    });
    tree.root.addChild(a);
    tree.root.addChild(b);
    tree.process(0.1);
    expect(log).toEqual(["a", "b"]); // still processed in the step it freed itself
    expect(a.getParent()).toBeNull();
    expect(a.isInsideTree()).toBe(false);
    expect(exitedDuringStep).toBe(true);
    tree.process(0.1);
    expect(log).toEqual(["a", "b", "b"]);

    const parent = new Node("p");
    const child = new Node("c");
    parent.addChild(child);
    child.queueFree();
    expect(child.getParent()).toBeNull();
    expect(tree.queueDelete(child)).toBe(Err.ERR_INVALID_PARAMETER);
  });

  it("queueDelete between steps takes effect at the end of the next step", () => {
    const tree = new SceneTree();
    const log: string[] = [];
    const a = new Ticker("a", log);
    tree.root.addChild(a);
    expect(tree.queueDelete(a)).toBe(Err.OK);
    expect(a.isInsideTree()).toBe(true);
    tree.process(0.1);
    expect(log).toEqual(["a"]);
    expect(a.isInsideTree()).toBe(false);
  });
});

describe("SceneTree idle queries", () => {
  it("wake() sets a pending flag, emits woken once, and a step clears it", () => {
    const tree = new SceneTree();
    let woken = 0;
    tree.woken.connect(() => {
      woken++;
    });
    expect(tree.isWakePending()).toBe(false);
    tree.wake();
    tree.wake();
    expect(tree.isWakePending()).toBe(true);
    expect(woken).toBe(1);
    tree.process(0);
    expect(tree.isWakePending()).toBe(false);
    tree.wake();
    expect(woken).toBe(2);
  });

  it("a wake during a step stays pending after it", () => {
    const tree = new SceneTree();
    const a = new Ticker("a", []);
    a.action = (): void => tree.wake();
    tree.root.addChild(a);
    tree.wake();
    tree.process(0);
    expect(tree.isWakePending()).toBe(true);
  });

  it("nextDeadline() is the minimum of the nodes' deadlines, clamped at 0", () => {
    class Timed extends Node {
      deadline: number | null;
      constructor(deadline: number | null) {
        super("timed");
        this.deadline = deadline;
      }
      override _nextDeadline(): number | null {
        return this.deadline;
      }
    }
    const tree = new SceneTree();
    expect(tree.nextDeadline()).toBeNull();
    const slow = new Timed(2.5);
    const none = new Timed(null);
    const fast = new Timed(0.75);
    tree.root.addChild(slow);
    slow.addChild(none);
    none.addChild(fast);
    expect(tree.nextDeadline()).toBe(0.75);
    fast.deadline = Number.NaN;
    expect(tree.nextDeadline()).toBe(2.5);
    fast.deadline = Infinity;
    expect(tree.nextDeadline()).toBe(2.5);
    fast.deadline = -3;
    expect(tree.nextDeadline()).toBe(0);
    tree.root.removeChild(slow);
    expect(tree.nextDeadline()).toBeNull();
  });

  it("a throwing _nextDeadline is reported and ignored", () => {
    class Broken extends Node {
      override _nextDeadline(): number | null {
        throw new Error("deadline");
      }
    }
    const tree = new SceneTree();
    const errors: string[] = [];
    tree.nodeError.connect((_error, node, callback) => errors.push(`${node.name}.${callback}`));
    tree.root.addChild(new Broken("broken"));
    expect(tree.nextDeadline()).toBeNull();
    expect(errors).toEqual(["broken._nextDeadline"]);
  });
});

describe("SceneTree nodeAdded / nodeRemoved (Godot's node_added / node_removed)", () => {
  it("tells each node entering and leaving, in the order of the callbacks", () => {
    const tree = new SceneTree();
    const seen: string[] = [];
    tree.nodeAdded.connect((node) => seen.push(`+${node.name}:${node.isInsideTree()}`));
    tree.nodeRemoved.connect((node) => seen.push(`-${node.name}:${node.isInsideTree()}`));
    const parent = new Node("parent");
    parent.addChild(new Node("child"));
    tree.root.addChild(parent);
    tree.root.removeChild(parent);
    expect(seen).toEqual(["+parent:true", "+child:true", "-child:false", "-parent:false"]);
  });

  it("a node constructed with a tree that has its root already stays outside it", () => {
    const tree = new SceneTree();
    const node = new Node("not a root", tree);
    expect(node.isInsideTree()).toBe(false);
    expect(tree.root.isInsideTree()).toBe(true);
    expect(tree.getNodeCount()).toBe(1);
  });
});
