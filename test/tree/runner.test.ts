import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { Err } from "../../src/status/err.ts";
import { Node } from "../../src/request-node/node.ts";
import { SceneTree } from "../../src/request-node/scene-tree.ts";
import { TreeRunner } from "../../src/request-node/runner.ts";

/** Records every frame's delta and real time; runs an optional action. */
class Recorder extends Node {
  readonly deltas: number[] = [];
  readonly times: number[] = [];
  action: ((frame: number) => void) | null = null;
  constructor() {
    super("recorder");
  }
  override _process(delta: number): void {
    this.deltas.push(delta);
    this.times.push(performance.now());
    this.action?.(this.deltas.length);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function timerHandles(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === "Timeout" || kind === "Immediate").length;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function setup(): { tree: SceneTree; recorder: Recorder } {
  const tree = new SceneTree();
  const recorder = new Recorder();
  tree.root.addChild(recorder);
  return { tree, recorder };
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

  it("runs the first frame on the event loop, never inside start(); refuses a second start", async () => {
    const { tree, recorder } = setup();
    const runner = new TreeRunner(tree, { fps: 100 });
    expect(runner.getMode()).toBe("fixed");
    expect(runner.start()).toBe(Err.OK);
    expect(recorder.deltas).toHaveLength(0);
    expect(runner.start()).toBe(Err.ERR_ALREADY_IN_USE);
    expect(runner.isRunning()).toBe(true);
    await sleep(30);
    runner.stop();
    runner.stop(); // idempotent
    await runner.whenStopped();
    expect(runner.getFrames()).toBeGreaterThan(0);
    expect(runner.getFrames()).toBe(tree.getFrame());
  });

  it("stops from inside a node's _process after that frame, releasing its timers", async () => {
    const { tree, recorder } = setup();
    const after: string[] = [];
    tree.root.addChild(
      new (class extends Node {
        override _process(): void {
          after.push(`frame ${tree.getFrame()}`);
        }
      })(),
    );
    const runner = new TreeRunner(tree, { fps: 200 });
    recorder.action = (frame): void => {
      if (frame === 5) {
        runner.stop();
      }
    };
    const before = timerHandles();
    runner.start();
    await runner.whenStopped();
    expect(runner.isRunning()).toBe(false);
    expect(runner.getFrames()).toBe(5);
    expect(after.at(-1)).toBe("frame 5"); // the stopping frame completed
    expect(timerHandles()).toBeLessThanOrEqual(before);
    await sleep(40);
    expect(recorder.deltas).toHaveLength(5);
    expect(tree.getFrame()).toBe(5);
  });

  it("can be started again after stopping; frames restart from 0", async () => {
    const { tree, recorder } = setup();
    const runner = new TreeRunner(tree, { fps: 200 });
    recorder.action = (): void => {
      if (runner.getFrames() === 3) {
        runner.stop();
      }
    };
    runner.start();
    await runner.whenStopped();
    expect(runner.start()).toBe(Err.OK);
    await runner.whenStopped();
    expect(runner.getFrames()).toBe(3);
    expect(tree.getFrame()).toBe(6);
  });

  it("clamps deltas to maxDelta and measures them with the injected clock", async () => {
    const { tree, recorder } = setup();
    let fakeMs = 0;
    const runner = new TreeRunner(tree, {
      mode: "as-fast-as-possible",
      maxDelta: 0.1,
      clock: () => (fakeMs += 40), // each read is 40 ms later
    });
    recorder.action = (frame): void => {
      if (frame < 4) {
        tree.wake();
      } else {
        runner.stop();
      }
    };
    runner.start();
    await runner.whenStopped();
    expect(recorder.deltas).toHaveLength(4);
    for (const delta of recorder.deltas) {
      expect(delta).toBeGreaterThan(0);
      expect(delta).toBeLessThanOrEqual(0.1);
    }
  });
});

describe("TreeRunner fixed mode", () => {
  it("runs about fps frames per second with deltas summing to the elapsed time", async () => {
    const { tree, recorder } = setup();
    const runner = new TreeRunner(tree, { fps: 100 });
    const t0 = performance.now();
    runner.start();
    await sleep(300);
    runner.stop();
    const frames = runner.getFrames();
    expect(frames).toBeGreaterThanOrEqual(10); // ~30 expected; loose for a loaded machine
    expect(frames).toBeLessThanOrEqual(33); // never more than the timeline allows
    const last = recorder.times.at(-1) ?? Number.NaN;
    const sum = recorder.deltas.reduce((acc, delta) => acc + delta, 0);
    expect(tree.getElapsed()).toBeCloseTo(sum, 9);
    expect(sum).toBeLessThanOrEqual((last - t0) / 1000 + 1e-9);
    expect(sum).toBeGreaterThan((last - t0) / 1000 - 0.015);
    const typical = median(recorder.deltas.slice(1));
    expect(typical).toBeGreaterThan(0.005);
    expect(typical).toBeLessThan(0.03);
  });

  it("after a long frame, does not burst to catch up", async () => {
    const { tree, recorder } = setup();
    const runner = new TreeRunner(tree, { fps: 100 });
    let longEnd = 0;
    recorder.action = (frame): void => {
      if (frame === 3) {
        const until = performance.now() + 80; // eight periods lost
        while (performance.now() < until) {
          // block the event loop like a slow frame would
        }
        longEnd = performance.now();
      }
      if (frame === 12) {
        runner.stop();
      }
    };
    runner.start();
    await runner.whenStopped();
    const soonAfter = recorder.times.slice(3).filter((time) => time - longEnd < 8);
    expect(soonAfter.length).toBeLessThanOrEqual(2); // at most the one due frame, not eight
  });
});

describe("TreeRunner as-fast-as-possible mode", () => {
  it("idles at ~0 CPU and wakes promptly on tree.wake()", async () => {
    const { tree, recorder } = setup();
    const runner = new TreeRunner(tree, { mode: "as-fast-as-possible" });
    runner.start();
    await sleep(20);
    expect(runner.getFrames()).toBe(1); // the first frame, then asleep
    const cpuBefore = process.cpuUsage();
    await sleep(300);
    const cpu = process.cpuUsage(cpuBefore);
    expect(runner.getFrames()).toBe(1);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(50); // ms of CPU over 300 ms idle

    const woke = new Promise<number>((resolve) => {
      recorder.action = (): void => resolve(performance.now());
    });
    const wokenAt = performance.now();
    tree.wake();
    const ranAt = await woke;
    expect(ranAt - wokenAt).toBeLessThan(25); // typically well under 1 ms
    expect(runner.getFrames()).toBe(2);
    runner.stop();
  });

  it("runs frames back to back while a node keeps waking the tree, then sleeps", async () => {
    const { tree, recorder } = setup();
    const runner = new TreeRunner(tree, { mode: "as-fast-as-possible" });
    recorder.action = (frame): void => {
      if (frame < 200) {
        tree.wake();
      }
    };
    runner.start();
    await sleep(150);
    expect(runner.getFrames()).toBe(200);
    runner.stop();
  });

  it("wakes up for a node's deadline with no wake() call", async () => {
    const tree = new SceneTree();
    class Timeout extends Node {
      waited = 0;
      firedAt = 0;
      override _process(delta: number): void {
        this.waited += delta;
        if (this.firedAt === 0 && this.waited >= 0.08) {
          this.firedAt = performance.now();
        }
      }
      override _nextDeadline(): number | null {
        return this.firedAt === 0 ? 0.08 - this.waited : null;
      }
    }
    const timeout = new Timeout("timeout");
    tree.root.addChild(timeout);
    const runner = new TreeRunner(tree, { mode: "as-fast-as-possible" });
    const t0 = performance.now();
    runner.start();
    await sleep(250);
    runner.stop();
    expect(timeout.firedAt).toBeGreaterThan(0);
    expect(timeout.firedAt - t0).toBeGreaterThanOrEqual(79);
    expect(timeout.firedAt - t0).toBeLessThan(200);
    expect(runner.getFrames()).toBeLessThanOrEqual(5); // first frame, the due one, maybe a 1 ms re-check
  });

  it("releases its timer and woken listener on stop", async () => {
    const tree = new SceneTree();
    const before = timerHandles();
    const runner = new TreeRunner(tree, { mode: "as-fast-as-possible" });
    runner.start();
    expect(tree.woken.getConnectionCount()).toBe(1);
    await sleep(10);
    expect(timerHandles()).toBeGreaterThan(before); // sleeping on a timer keeps the process alive
    runner.stop();
    expect(tree.woken.getConnectionCount()).toBe(0);
    expect(timerHandles()).toBeLessThanOrEqual(before);
  });
});
