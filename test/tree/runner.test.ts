import { describe, expect, it } from "vitest";
import { Node } from "../../src/request-node/node.ts";
import { TreeRunner, type TreeScheduler } from "../../src/request-node/runner.ts";
import { SceneTree } from "../../src/request-node/scene-tree.ts";
import { Err } from "../../src/status/err.ts";
import { FakeTime } from "../helpers/fake-time.ts";

/** Records every frame's delta and (fake) time; runs an optional action. */
class Recorder extends Node {
  readonly deltas: number[] = [];
  readonly times: number[] = [];
  action: ((frame: number) => void) | null = null;
  readonly #time: () => number;
  constructor(time: () => number) {
    super("recorder");
    this.#time = time;
  }
  override _process(delta: number): void {
    this.deltas.push(delta);
    this.times.push(this.#time());
    this.action?.(this.deltas.length);
  }
}

function timerHandles(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === "Timeout" || kind === "Immediate").length;
}

function setup(): { tree: SceneTree; recorder: Recorder; time: FakeTime } {
  const time = new FakeTime();
  const tree = new SceneTree();
  const recorder = new Recorder(time.clock);
  tree.root.addChild(recorder);
  return { tree, recorder, time };
}

describe("TreeRunner basics", () => {
  it("refuses invalid options at start() with a reason", () => {
    const tree = new SceneTree();
    for (const options of [{ fps: 0 }, { fps: Number.NaN }, { maxDelta: -1 }, { mode: "turbo" as "fixed" }]) {
      const runner = new TreeRunner(tree, options);
      expect(runner.start()).toBe(Err.ERR_INVALID_PARAMETER);
      expect(runner.getLastError()).toMatch(/invalid TreeRunner options/);
      expect(runner.isRunning()).toBe(false);
    }
  });

  it("runs the first frame from the scheduler, never inside start(); refuses a second start", () => {
    const { tree, recorder, time } = setup();
    const runner = new TreeRunner(tree, { fps: 100, clock: time.clock, scheduler: time.scheduler });
    expect(runner.getMode()).toBe("fixed");
    expect(runner.start()).toBe(Err.OK);
    expect(recorder.deltas).toHaveLength(0);
    expect(runner.start()).toBe(Err.ERR_ALREADY_IN_USE);
    expect(runner.isRunning()).toBe(true);
    time.runDue();
    expect(recorder.deltas).toEqual([0]);
    runner.stop();
    runner.stop(); // idempotent
    expect(runner.getFrames()).toBe(1);
    expect(runner.getFrames()).toBe(tree.getFrame());
    expect(time.pending()).toBe(0);
  });

  it("stops from inside a node's _process after that frame, releasing its pending frame", async () => {
    const { tree, recorder, time } = setup();
    const after: string[] = [];
    tree.root.addChild(
      new (class extends Node {
        override _process(): void {
          after.push(`frame ${tree.getFrame()}`);
        }
      })(),
    );
    const runner = new TreeRunner(tree, { fps: 200, clock: time.clock, scheduler: time.scheduler });
    recorder.action = (frame): void => {
      if (frame === 5) runner.stop();
    };
    runner.start();
    time.runUntil(10_000);
    await runner.whenStopped();
    expect(runner.isRunning()).toBe(false);
    expect(runner.getFrames()).toBe(5);
    expect(after.at(-1)).toBe("frame 5"); // the stopping frame completed
    expect(time.pending()).toBe(0);
    expect(recorder.deltas).toHaveLength(5);
    expect(tree.getFrame()).toBe(5);
  });

  it("can be started again after stopping; frames restart from 0", async () => {
    const { tree, recorder, time } = setup();
    const runner = new TreeRunner(tree, { fps: 200, clock: time.clock, scheduler: time.scheduler });
    recorder.action = (): void => {
      if (runner.getFrames() === 3) runner.stop();
    };
    runner.start();
    time.runUntil(1000);
    await runner.whenStopped();
    expect(runner.start()).toBe(Err.OK);
    time.runUntil(2000);
    await runner.whenStopped();
    expect(runner.getFrames()).toBe(3);
    expect(tree.getFrame()).toBe(6);
  });

  it("clamps deltas to maxDelta and measures them with the injected clock", () => {
    const { tree, recorder, time } = setup();
    let fakeMs = 0;
    const runner = new TreeRunner(tree, {
      mode: "as-fast-as-possible",
      maxDelta: 0.1,
      clock: () => (fakeMs += 40), // each read is 40 ms later
      scheduler: time.scheduler,
    });
    recorder.action = (frame): void => {
      if (frame < 4) tree.wake();
      else runner.stop();
    };
    runner.start();
    time.runDue();
    expect(recorder.deltas).toHaveLength(4);
    for (const delta of recorder.deltas) {
      expect(delta).toBeGreaterThan(0);
      expect(delta).toBeLessThanOrEqual(0.1);
    }
  });

  it("on Node's own timers: runs frames on the event loop and releases its timer on stop", async () => {
    const tree = new SceneTree();
    const before = timerHandles();
    const runner = new TreeRunner(tree, { mode: "as-fast-as-possible" });
    const firstFrame = new Promise<void>((resolve) => {
      tree.root.addChild(
        new (class extends Node {
          override _process(): void {
            resolve();
          }
        })(),
      );
    });
    runner.start();
    expect(tree.woken.getConnectionCount()).toBe(1);
    await firstFrame;
    await new Promise<void>((resolve) => setImmediate(resolve)); // the frame has returned and the runner went to sleep
    expect(timerHandles()).toBeGreaterThan(before); // sleeping on a timer keeps the process alive
    runner.stop();
    expect(tree.woken.getConnectionCount()).toBe(0);
    expect(timerHandles()).toBeLessThanOrEqual(before);
    await runner.whenStopped();
  });
});

