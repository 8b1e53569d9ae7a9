import type { CookieJar } from "../session/cookie-jar.ts";
import type { HTTPCache } from "../session/http-cache.ts";
import { Err } from "../status/err.ts";
import { Node } from "./node.ts";
import { Signal } from "./signal.ts";
import { reportNodeError } from "./node-error.ts";

/**
 * The node callback an error reported on {@link SceneTree.nodeError} came from.
 */
export type NodeCallback = "_process" | "_enterTree" | "_exitTree" | "_ready" | "_nextDeadline";

/**
 * The most rounds of extra passes one step gives nodes queued with {@link SceneTree.queueProcess}
 * after its regular pass; nodes still queued then are left to the next step (the tree wakes).
 */
export const MAX_EXTRA_PASSES = 8;

/** Options of a new {@link SceneTree}. */
export interface SceneTreeOptions {
  /**
   * The date of the tree's time 0, in milliseconds since the Unix epoch: the clock a
   * {@link SceneTree.getDateMs} date starts from. Called once, the first time a date is needed (a
   * cookie jar or HTTP cache is consulted). By default the wall clock at that moment, less the
   * tree's time so far. Give a constant (`() => Date.UTC(2026, 0, 1)`) and cookie expiry and cache ages
   * become a function of the deltas alone: the same ticks expire the same cookies on every run.
   */
  readonly epoch?: () => number;
}

/**
 * The tree that steps {@link Node}s, like Godot's `SceneTree` without rendering: call
 * `process(delta)` once per frame, by hand with any deltas (virtual time, deterministic) or through
 * a `TreeRunner` on Node's event loop (real time).
 *
 * It sets no timer and reads no clock, except once for the date its time starts at
 * ({@link SceneTreeOptions.epoch}) when a date is first needed; a cookie jar's and an HTTP cache's time is that date plus the
 * summed deltas ({@link SceneTree.getDateMs}). For a runner that sleeps while nothing happens, it offers
 * two idle queries: {@link SceneTree.wake} (anything with new work — a peer that received bytes —
 * calls it; the `woken` signal tells the runner) and {@link SceneTree.nextDeadline} (the earliest
 * time a node asked to be stepped, e.g. for a timeout).
 */
export class SceneTree {
  /** The root node; inside this tree from construction and never removed. */
  readonly root: Node;
  /**
   * Emitted by {@link SceneTree.wake} when no wake was pending, i.e. at most once between two
   * steps. A runner connects to it to stop sleeping.
   */
  readonly woken: Signal<[]> = new Signal<[]>("woken");
  /**
   * Emitted at the start of each step, after the frame count and the elapsed time moved on and
   * before any node is processed, with the step's frame number and delta. A network that counts
   * ticks (a recording or replaying one: `network.attach(tree)`) listens to it.
   */
  readonly stepStarted: Signal<[frame: number, delta: number]> = new Signal<[frame: number, delta: number]>("step_started");
  /**
   * Emitted with what a node callback threw (`_process`, `_enterTree`, `_exitTree`, `_ready`,
   * `_nextDeadline`), the node and the callback's name. When nothing is connected, such errors are
   * logged with `console.error`. Either way the step goes on with the next node.
   */
  readonly nodeError: Signal<[error: unknown, node: Node, callback: NodeCallback]> = new Signal<
    [error: unknown, node: Node, callback: NodeCallback]
  >("node_error");
  /** Emitted as a node enters this tree, before its `_enterTree()` (Godot's `node_added`). */
  readonly nodeAdded: Signal<[node: Node]> = new Signal<[node: Node]>("node_added");
  /** Emitted as a node leaves this tree, after its `_exitTree()`; it is outside the tree then (Godot's `node_removed`). */
  readonly nodeRemoved: Signal<[node: Node]> = new Signal<[node: Node]>("node_removed");

  /**
   * The cookie jar of every `HTTPRequest` in the tree that has none of its own: it sends their
   * `Cookie` headers and stores their `Set-Cookie` answers. `null` (the default): no cookies are
   * stored.
   */
  cookieJar: CookieJar | null = null;
  /**
   * The HTTP cache of every `HTTPRequest` in the tree that has none of its own. `null` (the
   * default): nothing is cached.
   */
  httpCache: HTTPCache | null = null;

