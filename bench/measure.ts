// Measuring helpers shared by the workloads: CPU time, peak RSS sampling, forced GC, medians and
// the printed tables with ratios.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { undiciInstalled } from "./undici-peer.ts";

/** The name every ratio is taken against: poll-http's first row. */
export const SUBJECT = "poll-http";

/** Wall time and CPU time (user + system, this process only) of one measured section. */
export interface Span {
  readonly seconds: number;
  readonly cpuSeconds: number;
}

/** Starts measuring; call the returned function at the end. */
export function startSpan(): () => Span {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(c0);
    return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
  };
}

let gcFn: (() => void) | null | undefined;

/** Runs a full GC (exposed at run time through V8 flags, since `npm run bench` passes no node flags). */
export function fullGc(): void {
  if (gcFn === undefined) {
    const exposed: unknown = (globalThis as { gc?: unknown }).gc;
    if (typeof exposed === "function") {
      gcFn = (): void => void (exposed as () => unknown)();
      gcFn();
      return;
    }
    try {
      setFlagsFromString("--expose-gc");
      const fn: unknown = runInNewContext("gc");
      gcFn = typeof fn === "function" ? (): void => void (fn as () => unknown)() : null;
    } catch {
      gcFn = null;
    }
  }
  gcFn?.();
}

/**
 * Peak RSS growth over a baseline: samples `process.memoryUsage.rss()` every `intervalMs`, and at
 * the end also asks the OS for the process's high-water mark (`ru_maxrss`), which sees peaks inside
 * synchronous code that no timer can sample (e.g. a body concatenated in one tick). The high-water
 * mark only counts when it rose after the baseline, i.e. when the peak happened during the run.
 */
export class RssSampler {
  readonly baseline: number;
  private readonly maxRssAtStart: number;
  private peak: number;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(intervalMs = 5) {
    fullGc();
    this.baseline = process.memoryUsage.rss();
    this.maxRssAtStart = process.resourceUsage().maxRSS * 1024;
    this.peak = this.baseline;
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }

  /** Stops sampling; returns the peak growth over the baseline in bytes. */
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    const maxRss = process.resourceUsage().maxRSS * 1024;
    if (maxRss > this.maxRssAtStart && maxRss > this.peak) this.peak = maxRss;
    return this.peak - this.baseline;
  }
}

/** The median of a non-empty list (mean of the middle two for even lengths). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return NaN;
  if (sorted.length % 2 === 1) return sorted[mid] ?? NaN;
  return ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/** A column of a result table. */
export interface Column {
  readonly title: string;
  /** Key of the metric in each row's samples. */
  readonly key: string;
  /** Decimals printed. */
  readonly digits: number;
  /** For ratio lines: true when a larger value is better (req/s), false when smaller is (CPU, RSS). */
  readonly higherIsBetter: boolean;
  /** Whether ratio lines are printed for this column. */
  readonly ratio: boolean;
}

/** The runs of one client in one workload: metric key → one value per run. */
export interface Row {
  readonly name: string;
  readonly samples: Map<string, number[]>;
  /** Free text shown after the numbers (e.g. a failure). */
  note: string;
}

/** Creates an empty row. */
export function newRow(name: string): Row {
  return { name, samples: new Map<string, number[]>(), note: "" };
}

/** Appends one run's value of a metric to a row. */
export function addSample(row: Row, key: string, value: number): void {
  const list = row.samples.get(key);
  if (list === undefined) row.samples.set(key, [value]);
  else list.push(value);
}

/** The median of a row's metric, or NaN when it has no sample. */
export function rowMedian(row: Row, key: string): number {
  const list = row.samples.get(key);
  return list === undefined || list.length === 0 ? NaN : median(list);
}