describe("TreeRunner fixed mode", () => {
  it("runs fps frames per second on an absolute timeline, deltas summing to the elapsed time", () => {
    const { tree, recorder, time } = setup();
    const runner = new TreeRunner(tree, { fps: 100, clock: time.clock, scheduler: time.scheduler });
    runner.start();
    time.runUntil(300);
    runner.stop();
    expect(runner.getFrames()).toBe(31); // at 0, 10, …, 300 ms
    expect(recorder.times).toEqual(Array.from({ length: 31 }, (_, i) => i * 10));
    expect(recorder.deltas[0]).toBe(0);
    for (const delta of recorder.deltas.slice(1)) expect(delta).toBeCloseTo(0.01, 12);
    const sum = recorder.deltas.reduce((acc, delta) => acc + delta, 0);
    expect(tree.getElapsed()).toBeCloseTo(sum, 9);
    expect(sum).toBeCloseTo(0.3, 9);
  });

  it("after a long frame, does not burst to catch up", () => {
    const { tree, recorder, time } = setup();
    const runner = new TreeRunner(tree, { fps: 100, clock: time.clock, scheduler: time.scheduler });
    recorder.action = (frame): void => {
      if (frame === 3) time.now += 80; // a slow frame: eight periods lost
      if (frame === 8) runner.stop();
    };
    runner.start();
    time.runUntil(1000);
    // Frames at 0, 10, 20 (which took until 100), then one at once and the timeline restarted from there.
    expect(recorder.times).toEqual([0, 10, 20, 100, 110, 120, 130, 140]);
    expect(recorder.deltas[3]).toBeCloseTo(0.08, 12);
  });
});

