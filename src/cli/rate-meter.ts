// The transfer rate over a sliding window of recent frames, so the rate and ETA follow changes quickly.

/** The window the rate is measured over, in seconds. */
const WINDOW_SECONDS = 1;

/**
 * Measures bytes per second over the last second of samples (or since the first sample when less
 * time has passed). Time is given by the caller (the frames' deltas), never read from a clock.
 */
export class RateMeter {
  private readonly samples: Array<{ readonly time: number; readonly bytes: number }> = [];

  /**
   * Records the running total at a time.
   *
   * @param time - Seconds since the transfer started.
   * @param bytes - Bytes transferred by then.
   */
  add(time: number, bytes: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last !== undefined && last.time === time) this.samples.pop();
    this.samples.push({ time, bytes });
    while (this.samples.length > 2 && time - (this.samples[1]?.time ?? time) >= WINDOW_SECONDS) this.samples.shift();
  }

  /** @returns Bytes per second over the window; 0 before two samples at different times. */
  rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (first === undefined || last === undefined || last.time <= first.time) return 0;
    return (last.bytes - first.bytes) / (last.time - first.time);
  }
}
