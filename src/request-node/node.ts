import { Err } from "../status/err.ts";
import { Signal } from "./signal.ts";
import type { NodeCallback, SceneTree } from "./scene-tree.ts";
import { reportNodeError } from "./node-error.ts";

/**
 * A node of the small scene tree that ticks `HTTPRequest`s, as in Godot: nodes form a tree under a
 * {@link SceneTree}'s root and are stepped once per `SceneTree.process(delta)`.
 *
 * Subclasses override the callbacks `_process`, `_enterTree`, `_exitTree`, `_ready` and
 * `_nextDeadline`. A callback that throws is caught and reported on the tree's `nodeError` signal
 * (or `console.error` when nothing is connected); no public method of a node or tree throws.
 *
 * Order follows Godot. When a subtree enters a tree, each node runs `_enterTree()` then emits
 * `treeEntered`, parents before children, in child order; then `_ready()` and `ready` run once per
 * node lifetime, children before parents. When a subtree leaves, each node runs `_exitTree()` then
 * emits `treeExiting`, children before parents and the last child first, while still inside the
 * tree; then `treeExited` is emitted in the same order once the node is out of it.
 *
 * While a node is entering, readying or leaving its children, and while it removes a child, it is
 * busy: `addChild` and `removeChild` on it return `Err.ERR_BUSY` (Godot's "parent node is busy").
 */
export class Node {
  /** A name for messages and debugging; need not be unique. */
  name: string;
  /**
   * Emitted when the node has entered a tree, after its `_enterTree()` and before its children
   * enter.
   */
  readonly treeEntered: Signal<[]> = new Signal<[]>("tree_entered");
  /**
   * Emitted when the node is about to leave its tree, after its children left and its
   * `_exitTree()` ran. `getTree()` still returns the tree.
   */
  readonly treeExiting: Signal<[]> = new Signal<[]>("tree_exiting");
  /** Emitted once the node has left its tree (`isInsideTree()` is false). */
  readonly treeExited: Signal<[]> = new Signal<[]>("tree_exited");
  /** Emitted after `_ready()`, once in the node's lifetime. */
  readonly ready: Signal<[]> = new Signal<[]>("ready");

  #parent: Node | null = null;
  #children: Node[] = [];
  #tree: SceneTree | null = null;
  /** Greater than 0 while the children list must not change (Godot's `data.blocked`). */
  #blocked = 0;
  /** True while the node is leaving its tree, so a nested removal does not exit it twice. */
  #exiting = false;
  /** True from the start of its ready pass until it leaves the tree (Godot's `ready_notified`). */
  #readyNotified = false;
  /** True until `_ready()` has been called (Godot's `ready_first`). */
  #readyFirst = true;

  /**
   * Creates a node outside any tree, or the root of a tree that is being constructed.
   *
   * @param name - A name for messages; defaults to `"Node"`.
   * @param rootOf - The {@link SceneTree} whose constructor makes this node its root: the node
   *   enters that tree and becomes ready at once. Ignored for a tree that has its root already.
   */
  constructor(name = "Node", rootOf?: SceneTree) {
    this.name = name;
    // A tree being constructed has no root yet (its constructor assigns what this returns).
    if (rootOf !== undefined && (rootOf as { root?: Node }).root === undefined) {
      Node.#enter(this, rootOf);
      Node.#propagateReady(this);
    }
  }

  /**
   * Called once per `SceneTree.process(delta)` while the node is inside the tree, parents before
   * children. The default does nothing.
   *
   * @param delta - Seconds since the previous step (virtual or real time).
   */
  _process(delta: number): void {
    void delta;
  }

  /** Called when the node enters a tree, before its children do. The default does nothing. */
  _enterTree(): void {}

  /** Called when the node is leaving its tree, after its children left. The default does nothing. */
  _exitTree(): void {}

  /**
   * Called once in the node's lifetime, after it and its children entered a tree and its children
   * are ready. Adding children here is allowed. The default does nothing.
   */
  _ready(): void {}

  /**
   * Tells when the node next needs a step even if nothing else happens (a timeout falling due), so
   * a runner that sleeps while idle can wake up in time. Called between steps. The default returns
   * `null`.
   *
   * @returns Seconds from now until the node needs `_process` (0 for at once), or `null` for never.
   */
  _nextDeadline(): number | null {
    return null;
  }

  /**
   * Adds a child after the existing ones. If this node is inside a tree, the child's subtree enters
   * it (and becomes ready if this node is) before the call returns.
   *
   * @param child - A node with no parent that is not a tree's root nor an ancestor of this node.
   * @returns `Err.OK`; `Err.ERR_INVALID_PARAMETER` for a node that is this one, already has a
   *   parent, is a root, or is an ancestor; `Err.ERR_BUSY` while this node is busy (see the class).
   */
  addChild(child: Node): Err {
    if (!(child instanceof Node) || child.#parent !== null || child.#tree !== null) {
      return Err.ERR_INVALID_PARAMETER;
    }
    for (let ancestor: Node | null = this; ancestor !== null; ancestor = ancestor.#parent) {
      if (ancestor === child) {
        return Err.ERR_INVALID_PARAMETER;
      }
    }
    if (this.#blocked > 0) {
      return Err.ERR_BUSY;
    }
    this.#children.push(child);
    child.#parent = this;
    const tree = this.#tree;
    if (tree !== null) {
      Node.#enter(child, tree);
      if (this.#readyNotified && child.#tree === tree && child.#parent === this) {
        Node.#propagateReady(child);
      }
    }
    return Err.OK;
  }

