import { performance } from "node:perf_hooks";
import { Err } from "../status/err.ts";
import type { SceneTree } from "./scene-tree.ts";

/**
 * How a {@link TreeRunner} paces frames:
 * - `fixed`: a frame every `1 / fps` seconds on an absolute timeline, sleeping in between.
 * - `as-fast-as-possible`: a frame right after the previous one while the tree has work (its
 *   `wake()` was called), otherwise sleep until `wake()` is called or the tree's next deadline is
 *   due — like `curl_multi_poll`, an idle runner costs no CPU.
 */
export type RunMode = "fixed" | "as-fast-as-possible";

/**
 * How a {@link TreeRunner} waits between frames: by default Node's `setImmediate` and `setTimeout`.
 * A test passes its own to step fake time (together with a fake `clock`), so no test waits on
 * real time.
 */
export interface TreeScheduler {
  /**
   * Calls `callback` once, after `delayMs` milliseconds; with 0, as soon as possible after pending
   * I/O (Node's `setImmediate`).
   *
   * @param callback - What to call.
   * @param delayMs - 0, or a whole number of milliseconds from 1 up.
   * @returns A function that cancels the call if it has not happened yet.
   */
  schedule(callback: () => void, delayMs: number): () => void;
  /**
   * Calls `callback` once at the end of the current job: after the code that is running and the
   * promise jobs it queued, before the event loop turns (Node's `process.nextTick`, queued from
   * that code). An `as-fast-as-possible` runner made with {@link TreeRunnerOptions.startSoon} runs
   * its first frame through it; without it, that frame is scheduled with `schedule(callback, 0)`.
   *
   * @param callback - What to call.
   * @returns A function that cancels the call if it has not happened yet.
   */
  soon?(callback: () => void): () => void;
}

/** Node's timers. */
const NODE_SCHEDULER: TreeScheduler = {
  schedule(callback: () => void, delayMs: number): () => void {
    if (delayMs <= 0) {
      const immediate = setImmediate(callback);
      return () => clearImmediate(immediate);
    }
    const timer = setTimeout(callback, delayMs);
    return () => clearTimeout(timer);
  },
  soon(callback: () => void): () => void {
    let live = true;
    process.nextTick(() => {
      if (live) callback();
    });
    return () => {
      live = false;
    };
  },
};

/** Options of a {@link TreeRunner}. */
export interface TreeRunnerOptions {
  /** Frames per second in `fixed` mode; finite and above 0. Default 60. Unused in the other mode. */
  readonly fps?: number;
  /** How frames are paced. Default `fixed`. */
  readonly mode?: RunMode;
  /**
   * The largest delta in seconds passed to one step, e.g. to keep a process paused in a debugger
   * from firing every timeout at once; above 0. Default `Infinity` (deltas are the real elapsed
   * time, so timeouts keep to real time).
   */
  readonly maxDelta?: number;
  /**
   * A monotonic clock in **milliseconds**, like (and by default) `performance.now()`. It measures
   * deltas and places frames; sleeping uses the `scheduler`.
   */
  readonly clock?: () => number;
  /** How the runner waits between frames; default Node's timers. */
  readonly scheduler?: TreeScheduler;
  /**
   * `as-fast-as-possible` only: the first frame after `start()` runs at the end of the job that
   * called it (the scheduler's {@link TreeScheduler.soon}, `process.nextTick` on Node) instead of
   * on the next turn of the event loop, so requests that code queued go out at once. That frame
   * sees no I/O that was still pending when `start()` was called (the next one comes when the tree
   * is woken or a deadline is due). For a runner started per request, such as the default
   * `fetch()`'s: it saves a turn of the event loop per request. Default false.
   */
  readonly startSoon?: boolean;
}

/** The longest delay Node's timers accept (about 24.8 days). */
const TIMEOUT_MAX_MS = 2_147_483_647;

/** The default frame rate of `fixed` mode. */
const DEFAULT_FPS = 60;