  #frame = 0;
  #elapsed = 0;
  readonly #epoch: (() => number) | undefined;
  #epochMs: number | null = null;
  #processing = false;
  #wakePending = false;
  /** Nodes queued by `queueProcess` during a step, waiting for a pass (insertion order is pass order). */
  readonly #pending: Set<Node> = new Set<Node>();
  /** Nodes queued by `queueDelete`, removed at the end of a step; the set mirrors the array. */
  #deleteQueue: Node[] = [];
  #queued: Set<Node> = new Set<Node>();
  /**
   * The pre-order node list of the last step, reused while no node entered or left the tree: without
   * it a frame of 10,000 idle nodes costs 2–3 times as much (the A/B in bench/RESULTS.md).
   */
  #nodes: Node[] | null = null;
  /** The nodes that left the tree during the current step: not processed after that, even if added back. */
  readonly #left: Set<Node> = new Set<Node>();

  /**
   * Creates a tree whose root is a new node named `"root"`, already inside the tree and ready.
   *
   * @param options - The clock the tree's date starts from.
   */
  constructor(options: SceneTreeOptions = {}) {
    this.#epoch = options.epoch;
    const changed = (): void => {
      this.#nodes = null;
    };
    this.nodeAdded.connect(changed);
    this.nodeRemoved.connect((node) => {
      this.#nodes = null;
      if (this.#processing) this.#left.add(node);
    });
    this.root = new Node("root", this);
  }

  /**
   * Steps the tree once: clears the pending wake, adds `delta` to the elapsed time, then calls
   * `_process(delta)` on every node inside the tree in tree order (pre-order: a node, then its
   * children in order), then removes the nodes queued with `queueDelete`.
   *
   * The nodes to visit are fixed when the step starts: a node added during the step is first
   * processed in the next one, and a node removed during the step is not processed after its
   * removal (nor if it is added back during the same step). Then the nodes that asked for it with
   * {@link SceneTree.queueProcess} and have not been visited since get `_process(0)`, round after
   * round while more ask (at most {@link MAX_EXTRA_PASSES} rounds), so work started during the
   * step goes on in it (a node added during the step gets such a pass too when it asks). Never throws: see {@link SceneTree.nodeError}. A call made from inside a
   * step is ignored.
   *
   * @param delta - Seconds since the previous step; a negative, NaN or infinite value counts as 0.
   */
  process(delta: number): void {
    if (this.#processing) {
      return;
    }
    const step = Number.isFinite(delta) && delta > 0 ? delta : 0;
    this.#processing = true;
    this.#wakePending = false;
    this.#frame++;
    this.#elapsed += step;
    if (this.stepStarted.getConnectionCount() > 0) this.stepStarted.emit(this.#frame, step);
    this.#nodes ??= this.#collect();
    const nodes = this.#nodes; // a change during the step makes the next step collect a new list
    const left = this.#left;
    const pending = this.#pending;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      if (node === undefined || node.getTree() !== this || (left.size > 0 && left.has(node))) {
        continue;
      }
      if (pending.size > 0) {
        pending.delete(node); // this pass serves what it asked for
      }
      try {
        node._process(step);
      } catch (error) {
        reportNodeError(this, node, "_process", error);
      }
    }
    this.#extraPasses();
    this.#flushDeletes();
    left.clear();
    this.#processing = false;
  }

  /** The number of steps started by `process()`; during a step, that step's number (from 1). */
  getFrame(): number {
    return this.#frame;
  }

  /** The sum of the deltas of all steps so far, in seconds: the tree's (virtual) time. */
  getElapsed(): number {
    return this.#elapsed;
  }

  /** The date of the tree's time 0, in milliseconds since the Unix epoch ({@link SceneTreeOptions.epoch}). */
  getEpochMs(): number {
    if (this.#epochMs === null) {
      // A given epoch is the date of time 0; the default is the wall clock now, taken back to time 0.
      const date = this.#epoch !== undefined ? this.#epoch() : Date.now() - this.#elapsed * 1000;
      this.#epochMs = Number.isFinite(date) ? date : 0;
    }
    return this.#epochMs;
  }

  /**
   * The tree's date: {@link SceneTree.getEpochMs} plus {@link SceneTree.getElapsed} in
   * milliseconds. Cookie expiry and cache ages of requests in the tree are counted in it, so they
   * change on the step whose delta makes the sum cross the boundary, whatever the wall clock does.
   */
  getDateMs(): number {
    return this.getEpochMs() + this.#elapsed * 1000;
  }

  /** True while `process()` is running. */
  isProcessing(): boolean {
    return this.#processing;
  }

