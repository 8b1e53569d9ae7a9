import { describe, expect, it } from "vitest";
import { Err } from "../../src/status/err.ts";
import { Node } from "../../src/request-node/node.ts";
import { SceneTree } from "../../src/request-node/scene-tree.ts";

/** A node that records its callbacks and signals into a shared log. */
class Probe extends Node {
  readonly log: string[];
  constructor(name: string, log: string[]) {
    super(name);
    this.log = log;
    this.treeEntered.connect(() => log.push(`${name}:entered`));
    this.treeExiting.connect(() => log.push(`${name}:exiting(inside=${String(this.isInsideTree())})`));
    this.treeExited.connect(() => log.push(`${name}:exited(inside=${String(this.isInsideTree())})`));
    this.ready.connect(() => log.push(`${name}:ready-signal`));
  }
  override _enterTree(): void {
    this.log.push(`${this.name}:enter`);
  }
  override _exitTree(): void {
    this.log.push(`${this.name}:exit`);
  }
  override _ready(): void {
    this.log.push(`${this.name}:ready`);
  }
}

/** a(b(d), c) detached, sharing `log`. */
function buildSubtree(log: string[]): { a: Probe; b: Probe; c: Probe; d: Probe } {
  const a = new Probe("a", log);
  const b = new Probe("b", log);
  const c = new Probe("c", log);
  const d = new Probe("d", log);
  expect(a.addChild(b)).toBe(Err.OK);
  expect(a.addChild(c)).toBe(Err.OK);
  expect(b.addChild(d)).toBe(Err.OK);
  return { a, b, c, d };
}

describe("Node structure", () => {
  it("links parent and children, outside a tree, without callbacks", () => {
    const log: string[] = [];
    const { a, b, c, d } = buildSubtree(log);
    expect(log).toEqual([]);
    expect(a.getChildren()).toEqual([b, c]);
    expect(a.getChildCount()).toBe(2);
    expect(a.getChild(0)).toBe(b);
    expect(a.getChild(-1)).toBe(c);
    expect(a.getChild(2)).toBeNull();
    expect(d.getParent()).toBe(b);
    expect(a.getParent()).toBeNull();
    expect(a.isInsideTree()).toBe(false);
    expect(a.getTree()).toBeNull();
    expect(d.getPath()).toBe("a/b/d");
    a.getChildren().pop(); // a copy
    expect(a.getChildCount()).toBe(2);
  });

  it("refuses self, a node with a parent, an ancestor, and a tree's root", () => {
    const tree = new SceneTree();
    const log: string[] = [];
    const { a, b, d } = buildSubtree(log);
    expect(a.addChild(a)).toBe(Err.ERR_INVALID_PARAMETER);
    expect(a.addChild(d)).toBe(Err.ERR_INVALID_PARAMETER); // has a parent
    expect(d.addChild(a)).toBe(Err.ERR_INVALID_PARAMETER); // cycle
    expect(a.addChild(tree.root)).toBe(Err.ERR_INVALID_PARAMETER);
    expect(a.removeChild(d)).toBe(Err.ERR_INVALID_PARAMETER); // not its child
    expect(b.getChildren()).toEqual([d]);
  });

  it("removes and re-adds a child elsewhere", () => {
    const { a, b, c, d } = buildSubtree([]);
    expect(b.removeChild(d)).toBe(Err.OK);
    expect(d.getParent()).toBeNull();
    expect(b.getChildCount()).toBe(0);
    expect(c.addChild(d)).toBe(Err.OK);
    expect(d.getPath()).toBe("a/c/d");
    expect(a.getChildren()).toEqual([b, c]);
  });
});