/**
 * Runs a {@link SceneTree} in real time on Node's event loop: each frame calls
 * `tree.process(delta)` with the real seconds elapsed since the previous frame (the first frame's
 * delta is the time since `start()`). This is the only place in the library that reads the clock
 * and sets timers for the tree.
 *
 * It never spins. In `fixed` mode it sleeps with `setTimeout` until the next frame of an absolute
 * timeline is due, so timer lateness does not accumulate as drift; a frame that comes late is
 * followed at once by the next one when that is due already, and when a whole period or more was
 * lost the timeline restarts from now instead of running a burst of frames to catch up. In
 * `as-fast-as-possible` mode it runs the next frame on `setImmediate` only when the tree was woken
 * (`tree.wake()`, e.g. by a peer's activity listener) during or after the frame; otherwise it
 * sleeps until woken or until the tree's `nextDeadline()` is due (deadline sleeps last at least
 * 1 ms). With `startSoon`, its first frame runs at the end of the job that called `start()` (see
 * {@link TreeRunnerOptions.startSoon}).
 *
 * While running it keeps the process alive (a pending timer); after `stop()` it holds no timer,
 * immediate or listener. Frames run from Node's event loop, never inside `start()`. `stop()` may be
 * called from inside a node's `_process`: the current frame completes and no other runs. No method
 * throws. Run one runner per tree at a time.
 *
 * ```ts
 * const tree = new SceneTree();
 * tree.root.addChild(request);
 * const runner = new TreeRunner(tree, { mode: "as-fast-as-possible" });
 * request.requestCompleted.connect(() => runner.stop());
 * runner.start();
 * await runner.whenStopped();
 * ```
 */
export class TreeRunner {
  /** The tree this runner steps. */
  readonly tree: SceneTree;

  readonly #mode: RunMode;
  readonly #periodMs: number;
  readonly #maxDelta: number;
  readonly #clock: () => number;
  readonly #configError: string;

