// Renders one line of the progress bar from numbers: no I/O, no clock, so it is unit-tested.

/** What one line of the progress bar shows. */
export interface ProgressLine {
  /** A word in front, e.g. `"upload"`; `""` for none. */
  readonly label: string;
  /** Bytes transferred so far. */
  readonly done: number;
  /** Bytes expected in all, or -1 when unknown (no `Content-Length`). */
  readonly total: number;
  /** The current rate in bytes per second. */
  readonly rate: number;
  /** Seconds since the transfer started. */
  readonly elapsed: number;
  /** The terminal's width in columns; the line is kept shorter than that. */
  readonly columns: number;
  /** True for the last line, which shows the time taken instead of the time left. */
  readonly finished: boolean;
}

/** The widest bar drawn, in characters. */
const MAX_BAR = 40;
/** A bar narrower than this is left out. */
const MIN_BAR = 5;

/**
 * Formats a byte count with binary units: `"512 B"`, `"12.3 KiB"`, `"45.0 MiB"`, `"1.20 GiB"`.
 *
 * @param bytes - A count from 0.
 * @returns The text.
 */
export function formatBytes(bytes: number): string {
  if (!(bytes >= 1024)) return `${Math.max(0, Math.round(bytes || 0))} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/**
 * Formats a duration as `m:ss` or `h:mm:ss`; `--:--` when it is not a finite number from 0.
 *
 * @param seconds - The duration.
 * @returns The text.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const whole = Math.ceil(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/**
 * Renders the progress line. With a known total:
 * ` 45% [#########-----------] 45.0 MiB / 100.0 MiB  120.3 MiB/s  ETA 0:01`;
 * without one: `12.3 MiB  4.5 MiB/s  0:03`; a finished line shows the time taken and the average
 * rate. The bar shrinks (down to nothing) so the line fits in `columns - 1` characters.
 *
 * @param line - The numbers to show.
 * @returns The line, without a line break or escape sequences.
 */
export function renderProgress(line: ProgressLine): string {
  const label = line.label === "" ? "" : `${line.label} `;
  const known = line.total >= 0;
  const rate = line.finished && line.elapsed > 0 ? line.done / line.elapsed : line.rate;
  const speed = `${formatBytes(rate)}/s`;
  let tail: string;
  if (line.finished) tail = `${formatBytes(line.done)} in ${formatSeconds(line.elapsed)}${line.elapsed > 0 ? `  ${speed}` : ""}`;
  else if (known) {
    // Fixed-width fields, so the bar keeps its width while the numbers change.
    const total = formatBytes(line.total);
    const eta = formatDuration(rate > 0 ? (line.total - line.done) / rate : NaN);
    tail = `${formatBytes(line.done).padStart(total.length)} / ${total}  ${speed.padStart(12)}  ETA ${eta.padStart(5)}`;
  } else tail = `${formatBytes(line.done)}  ${speed}  ${formatDuration(line.elapsed)}`;
  if (!known) return fit(`${label}${tail}`, line.columns);
  const fraction = line.total === 0 ? 1 : Math.min(1, Math.max(0, line.done / line.total));
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const room = line.columns - 1 - label.length - percent.length - tail.length - 4; // " [" "] "
  const width = Math.min(MAX_BAR, room);
  if (width < MIN_BAR) return fit(`${label}${percent} ${tail}`, line.columns);
  const filled = Math.floor(fraction * width);
  return fit(`${label}${percent} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${tail}`, line.columns);
}

/**
 * Renders the line shown while nothing is transferred yet: what the request waits for and for how
 * long, e.g. `waiting for the response  0:04`, cut to fit in `columns - 1` characters.
 *
 * @param what - What it waits for.
 * @param waited - Seconds waited so far.
 * @param columns - The terminal's width.
 * @returns The line.
 */
export function renderWaiting(what: string, waited: number, columns: number): string {
  return fit(`${what}  ${formatDuration(waited)}`, columns);
}

function formatSeconds(seconds: number): string {
  return seconds < 60 ? `${seconds.toFixed(1)} s` : formatDuration(seconds);
}

function fit(text: string, columns: number): string {
  const max = Math.max(1, columns - 1);
  return text.length <= max ? text : text.slice(0, max);
}