describe("entering and leaving a tree", () => {
  it("enters parents first, then readies children first", () => {
    const tree = new SceneTree();
    const log: string[] = [];
    const { a, d } = buildSubtree(log);
    expect(tree.root.addChild(a)).toBe(Err.OK);
    expect(log).toEqual([
      "a:enter",
      "a:entered",
      "b:enter",
      "b:entered",
      "d:enter",
      "d:entered",
      "c:enter",
      "c:entered",
      "d:ready",
      "d:ready-signal",
      "b:ready",
      "b:ready-signal",
      "c:ready",
      "c:ready-signal",
      "a:ready",
      "a:ready-signal",
    ]);
    expect(d.getTree()).toBe(tree);
    expect(d.isInsideTree()).toBe(true);
    expect(d.isNodeReady()).toBe(true);
    expect(d.getPath()).toBe("/root/a/b/d");
    expect(tree.getNodeCount()).toBe(5);
  });

  it("exits children first, last child first, inside the tree; then exited signals", () => {
    const tree = new SceneTree();
    const log: string[] = [];
    const { a, b, d } = buildSubtree(log);
    tree.root.addChild(a);
    log.length = 0;
    expect(tree.root.removeChild(a)).toBe(Err.OK);
    expect(log).toEqual([
      "c:exit",
      "c:exiting(inside=true)",
      "d:exit",
      "d:exiting(inside=true)",
      "b:exit",
      "b:exiting(inside=true)",
      "a:exit",
      "a:exiting(inside=true)",
      "c:exited(inside=false)",
      "d:exited(inside=false)",
      "b:exited(inside=false)",
      "a:exited(inside=false)",
    ]);
    expect(a.getParent()).toBeNull();
    expect(b.getTree()).toBeNull();
    expect(d.getTree()).toBeNull();
    expect(tree.getNodeCount()).toBe(1);
  });

  it("calls _ready once per lifetime, enter/exit every time", () => {
    const tree = new SceneTree();
    const log: string[] = [];
    const a = new Probe("a", log);
    tree.root.addChild(a);
    tree.root.removeChild(a);
    log.length = 0;
    tree.root.addChild(a);
    expect(log).toEqual(["a:enter", "a:entered"]);
  });

  it("readies a child added during _ready and one added to a ready parent", () => {
    const tree = new SceneTree();
    const log: string[] = [];
    class Spawner extends Probe {
      override _ready(): void {
        super._ready();
        expect(this.addChild(new Probe("spawned", log))).toBe(Err.OK);
      }
    }
    tree.root.addChild(new Spawner("s", log));
    expect(log).toEqual([
      "s:enter",
      "s:entered",
      "s:ready",
      "spawned:enter",
      "spawned:entered",
      "spawned:ready",
      "spawned:ready-signal",
      "s:ready-signal",
    ]);
  });

  it("a child added in _enterTree enters once, with the rest", () => {
    const tree = new SceneTree();
    const log: string[] = [];
    class Adder extends Probe {
      override _enterTree(): void {
        super._enterTree();
        if (this.getChildCount() === 1) {
          this.addChild(new Probe("added", log));
        }
      }
    }
    const adder = new Adder("p", log);
    adder.addChild(new Probe("old", log));
    tree.root.addChild(adder);
    expect(log.filter((line) => line.endsWith(":enter"))).toEqual(["p:enter", "added:enter", "old:enter"]);
    expect(log.filter((line) => line.endsWith(":ready"))).toEqual(["old:ready", "added:ready", "p:ready"]); // child order;
  });

  it("is busy while entering, readying or leaving children", () => {
    const tree = new SceneTree();
    const parent = new Node("parent");
    const results: string[] = [];
    class Meddler extends Node {
      override _enterTree(): void {
        results.push(`enter add=${this.getParent()?.addChild(new Node()) ?? "-"}`);
      }
      override _ready(): void {
        results.push(`ready add=${this.getParent()?.addChild(new Node()) ?? "-"}`);
      }
      override _exitTree(): void {
        results.push(`exit remove-self=${this.getParent()?.removeChild(this) ?? "-"}`);
      }
    }
    const meddler = new Meddler("m");
    parent.addChild(meddler);
    tree.root.addChild(parent);
    tree.root.removeChild(parent);
    expect(results).toEqual([`enter add=${Err.ERR_BUSY}`, `ready add=${Err.ERR_BUSY}`, `exit remove-self=${Err.ERR_BUSY}`]);
    expect(parent.getChildren()).toEqual([meddler]);
  });

  it("a node removed by its own _enterTree ends up outside the tree, consistently", () => {
    const tree = new SceneTree();
    const log: string[] = [];
    class Quitter extends Probe {
      override _enterTree(): void {
        super._enterTree();
        this.getParent()?.removeChild(this);
      }
    }
    const quitter = new Quitter("q", log);
    quitter.addChild(new Probe("kid", log));
    expect(tree.root.addChild(quitter)).toBe(Err.OK);
    expect(quitter.isInsideTree()).toBe(false);
    expect(quitter.getParent()).toBeNull();
    expect(quitter.getChild(0)?.isInsideTree()).toBe(false);
    expect(log).toEqual(["q:enter", "q:exit", "q:exiting(inside=true)", "q:exited(inside=false)"]);
  });

  it("reports a throwing callback on nodeError and carries on", () => {
    const tree = new SceneTree();
    const errors: string[] = [];
    tree.nodeError.connect((error, node, callback) => errors.push(`${node.name}.${callback}: ${(error as Error).message}`));
    class Broken extends Node {
      override _enterTree(): void {
        throw new Error("enter");
      }
      override _ready(): void {
        throw new Error("ready");
      }
      override _exitTree(): void {
        throw new Error("exit");
      }
    }
    const broken = new Broken("broken");
    let entered = false;
    broken.treeEntered.connect(() => {
      entered = true;
    });
    expect(tree.root.addChild(broken)).toBe(Err.OK);
    expect(entered).toBe(true);
    expect(broken.isNodeReady()).toBe(true);
    expect(tree.root.removeChild(broken)).toBe(Err.OK);
    expect(broken.isInsideTree()).toBe(false);
    expect(errors).toEqual(["broken._enterTree: enter", "broken._ready: ready", "broken._exitTree: exit"]);
  });
});