  #running = false;
  /** Increments on each start, so callbacks of an earlier run do nothing. */
  #runId = 0;
  #frames = 0;
  #lastError = "";
  /** Clock time of the previous frame (or of `start()`), in ms. */
  #lastTime = 0;
  /** `fixed` mode: clock time at which the next frame is due, in ms. */
  #nextDue = 0;
  /** True while sleeping in `as-fast-as-possible` mode, when `woken` should end the sleep. */
  #sleeping = false;
  readonly #scheduler: TreeScheduler;
  readonly #startSoon: boolean;
  /** Cancels the pending frame (a timer or an immediate), or null when none is pending. */
  #pending: (() => void) | null = null;
  /** What {@link TreeRunner.whenStopped} returned during the current run, made on the first call (a run restarted per request makes none). */
  #stopped: Promise<void> | null = null;
  #resolveStopped: (() => void) | null = null;
  readonly #onWoken = (): void => {
    if (this.#running && this.#sleeping) {
      this.#cancelPending();
      this.#scheduleImmediate();
    }
  };

  /**
   * Creates a stopped runner. Invalid options are reported by `start()`.
   *
   * @param tree - The tree to step.
   * @param options - Pacing, clamp and clock; see {@link TreeRunnerOptions}.
   */
  constructor(tree: SceneTree, options: TreeRunnerOptions = {}) {
    this.tree = tree;
    const fps = options.fps ?? DEFAULT_FPS;
    const mode = options.mode ?? "fixed";
    const maxDelta = options.maxDelta ?? Infinity;
    const clock = options.clock ?? ((): number => performance.now());
    const problems: string[] = [];
    if (typeof fps !== "number" || !Number.isFinite(fps) || fps <= 0) {
      problems.push(`fps must be a finite number above 0 (got ${String(fps)})`);
    }
    if (mode !== "fixed" && mode !== "as-fast-as-possible") {
      problems.push(`mode must be "fixed" or "as-fast-as-possible" (got ${String(mode)})`);
    }
    if (typeof maxDelta !== "number" || Number.isNaN(maxDelta) || maxDelta <= 0) {
      problems.push(`maxDelta must be a number above 0 (got ${String(maxDelta)})`);
    }
    if (typeof clock !== "function") {
      problems.push("clock must be a function returning milliseconds");
    }
    this.#configError = problems.join("; ");
    this.#mode = mode;
    this.#periodMs = 1000 / (problems.length === 0 ? fps : DEFAULT_FPS);
    this.#maxDelta = maxDelta;
    this.#clock = clock;
    this.#scheduler = options.scheduler ?? NODE_SCHEDULER;
    this.#startSoon = options.startSoon === true;
  }

  /**
   * Starts running frames; the first one runs on the next turn of the event loop (with
   * {@link TreeRunnerOptions.startSoon}, at the end of the calling job). A stopped
   * runner can be started again (the frame count restarts from 0).
   *
   * @returns `Err.OK`; `Err.ERR_ALREADY_IN_USE` when already running; `Err.ERR_INVALID_PARAMETER`
   *   when the options were invalid (see `getLastError()`).
   */
  start(): Err {
    if (this.#configError !== "") {
      this.#lastError = `invalid TreeRunner options: ${this.#configError}`;
      return Err.ERR_INVALID_PARAMETER;
    }
    if (this.#running) {
      this.#lastError = "the runner is already running";
      return Err.ERR_ALREADY_IN_USE;
    }
    this.#running = true;
    this.#runId++;
    this.#frames = 0;
    this.#lastTime = this.#now();
    this.#nextDue = this.#lastTime;
    if (this.#mode === "as-fast-as-possible") {
      this.tree.woken.connect(this.#onWoken);
      const soon = this.#scheduler.soon;
      if (this.#startSoon && soon !== undefined) {
        const runId = this.#runId;
        this.#pending = soon.call(this.#scheduler, () => this.#frame(runId));
        return Err.OK;
      }
    }
    this.#scheduleImmediate();
    return Err.OK;
  }

  /**
   * Stops running frames and releases every timer, immediate and listener, so the runner no longer
   * keeps the process alive. Called from inside a frame, that frame completes first. Idempotent.
   */
  stop(): void {
    if (!this.#running) {
      return;
    }
    this.#running = false;
    this.#cancelPending();
    this.tree.woken.disconnect(this.#onWoken);
    this.#resolveStopped?.();
    this.#stopped = this.#resolveStopped = null;
  }

  /** True between `start()` and `stop()`. */
  isRunning(): boolean {
    return this.#running;
  }

  /**
   * A promise resolved when the current run stops (already resolved when not running). Its
   * callbacks run after the frame that called `stop()`, if any, has completed.
   */
  whenStopped(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    this.#stopped ??= new Promise<void>((resolve) => {
      this.#resolveStopped = resolve;
    });
    return this.#stopped;
  }

  /** The number of frames run since the last `start()`. */
  getFrames(): number {
    return this.#frames;
  }

  /** The pacing mode. */
  getMode(): RunMode {
    return this.#mode;
  }

  /** Why the last `start()` failed, or an empty string. */
  getLastError(): string {
    return this.#lastError;
  }

  #frame(runId: number): void {
    this.#pending = null;
    this.#sleeping = false;
    if (!this.#running || runId !== this.#runId) {
      return;
    }
    const now = this.#now();
    if (this.#mode === "fixed" && now < this.#nextDue - 1) {
      this.#scheduleTimer(this.#nextDue - now); // a timer that fired early
      return;
    }
    const delta = Math.min(Math.max(0, (now - this.#lastTime) / 1000), this.#maxDelta);
    this.#lastTime = now;
    this.#frames++;
    try {
      this.tree.process(delta);
    } catch {
      // SceneTree.process() does not throw; this guards a subclass that does, so the loop survives.
    }
    if (!this.#running || runId !== this.#runId) {
      return; // stopped (and maybe restarted) during the frame
    }
    if (this.#mode === "fixed") {
      this.#scheduleFixed();
    } else {
      this.#scheduleIdle();
    }
  }

  /** `fixed` mode: the next frame of the timeline, at once when it is due already. */
  #scheduleFixed(): void {
    this.#nextDue += this.#periodMs;
    const now = this.#now();
    if (now < this.#nextDue) {
      this.#scheduleTimer(this.#nextDue - now);
      return;
    }
    if (now - this.#nextDue >= this.#periodMs) {
      this.#nextDue = now; // a period or more lost: restart the timeline rather than burst
    }
    this.#scheduleImmediate();
  }

  /** `as-fast-as-possible` mode: again at once if woken, else sleep until woken or the deadline. */
  #scheduleIdle(): void {
    if (this.tree.isWakePending()) {
      this.#scheduleImmediate();
      return;
    }
    let deadline: number | null = null;
    try {
      deadline = this.tree.nextDeadline();
    } catch {
      // SceneTree.nextDeadline() does not throw; treat a failing override as "no deadline".
    }
    if (!this.#running || this.tree.isWakePending()) {
      // a _nextDeadline() override stopped the runner or woke the tree
      if (this.#running) {
        this.#scheduleImmediate();
      }
      return;
    }
    this.#sleeping = true;
    this.#scheduleTimer(deadline === null ? TIMEOUT_MAX_MS : deadline * 1000);
  }

  #scheduleImmediate(): void {
    const runId = this.#runId;
    this.#pending = this.#scheduler.schedule(() => this.#frame(runId), 0);
  }

  #scheduleTimer(ms: number): void {
    const runId = this.#runId;
    const delay = Math.min(TIMEOUT_MAX_MS, Math.max(1, Math.ceil(ms)));
    this.#pending = this.#scheduler.schedule(() => this.#frame(runId), delay);
  }

  #cancelPending(): void {
    this.#pending?.();
    this.#pending = null;
    this.#sleeping = false;
  }

  #now(): number {
    try {
      const value = this.#clock();
      return Number.isFinite(value) ? value : this.#lastTime;
    } catch {
      return this.#lastTime;
    }
  }
}
