import type { TreeScheduler } from "../../src/index.ts";

interface Task {
  readonly due: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * A fake clock and scheduler for a `TreeRunner`: time moves only when the test says so, and the
 * scheduled frames run in due order as it moves, so runner tests assert frames, deltas and wake-ups
 * in exact fake milliseconds and never wait on real time.
 */
export class FakeTime {
  /** The fake time in milliseconds. */
  now = 0;
  #seq = 0;
  #tasks: Task[] = [];

  /** The clock to pass as `TreeRunnerOptions.clock`. */
  readonly clock = (): number => this.now;

  /** The scheduler to pass as `TreeRunnerOptions.scheduler`: delay 0 runs at the current fake time. */
  readonly scheduler: TreeScheduler = {
    schedule: (callback: () => void, delayMs: number): (() => void) => {
      const task: Task = { due: this.now + Math.max(0, delayMs), seq: this.#seq++, callback };
      this.#tasks.push(task);
      return () => {
        this.#tasks = this.#tasks.filter((other) => other !== task);
      };
    },
  };

  /** How many scheduled calls are pending. */
  pending(): number {
    return this.#tasks.length;
  }

  /** The due time of the next pending call, or null. */
  nextDue(): number | null {
    return this.#next()?.due ?? null;
  }

  /**
   * Runs the calls due up to `until` (fake ms) in due order, moving the clock to each one's due
   * time, then moves it to `until`.
   *
   * @param until - The fake time to reach.
   * @param maxCalls - A bound, so a runner that never sleeps fails the test instead of hanging it.
   * @returns How many calls ran.
   */
  runUntil(until: number, maxCalls = 100_000): number {
    let calls = 0;
    for (let task = this.#next(); task !== null && task.due <= until; task = this.#next()) {
      if (++calls > maxCalls) throw new Error(`more than ${maxCalls} scheduled calls before ${until} ms`);
      this.#tasks = this.#tasks.filter((other) => other !== task);
      this.now = Math.max(this.now, task.due);
      task.callback();
    }
    this.now = Math.max(this.now, until);
    return calls;
  }

  /** Runs the calls due now (immediates and due timers), without moving the clock. */
  runDue(maxCalls?: number): number {
    return this.runUntil(this.now, maxCalls);
  }

  #next(): Task | null {
    let best: Task | null = null;
    for (const task of this.#tasks) if (best === null || task.due < best.due || (task.due === best.due && task.seq < best.seq)) best = task;
    return best;
  }
}
