import { describe, expect, it } from "vitest";
import { ProgressBar } from "../../src/cli/progress-bar.ts";
import { formatBytes, formatDuration, renderProgress, type ProgressLine } from "../../src/cli/progress-format.ts";
import { RateMeter } from "../../src/cli/rate-meter.ts";
import { wantsProgress, type CliIo } from "../../src/cli/transfer.ts";
import { parseArgs, type CliOptions } from "../../src/cli/args.ts";

const MiB = 1024 * 1024;
const base: ProgressLine = { label: "", done: 45 * MiB, total: 100 * MiB, rate: 120 * MiB, elapsed: 0.4, columns: 80, finished: false };

describe("renderProgress", () => {
  it("shows percent, bar, bytes, rate and ETA for a known total", () => {
    const line = renderProgress(base);
    expect(line).toMatch(/^ 45% \[#+-+\] {2}45\.0 MiB \/ 100\.0 MiB {3}120\.0 MiB\/s {2}ETA {2}0:01$/);
    expect(line.length).toBeLessThan(80);
    const bar = /\[([#-]+)\]/.exec(line)?.[1] ?? "";
    expect(bar.replace(/-/g, "").length).toBe(Math.floor(0.45 * bar.length));
  });

  it("keeps the bar's width while the numbers change", () => {
    const width = (done: number, rate: number): number => (/\[([#-]+)\]/.exec(renderProgress({ ...base, done, rate }))?.[1] ?? "").length;
    expect(width(0, 0)).toBe(width(99 * MiB, 900 * MiB));
  });

  it("fits narrow terminals, dropping the bar and then cutting the line", () => {
    const narrow = renderProgress({ ...base, columns: 50 });
    expect(narrow.length).toBeLessThanOrEqual(49);
    expect(narrow).not.toContain("[");
    expect(renderProgress({ ...base, columns: 20 }).length).toBe(19);
  });

  it("shows bytes, rate and elapsed time without a total", () => {
    expect(renderProgress({ ...base, total: -1, done: 1536, rate: 2048, elapsed: 65 })).toBe("1.5 KiB  2.0 KiB/s  1:05");
  });

  it("ends with the size, the time taken and the average rate", () => {
    expect(renderProgress({ ...base, done: 100 * MiB, finished: true, elapsed: 0.5 })).toMatch(
      /^100% \[#{40}\] 100\.0 MiB in 0\.5 s {2}200\.0 MiB\/s$/,
    );
    expect(renderProgress({ ...base, done: 12, total: 12, finished: true, elapsed: 0 })).toMatch(/^100% \[#+\] 12 B in 0\.0 s$/);
  });

  it("labels the upload phase and shows --:-- before a rate is known", () => {
    const line = renderProgress({ ...base, label: "upload", done: 0, rate: 0 });
    expect(line.startsWith("upload   0% [")).toBe(true);
    expect(line).toContain("ETA --:--");
  });

  it("counts an empty body as complete", () => {
    expect(renderProgress({ ...base, done: 0, total: 0 })).toMatch(/^100% \[#+\]/);
  });
});

describe("formatting helpers", () => {
  it("formats bytes in binary units", () => {
    expect([0, 1023, 1024, 1536, MiB, 1.5 * 1024 * MiB].map(formatBytes)).toEqual([
      "0 B",
      "1023 B",
      "1.0 KiB",
      "1.5 KiB",
      "1.0 MiB",
      "1.50 GiB",
    ]);
  });

  it("formats durations, rounding up, and unknown ones as --:--", () => {
    expect([0, 0.2, 59.5, 61, 3725, NaN, Infinity, -1].map(formatDuration)).toEqual([
      "0:00",
      "0:01",
      "1:00",
      "1:01",
      "1:02:05",
      "--:--",
      "--:--",
      "--:--",
    ]);
  });
});

describe("RateMeter", () => {
  it("measures over the last second of samples", () => {
    const meter = new RateMeter();
    expect(meter.rate()).toBe(0);
    meter.add(0, 0);
    meter.add(0.5, 500);
    expect(meter.rate()).toBe(1000);
    for (let t = 1; t <= 3; t += 0.5) meter.add(t, 500 + (t - 0.5) * 100); // slows down to 100 B/s
    expect(meter.rate()).toBeCloseTo(100, 5);
  });
});

describe("ProgressBar", () => {
  it("redraws in place only when the text changes, erases, and ends with a line break", () => {
    const written: string[] = [];
    const bar = new ProgressBar({ write: (text: string) => written.push(text) });
    bar.draw("a");
    bar.draw("a");
    bar.draw("b");
    bar.clear();
    bar.clear();
    bar.end("done");
    expect(written).toEqual(["\ra\x1b[K", "\rb\x1b[K", "\r\x1b[K", "\rdone\x1b[K", "\n"]);
  });
});

describe("wantsProgress", () => {
  const options = (argv: string[]): CliOptions => {
    const parsed = parseArgs([...argv, "u"]);
    if (parsed.kind !== "run") throw new Error("bad argv");
    return parsed.options;
  };
  const io = (stderrTty: boolean, stdoutTty: boolean, env: Record<string, string> = {}): CliIo => ({
    stdout: { write: () => true, once: () => undefined, off: () => undefined, isTTY: stdoutTty },
    stderr: { write: () => true, isTTY: stderrTty },
    env,
  });

  it("draws on a terminal stderr when the body goes to a file or a pipe", () => {
    expect(wantsProgress(options(["-o", "f"]), io(true, true))).toBe(true);
    expect(wantsProgress(options([]), io(true, false))).toBe(true);
  });

  it("stays quiet when stderr is piped, with -s, or when the body goes to the terminal", () => {
    expect(wantsProgress(options(["-o", "f"]), io(false, false))).toBe(false);
    expect(wantsProgress(options(["-o", "f", "-s"]), io(true, false))).toBe(false);
    expect(wantsProgress(options([]), io(true, true))).toBe(false);
  });

  it("follows POLL_HTTP_PROGRESS=1 / =0 over everything", () => {
    expect(wantsProgress(options(["-s"]), io(false, true, { POLL_HTTP_PROGRESS: "1" }))).toBe(true);
    expect(wantsProgress(options(["-o", "f"]), io(true, false, { POLL_HTTP_PROGRESS: "0" }))).toBe(false);
  });
});
