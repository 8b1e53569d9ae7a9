import { describe, expect, it } from "vitest";
import { Node, SceneTree } from "../../src/index.ts";

/** A node that records the frames it was processed in. */
class Probe extends Node {
  readonly frames: number[] = [];
  override _process(): void {
    this.frames.push(this.getTree()?.getFrame() ?? -1);
  }
}

// The tree keeps its list of nodes between steps while nothing is added, removed or moved; these
// check that every change between (and during) steps is still seen by the next step.
describe("SceneTree steps over an unchanged tree", () => {
  it("nodes added, removed and re-added between steady steps", () => {
    const tree = new SceneTree();
    const a = new Probe("a");
    const b = new Probe("b");
    tree.root.addChild(a);
    for (let i = 0; i < 5; i++) tree.process(0.1);
    tree.root.addChild(b);
    tree.process(0.1);
    expect(b.frames).toEqual([6]);
    tree.root.removeChild(a);
    tree.process(0.1);
    expect(a.frames).toEqual([1, 2, 3, 4, 5, 6]);
    tree.root.addChild(a);
    tree.process(0.1);
    expect(a.frames).toEqual([1, 2, 3, 4, 5, 6, 8]);
    expect(b.frames).toEqual([6, 7, 8]);
  });

  it("the order follows a move (remove and add again) between steps", () => {
    const tree = new SceneTree();
    const order: string[] = [];
    const make = (name: string): Node => {
      const n = new (class extends Node {
        override _process(): void {
          order.push(name);
        }
      })(name);
      tree.root.addChild(n);
      return n;
    };
    const a = make("a");
    make("b");
    tree.process(0);
    tree.process(0);
    tree.root.removeChild(a);
    tree.root.addChild(a);
    tree.process(0);
    expect(order).toEqual(["a", "b", "a", "b", "b", "a"]);
  });

  it("a grandchild added to a node already in the tree is processed from the next step", () => {
    const tree = new SceneTree();
    const parent = new Probe("parent");
    tree.root.addChild(parent);
    tree.process(0);
    tree.process(0);
    const child = new Probe("child");
    parent.addChild(child);
    tree.process(0);
    expect(child.frames).toEqual([3]);
  });

  it("a node freed with queueFree during a steady step is not processed again", () => {
    const tree = new SceneTree();
    const a = new Probe("a");
    tree.root.addChild(a);
    tree.process(0);
    tree.process(0);
    a.queueFree();
    tree.process(0); // processed, then removed at the end of the step
    tree.process(0);
    expect(a.frames).toEqual([1, 2, 3]);
    expect(a.isInsideTree()).toBe(false);
  });
});