function fmt(value: number, digits: number): string {
  if (!Number.isFinite(value)) return "—";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * Formats a table (medians; runs in brackets for the first column) followed by
 * `poll-http / <peer> = N.NNx` lines for every peer and every ratio column.
 *
 * @returns Markdown-compatible text.
 */
export function formatTable(title: string, columns: readonly Column[], rows: readonly Row[]): string {
  const header = ["client", ...columns.map((c) => c.title), "runs (" + (columns[0]?.title ?? "") + ")"];
  const body = rows.map((row) => {
    const first = columns[0];
    const runs = first === undefined ? [] : (row.samples.get(first.key) ?? []);
    return [
      row.name,
      ...columns.map((c) => fmt(rowMedian(row, c.key), c.digits)),
      runs.map((v) => fmt(v, first?.digits ?? 0)).join(" / ") + (row.note === "" ? "" : ` ${row.note}`),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    "| " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(" | ") + " |";
  const out = [
    `### ${title}`,
    "",
    line(header),
    "|" + widths.map((w, i) => (i === 0 ? ":" + "-".repeat(w + 1) : "-".repeat(w + 1) + ":")).join("|") + "|",
  ];
  for (const r of body) out.push(line(r));
  const subject = rows.find((r) => r.name === SUBJECT);
  if (subject !== undefined && rows.length > 1) {
    out.push("");
    for (const c of columns) {
      if (!c.ratio) continue;
      const mine = rowMedian(subject, c.key);
      const parts: string[] = [];
      for (const peer of rows) {
        if (peer === subject) continue;
        const ratio = mine / rowMedian(peer, c.key);
        parts.push(`${SUBJECT} / ${peer.name} = ${Number.isFinite(ratio) ? ratio.toFixed(2) : "—"}x`);
      }
      if (parts.length > 0) out.push(`- ${c.title} (${c.higherIsBetter ? "higher" : "lower"} is better): ${parts.join(", ")}`);
    }
  }
  return out.join("\n");
}

/** Fails when `promise` does not settle within `ms`, so a stuck client cannot hang the suite. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** A client of a workload, selectable on the command line by id or name. */
export interface ClientEntry<T> {
  /** Short id for `--clients` (poll, poll-micro, undici, http, fetch, raw). */
  readonly id: string;
  /** The name printed in tables. */
  readonly name: string;
  readonly make: () => T;
}

/**
 * The entries whose id or name is in `wanted`, in their own order; all when `wanted` is empty.
 * undici (an optional dev dependency) is left out when it is not installed.
 */
export function selectClients<T>(entries: readonly ClientEntry<T>[], wanted: readonly string[]): ClientEntry<T>[] {
  return entries.filter(
    (e) => (wanted.length === 0 || wanted.includes(e.id) || wanted.includes(e.name)) && (e.id !== "undici" || undiciInstalled()),
  );
}

/**
 * The order of `runs` interleaved runs: every entry once a run, the order rotated by one each run
 * against position effects (what runs first, or after which other client).
 *
 * @param entries - What is measured, in table order.
 * @param rows - The table row of each entry (same index).
 * @returns Each entry with its row, in the order to measure them.
 */
export function* interleaved<T>(runs: number, entries: readonly T[], rows: readonly Row[]): Generator<readonly [T, Row]> {
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < entries.length; k++) {
      const i = (k + run) % entries.length;
      const entry = entries[i];
      const row = rows[i];
      if (entry !== undefined && row !== undefined) yield [entry, row];
    }
  }
}

/** CPU jiffies (1/100 s on Linux) from /proc: the whole machine, its steal time, and two processes. */
interface CpuSnapshot {
  readonly at: number;
  readonly busy: number;
  readonly steal: number;
  readonly self: number;
  readonly server: number;
}

const JIFFY_SECONDS = 0.01;

/** utime + stime of a process, plus cutime + cstime: its children that have exited (the measuring children). */
function processJiffies(pid: number | "self"): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "latin1");
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return Number(rest[11] ?? 0) + Number(rest[12] ?? 0) + Number(rest[13] ?? 0) + Number(rest[14] ?? 0);
  } catch {
    return NaN;
  }
}

/** The jiffies of a process's live children (e.g. nginx's worker), from /proc/PID/task/PID/children. */
function childrenJiffies(pid: number): number {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "latin1")
      .trim()
      .split(/\s+/)
      .filter((s) => s !== "");
    return children.reduce((sum, child) => sum + (processJiffies(Number(child)) || 0), 0);
  } catch {
    return 0;
  }
}

function snapshot(serverPid: number): CpuSnapshot | null {
  try {
    const line = readFileSync("/proc/stat", "latin1").split("\n", 1)[0] ?? "";
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return {
      at: performance.now(),
      busy: user + nice + system + irq + softirq,
      steal,
      self: processJiffies("self"),
      server: processJiffies(serverPid) + childrenJiffies(serverPid),
    };
  } catch {
    return null;
  }
}

/**
 * Watches how much CPU processes other than the bench and its server used while a workload ran
 * (from /proc, Linux only), plus hypervisor steal time: on a 2-core machine anything else running
 * skews every number, so each table is followed by this check.
 */
export class MachineWatch {
  private readonly serverPid: number;
  private readonly start: CpuSnapshot | null;

  constructor(serverPid: number) {
    this.serverPid = serverPid;
    this.start = snapshot(serverPid);
  }

  /** One line: other processes' CPU and steal since construction, with a warning when high. */
  report(): string {
    const a = this.start;
    const b = snapshot(this.serverPid);
    if (a === null || b === null || Number.isNaN(a.self + a.server + b.self + b.server)) return "machine check: /proc not readable";
    const wall = (b.at - a.at) / 1000;
    const others = Math.max(0, b.busy - a.busy - (b.self - a.self) - (b.server - a.server)) * JIFFY_SECONDS;
    const steal = (b.steal - a.steal) * JIFFY_SECONDS;
    const share = wall > 0 ? others / wall : 0;
    const warn =
      share > 0.05 || steal / Math.max(wall, 1e-9) > 0.05 ? "  WARNING: the machine was not quiet; these numbers are skewed" : "";
    return `machine check: other processes used ${others.toFixed(2)} CPU-s over ${wall.toFixed(1)} s (${(share * 100).toFixed(1)}% of one core), steal ${steal.toFixed(2)} s; bench (with its measuring children) ${((b.self - a.self) * JIFFY_SECONDS).toFixed(1)} CPU-s, server ${((b.server - a.server) * JIFFY_SECONDS).toFixed(1)} CPU-s${warn}`;
  }
}
