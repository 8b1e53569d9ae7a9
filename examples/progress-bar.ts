// A one-line terminal progress bar: bytes, rate and time left. Quiet when the output is not a terminal.
import type { WriteStream } from "node:tty";

/** Draws a progress bar on a terminal line; does nothing when the stream is not a TTY. */
export class ProgressBar {
  private readonly out: NodeJS.WriteStream | WriteStream;
  private drawn = false;

  constructor(out: NodeJS.WriteStream | WriteStream) {
    this.out = out;
  }

  /** Draws `done` of `total` bytes after `elapsedMs`. */
  draw(label: string, done: number, total: number, elapsedMs: number): void {
    if (!this.out.isTTY) return;
    const width = 30;
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(fraction * width);
    const rate = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0;
    const eta = rate > 0 && total > 0 ? (total - done) / rate : 0;
    const line = `${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ` +
      `${mib(done)}/${mib(total)} MiB  ${mib(rate)} MiB/s  ETA ${eta.toFixed(1)} s`;
    this.out.write(`\r${line}\x1b[K`);
    this.drawn = true;
  }

  /** Removes the bar so ordinary lines can be printed. */
  clear(): void {
    if (this.drawn && this.out.isTTY) this.out.write("\r\x1b[K");
    this.drawn = false;
  }
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}
