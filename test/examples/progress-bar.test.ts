// The examples' progress bar (examples/progress-bar.ts, used by the demo and game-downloads): the
// command line's bar, fitted to the terminal, with no ETA before a rate is measured and a last
// line that shows the true total.
import { describe, expect, it } from "vitest";
import { ProgressBar } from "../../examples/progress-bar.ts";

const MiB = 1024 * 1024;

/** A terminal stand-in that splits what is drawn into the lines a reader sees. */
function terminal(columns: number): { out: { isTTY: true; columns: number; write(text: string): boolean }; lines(): string[] } {
  let written = "";
  return {
    out: { isTTY: true, columns, write: (text: string) => ((written += text), true) },
    lines: () =>
      written
        .replace(/\x1b\[K/g, "")
        .split(/[\r\n]/)
        .filter((line) => line !== ""),
  };
}

describe("the examples' progress bar", () => {
  for (const columns of [80, 60, 40]) {
    it(`fits a ${columns}-column terminal in every frame, the last one included`, () => {
      const { out, lines } = terminal(columns);
      const bar = new ProgressBar(out);
      for (let frame = 1; frame <= 60; frame++) bar.draw("download", Math.min(96 * MiB, frame * 1.7 * MiB), 96 * MiB, frame / 60);
      bar.finish("download", 96 * MiB, 1);
      expect(lines().length).toBeGreaterThan(50);
      for (const line of lines()) expect(line.length).toBeLessThan(columns);
    });
  }

  it("shows no ETA before a rate is measured, then one from the rate of the last second", () => {
    const { out, lines } = terminal(100);
    const bar = new ProgressBar(out);
    bar.draw("download", 2 * MiB, 96 * MiB, 0.9); // the first frame: the connection took most of that time
    bar.draw("download", 4 * MiB, 96 * MiB, 0.9 + 1 / 60);
    const [first, second] = lines();
    expect(first).toMatch(/ETA --:--$/);
    expect(second).toMatch(/120\.0 MiB\/s {2}ETA {2}0:01$/); // 2 MiB in 1/60 s: 92 MiB left take under a second
  });

  it("ends on a line with the true total, the time taken and the average rate", () => {
    const { out, lines } = terminal(100);
    const bar = new ProgressBar(out);
    bar.draw("download", 95.7 * MiB, 96 * MiB, 0.95);
    bar.finish("download", 96 * MiB, 1);
    expect(lines().at(-1)).toBe("download 100% [########################################] 96.0 MiB in 1.0 s  96.0 MiB/s");
  });

  it("draws nothing when the output is not a terminal", () => {
    let written = "";
    const bar = new ProgressBar({ write: (text: string) => (written += text) });
    bar.draw("download", 1, 2, 1);
    bar.finish("download", 2, 1);
    expect(written).toBe("");
  });
});