  /** The number of nodes inside the tree, the root included. */
  getNodeCount(): number {
    let count = 0;
    const stack: Node[] = [this.root];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      count++;
      for (let i = 0; i < node.getChildCount(); i++) {
        const child = node.getChild(i);
        if (child !== null) stack.push(child);
      }
    }
    return count;
  }

  /**
   * Tells a runner there is work: something changed outside the tree (bytes arrived, a connection
   * closed) or a node wants another step at once. Sets the pending flag, and emits `woken` if it
   * was not set. Safe to call from anywhere, any number of times, including during a step (the
   * runner then steps again right away). Cleared when a step starts.
   */
  wake(): void {
    if (!this.#wakePending) {
      this.#wakePending = true;
      this.woken.emit();
    }
  }

  /**
   * Asks for one more `_process(0)` of a node within the current step, after the regular pass
   * (a node whose regular pass is still to come is served by it): something started during the
   * step — a request from a signal listener, from another node's `_process`, from a node before or
   * after it in tree order — then makes progress in that step instead of the next one. Between
   * steps it only wakes the tree (the node's regular pass in the next step serves it).
   *
   * @param node - A node inside this tree.
   * @returns `Err.OK`; `Err.ERR_INVALID_PARAMETER` for a node outside this tree.
   */
  queueProcess(node: Node): Err {
    if (!(node instanceof Node) || node.getTree() !== this) {
      return Err.ERR_INVALID_PARAMETER;
    }
    if (this.#processing) {
      this.#pending.add(node);
    } else {
      this.wake();
    }
    return Err.OK;
  }

  /** True when `wake()` was called since the last step started. */
  isWakePending(): boolean {
    return this.#wakePending;
  }

  /**
   * The earliest of the nodes' `_nextDeadline()` answers: how long a runner may sleep before the
   * next step if `wake()` is not called. Pending wakes are not considered (see `isWakePending`).
   *
   * @returns Seconds from now (0 when due), or `null` when no node has a deadline.
   */
  nextDeadline(): number | null {
    let earliest: number | null = null;
    const stack: Node[] = [this.root];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      let deadline: number | null = null;
      try {
        deadline = node._nextDeadline();
      } catch (error) {
        reportNodeError(this, node, "_nextDeadline", error);
      }
      if (typeof deadline === "number" && deadline < Infinity && (earliest === null || deadline < earliest)) {
        earliest = Math.max(0, deadline); // NaN fails both comparisons above
      }
      for (let i = 0; i < node.getChildCount(); i++) {
        const child = node.getChild(i);
        if (child !== null) stack.push(child);
      }
    }
    return earliest;
  }

  /**
   * Queues a node to be removed from its parent at the end of the current step, or of the next
   * one when called between steps (Godot's `queue_delete`; `Node.queueFree()` calls it).
   *
   * @param node - A node inside this tree other than the root.
   * @returns `Err.OK` (also when it is queued already); `Err.ERR_INVALID_PARAMETER` for the root or
   *   a node outside this tree.
   */
  queueDelete(node: Node): Err {
    if (!(node instanceof Node) || node === this.root || node.getTree() !== this) {
      return Err.ERR_INVALID_PARAMETER;
    }
    if (!this.#queued.has(node)) {
      this.#queued.add(node);
      this.#deleteQueue.push(node);
    }
    return Err.OK;
  }

  /**
   * The extra passes of the nodes queued by `queueProcess`, in the order they asked, round after
   * round; what is still queued after the last round waits for the next step.
   */
  #extraPasses(): void {
    for (let round = 0; round < MAX_EXTRA_PASSES && this.#pending.size > 0; round++) {
      // Nodes queued during the round wait for the next one.
      const batch = [...this.#pending];
      this.#pending.clear();
      for (const node of batch) {
        if (node.getTree() !== this) {
          continue;
        }
        try {
          node._process(0);
        } catch (error) {
          reportNodeError(this, node, "_process", error);
        }
      }
    }
    if (this.#pending.size > 0) {
      this.#pending.clear();
      this.wake();
    }
  }

  /** Pre-order snapshot of the nodes inside the tree. */
  #collect(): Node[] {
    const nodes: Node[] = [];
    const stack: Node[] = [this.root];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      nodes.push(node);
      for (let i = node.getChildCount() - 1; i >= 0; i--) {
        const child = node.getChild(i);
        if (child !== null) stack.push(child);
      }
    }
    return nodes;
  }

  /** Removes the queued nodes, including any queued by their `_exitTree`, in queue order. */
  #flushDeletes(): void {
    for (let i = 0; i < this.#deleteQueue.length; i++) {
      const node = this.#deleteQueue[i];
      if (node !== undefined && node.getTree() === this) {
        node.getParent()?.removeChild(node);
      }
    }
    this.#deleteQueue = [];
    this.#queued.clear();
  }
}