  /**
   * Removes a child. If it is inside a tree, its subtree leaves the tree first (see the class for
   * the order). The child keeps its own children and can be added again anywhere.
   *
   * @param child - A child of this node.
   * @returns `Err.OK`; `Err.ERR_INVALID_PARAMETER` when it is not a child of this node;
   *   `Err.ERR_BUSY` while this node is busy, or when the child is already leaving the tree.
   */
  removeChild(child: Node): Err {
    if (!(child instanceof Node) || child.#parent !== this) {
      return Err.ERR_INVALID_PARAMETER;
    }
    if (this.#blocked > 0 || child.#exiting) {
      return Err.ERR_BUSY;
    }
    this.#blocked++;
    Node.#exit(child);
    this.#blocked--;
    const index = this.#children.indexOf(child);
    if (index >= 0) {
      this.#children.splice(index, 1);
    }
    child.#parent = null;
    return Err.OK;
  }

  /**
   * Removes the node from its parent: at the end of the current (or next) step when it is inside a
   * tree, so a node can free itself from its own callbacks (Godot's `queue_free`); at once when it
   * is not. Does nothing for a root or a node without parent.
   */
  queueFree(): void {
    const tree = this.#tree;
    if (tree !== null) {
      tree.queueDelete(this);
    } else {
      this.#parent?.removeChild(this);
    }
  }

  /** A copy of the children, in order. */
  getChildren(): Node[] {
    return this.#children.slice();
  }

  /** The number of children. */
  getChildCount(): number {
    return this.#children.length;
  }

  /**
   * The child at an index.
   *
   * @param index - From 0; negative counts from the end (-1 is the last child).
   * @returns The child, or `null` when out of range.
   */
  getChild(index: number): Node | null {
    return this.#children.at(index) ?? null;
  }

  /** The parent node, or `null`. */
  getParent(): Node | null {
    return this.#parent;
  }

  /** The tree this node is inside, or `null`. */
  getTree(): SceneTree | null {
    return this.#tree;
  }

  /** True while the node is inside a tree. */
  isInsideTree(): boolean {
    return this.#tree !== null;
  }

  /** True once `_ready()` has been called. */
  isNodeReady(): boolean {
    return !this.#readyFirst;
  }

  /**
   * The names from the root down to this node joined by `/`, starting with `/` inside a tree
   * (`"/root/Game/HTTPRequest"`); relative to the topmost ancestor outside one.
   */
  getPath(): string {
    const names: string[] = [];
    for (let node: Node | null = this; node !== null; node = node.#parent) {
      names.push(node.name);
    }
    names.reverse();
    return (this.#tree !== null ? "/" : "") + names.join("/");
  }

  /** Calls one of the node's callbacks, reporting what it throws. */
  static #call(node: Node, callback: NodeCallback, run: () => void): void {
    try {
      run();
    } catch (error) {
      reportNodeError(node.#tree, node, callback, error);
    }
  }

  /** The node and its subtree enter `tree`: parents first, children in order. */
  static #enter(node: Node, tree: SceneTree): void {
    node.#tree = tree;
    tree.nodeAdded.emit(node);
    Node.#call(node, "_enterTree", () => node._enterTree());
    if (node.#tree !== tree) {
      return; // removed by its own callback
    }
    node.treeEntered.emit();
    node.#blocked++;
    for (const child of node.#children.slice()) {
      if (node.#tree !== tree) {
        break;
      }
      // A child added by a callback above has entered already.
      if (child.#parent === node && child.#tree === null) {
        Node.#enter(child, tree);
      }
    }
    node.#blocked--;
  }

  /** Ready pass over a subtree that just entered: children first; `_ready()` once per lifetime. */
  static #propagateReady(node: Node): void {
    const tree = node.#tree;
    node.#readyNotified = true;
    node.#blocked++;
    for (const child of node.#children.slice()) {
      if (child.#parent === node && child.#tree !== null && child.#tree === tree) {
        Node.#propagateReady(child);
      }
    }
    node.#blocked--;
    if (node.#readyFirst && node.#tree !== null && node.#tree === tree) {
      node.#readyFirst = false;
      Node.#call(node, "_ready", () => node._ready());
      node.ready.emit();
    }
  }

  /** The node and its subtree leave their tree, then `treeExited` is emitted over the subtree. */
  static #exit(node: Node): void {
    const exited: Node[] = [];
    Node.#exitPass(node, exited);
    for (const gone of exited) {
      gone.treeExited.emit();
    }
  }

  /** Children first, last child first; each node still inside the tree during its callbacks. */
  static #exitPass(node: Node, exited: Node[]): void {
    if (node.#tree === null || node.#exiting) {
      return;
    }
    node.#exiting = true;
    node.#blocked++;
    const children = node.#children;
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (child !== undefined) {
        Node.#exitPass(child, exited);
      }
    }
    Node.#call(node, "_exitTree", () => node._exitTree());
    node.treeExiting.emit();
    const tree = node.#tree;
    node.#tree = null;
    tree?.nodeRemoved.emit(node);
    node.#readyNotified = false;
    node.#blocked--;
    node.#exiting = false;
    exited.push(node);
  }
}