describe("TreeRunner as-fast-as-possible mode", () => {
  it("sleeps (one long timer pending, no frame) while idle, and wakes at once on tree.wake()", () => {
    const { tree, recorder, time } = setup();
    const runner = new TreeRunner(tree, { mode: "as-fast-as-possible", clock: time.clock, scheduler: time.scheduler });
    runner.start();
    time.runDue();
    expect(runner.getFrames()).toBe(1); // the first frame, then asleep
    expect(time.pending()).toBe(1);
    expect(time.nextDue()).toBeGreaterThan(24 * 3600 * 1000); // nothing is due: no polling loop
    time.runUntil(3_600_000); // an idle hour of fake time
    expect(runner.getFrames()).toBe(1);

    const wokenAt = time.now;
    tree.wake();
    expect(time.pending()).toBe(1); // the long timer was replaced by an immediate frame
    expect(time.nextDue()).toBe(wokenAt);
    time.runDue();
    expect(runner.getFrames()).toBe(2);
    expect(recorder.times.at(-1)).toBe(wokenAt); // no fake time passed between wake and frame
    runner.stop();
    expect(time.pending()).toBe(0);
  });

  it("runs frames back to back while a node keeps waking the tree, then sleeps", () => {
    const { tree, recorder, time } = setup();
    const runner = new TreeRunner(tree, { mode: "as-fast-as-possible", clock: time.clock, scheduler: time.scheduler });
    recorder.action = (frame): void => {
      if (frame < 200) tree.wake();
    };
    runner.start();
    time.runDue();
    expect(runner.getFrames()).toBe(200);
    expect(time.nextDue()).toBeGreaterThan(time.now); // asleep again
    runner.stop();
  });

  it("wakes up for a node's deadline with no wake() call", () => {
    const time = new FakeTime();
    const tree = new SceneTree();
    class Timeout extends Node {
      waited = 0;
      firedAt = -1;
      override _process(delta: number): void {
        this.waited += delta;
        if (this.firedAt < 0 && this.waited >= 0.08 - 1e-9) this.firedAt = time.now;
      }
      override _nextDeadline(): number | null {
        return this.firedAt < 0 ? 0.08 - this.waited : null;
      }
    }
    const timeout = new Timeout("timeout");
    tree.root.addChild(timeout);
    const runner = new TreeRunner(tree, { mode: "as-fast-as-possible", clock: time.clock, scheduler: time.scheduler });
    runner.start();
    time.runUntil(250);
    runner.stop();
    expect(timeout.firedAt).toBe(80);
    expect(runner.getFrames()).toBe(2); // the first frame and the due one
  });

  it("with startSoon, runs its first frame through the scheduler's soon(), cancelled by stop(); later frames through schedule()", () => {
    const { tree, recorder, time } = setup();
    const soon: (() => void)[] = [];
    let cancelled = 0;
    const scheduler: TreeScheduler = {
      schedule: time.scheduler.schedule,
      soon: (callback) => {
        soon.push(callback);
        return () => {
          cancelled++;
        };
      },
    };
    const late = new TreeRunner(tree, { mode: "as-fast-as-possible", clock: time.clock, scheduler });
    late.start();
    expect(soon).toHaveLength(0); // without startSoon: the first frame waits for a turn
    expect(time.pending()).toBe(1);
    late.stop();
    const runner = new TreeRunner(tree, { mode: "as-fast-as-possible", clock: time.clock, scheduler, startSoon: true });
    runner.start();
    expect(soon).toHaveLength(1);
    expect(time.pending()).toBe(0);
    expect(recorder.deltas).toHaveLength(0); // never inside start()
    soon[0]?.();
    expect(runner.getFrames()).toBe(1);
    expect(time.pending()).toBe(1); // asleep on the scheduler's timer
    tree.wake();
    time.runDue();
    expect(runner.getFrames()).toBe(2);
    expect(soon).toHaveLength(1); // a woken frame is not run through soon()
    runner.stop();
    runner.start();
    expect(soon).toHaveLength(2);
    runner.stop();
    expect(cancelled).toBe(1);
    soon[1]?.(); // a cancelling scheduler would not call it; the stale run id makes it a no-op anyway
    expect(runner.getFrames()).toBe(0);
  });

  it("on Node's own timers, with startSoon: the first frame runs before the event loop turns; without, after", async () => {
    const tree = new SceneTree();
    const order: string[] = [];
    tree.root.addChild(
      new (class extends Node {
        override _process(): void {
          order.push("frame");
        }
      })(),
    );
    for (const startSoon of [true, false]) {
      order.length = 0;
      const runner = new TreeRunner(tree, { mode: "as-fast-as-possible", startSoon });
      const turned = new Promise<void>((resolve) =>
        setImmediate(() => {
          order.push("event loop turned");
          resolve();
        }),
      );
      runner.start();
      order.push("start returned");
      await turned;
      await new Promise<void>((resolve) => setImmediate(resolve));
      runner.stop();
      expect(order).toEqual(
        startSoon ? ["start returned", "frame", "event loop turned"] : ["start returned", "event loop turned", "frame"],
      );
    }
  });

  it("releases its pending frame and woken listener on stop", () => {
    const time = new FakeTime();
    const tree = new SceneTree();
    const runner = new TreeRunner(tree, { mode: "as-fast-as-possible", clock: time.clock, scheduler: time.scheduler });
    runner.start();
    expect(tree.woken.getConnectionCount()).toBe(1);
    time.runDue();
    expect(time.pending()).toBe(1);
    runner.stop();
    expect(tree.woken.getConnectionCount()).toBe(0);
    expect(time.pending()).toBe(0);
  });
});
