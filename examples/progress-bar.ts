// The examples' progress bar: the command line's own (src/cli), so it fits the terminal's width,
// measures the rate over the last second (no ETA until a rate is known) and ends on a line with the
// true total. Quiet when the output is not a terminal.
import { ProgressBar as TerminalLine } from "../src/cli/progress-bar.ts";
import { renderProgress } from "../src/cli/progress-format.ts";
import { RateMeter } from "../src/cli/rate-meter.ts";

/** Where the bar is drawn: `process.stdout`, or a test's stand-in. */
export interface BarOutput {
  /** Writes text. */
  write(text: string): unknown;
  /** True on a terminal; nothing is drawn otherwise. */
  readonly isTTY?: boolean;
  /** The terminal's width. */
  readonly columns?: number;
}

/** Draws a progress line on a terminal, redrawn in place; does nothing when the stream is not a TTY. */
export class ProgressBar {
  private readonly out: BarOutput;
  private readonly line: TerminalLine;
  private meter = new RateMeter();
  private label = "";

  constructor(out: BarOutput) {
    this.out = out;
    this.line = new TerminalLine(out);
  }

  /**
   * Draws `done` of `total` bytes (`total` -1 when unknown).
   *
   * @param elapsed - Seconds since the transfer started (the frames' time), for the rate and ETA.
   */
  draw(label: string, done: number, total: number, elapsed: number): void {
    if (this.out.isTTY !== true) return;
    if (label !== this.label) [this.label, this.meter] = [label, new RateMeter()];
    this.meter.add(elapsed, done);
    this.line.draw(renderProgress({ label, done, total, rate: this.meter.rate(), elapsed, columns: this.columns(), finished: false }));
  }

  /** Draws the last line (size, time taken, average rate) and leaves it on the screen. */
  finish(label: string, done: number, elapsed: number): void {
    if (this.out.isTTY !== true) return;
    this.line.end(renderProgress({ label, done, total: done, rate: 0, elapsed, columns: this.columns(), finished: true }));
  }

  /** Removes the bar so ordinary lines can be printed. */
  clear(): void {
    if (this.out.isTTY === true) this.line.clear();
  }

  private columns(): number {
    return this.out.columns || Number(process.env["COLUMNS"]) || 80;
  }
}
