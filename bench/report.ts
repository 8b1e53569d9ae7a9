// The machine-readable record of a bench run: every table's medians and runs, the metric its
// ratios are read on, the targets of the issue and how far each one is met, written as JSON
// (default .tmp/bench/last.json) for bench/chart.ts and for comparing runs.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { median, type Row } from "./measure.ts";

/**
 * A target line: the subject's ratio to `peer` on a metric should reach `ratio`, the ratio turned
 * so that above 1 is better (our req/s ÷ theirs; their CPU ÷ ours; the bound ÷ our RSS).
 */
export interface Target {
  /** The peer row's name, or `"target"` for an absolute target (see {@link Target.absolute}). */
  readonly peer: string;
  readonly ratio: number;
  readonly label: string;
  /** The metric key this target is read on when it is not the table's (e.g. W1's CPU beside its req/s). */
  readonly metric?: string;
  /** Whether larger values of {@link Target.metric} are better; the table's when not given. */
  readonly higherIsBetter?: boolean;
  /** For `peer: "target"`: the value to reach on the metric, when it is not the table's {@link TableRecord.absolute}. */
  readonly absolute?: number;
  /**
   * The row whose ratio is taken, when it is not the table's subject. An absolute target of a table
   * with {@link TableRecord.absolute} and no subject here applies to every row.
   */
  readonly subject?: string;
}

/** How one target fared in a run: one per target and subject row, in {@link TableRecord.results}. */
export interface TargetResult {
  readonly label: string;
  readonly subject: string;
  /** The peer row, or `"target"` for an absolute target. */
  readonly peer: string;
  readonly metric: string;
  readonly higherIsBetter: boolean;
  /** The subject's median on the metric. */
  readonly mine: number;
  /** The peer's median on the metric, or the absolute value. */
  readonly theirs: number;
  /** The ratio of the medians, turned so that above 1 is better (null in JSON when not measured). */
  readonly ratio: number;
  /**
   * The median of the run-by-run ratios (run k of the subject against run k of the peer, measured
   * next to each other in time when the workload interleaves them); null in JSON when the rows have
   * different run counts or for absolute targets.
   */
  readonly pairedRatio: number;
  /** The ratio to reach. */
  readonly target: number;
  /** Whether {@link TargetResult.ratio} reaches the target; null when it was not measured. */
  readonly met: boolean | null;
}

/** One printed table in the JSON. */
export interface TableRecord {
  /** Workload id: W1, W1c, W2a, W2b (each with its CPU placement), W3, W3file, W4, W5a, W5b, W6 (60 fps), W6 (free-running)… */
  readonly workload: string;
  readonly title: string;
  /** The metric key ratios are read on (e.g. `rps`, `mbps`, `ns`). */
  readonly metric: string;
  readonly higherIsBetter: boolean;
  /** The row ratios are taken for; the others are peers. */
  readonly subject: string;
  readonly targets: readonly Target[];
  /** For absolute targets: the value the subject must reach on `metric` (ratio = value / it, or it / value when lower is better). */
  readonly absolute?: number;
  readonly rows: ReadonlyArray<{
    readonly name: string;
    readonly medians: Record<string, number>;
    readonly runs: Record<string, number[]>;
    readonly note: string;
  }>;
  /** Every target evaluated on this run (see {@link evaluateTargets}); absent in records written before it existed. */
  readonly results?: readonly TargetResult[];
}

/** The whole JSON file. */
export interface RunRecord {
  readonly date: string;
  readonly machine: string;
  readonly settings: unknown;
  readonly notes: string[];
  seconds: number;
  readonly tables: TableRecord[];
}

/** Converts rows to their JSON form (NaN becomes null through JSON.stringify). */
export function rowRecords(rows: readonly Row[]): TableRecord["rows"] {
  return rows.map((row) => {
    const medians: Record<string, number> = {};
    const runs: Record<string, number[]> = {};
    for (const [key, values] of row.samples) {
      medians[key] = median(values);
      runs[key] = [...values];
    }
    return { name: row.name, medians, runs, note: row.note };
  });
}

/** A value read back from JSON: null (NaN, ±Infinity written out) and missing become NaN. */
const num = (value: number | null | undefined): number => (typeof value === "number" ? value : NaN);

/**
 * `mine` against `theirs`, turned so that above 1 is better (mine ÷ theirs when higher is better,
 * theirs ÷ mine when lower is); Infinity when a lower-is-better value of ours is 0 or less.
 *
 * @returns The ratio; NaN when either side was not measured.
 */
export function turn(mine: number, theirs: number, higherIsBetter: boolean): number {
  if (Number.isNaN(mine) || Number.isNaN(theirs)) return NaN;
  if (!higherIsBetter && mine <= 0) return theirs >= 0 ? Infinity : NaN;
  return higherIsBetter ? mine / theirs : theirs / mine;
}

/**
 * Evaluates every target of a table: the subject's ratio to the peer (or to the absolute value) on
 * the target's metric, from the medians, and whether it reaches the target.
 *
 * @param table - A table as recorded (its `results` are ignored).
 * @returns One result per target and subject row.
 */
export function evaluateTargets(table: Omit<TableRecord, "results">): TargetResult[] {
  const rowOf = (name: string): TableRecord["rows"][number] | undefined => table.rows.find((r) => r.name === name);
  const out: TargetResult[] = [];
  for (const t of table.targets) {
    const metric = t.metric ?? table.metric;
    const higherIsBetter = t.higherIsBetter ?? (t.metric === undefined ? table.higherIsBetter : true);
    const absolute = t.peer === "target" ? (t.absolute ?? table.absolute) : undefined;
    const subjects =
      t.subject !== undefined
        ? [t.subject]
        : t.peer === "target" && table.absolute !== undefined
          ? table.rows.map((r) => r.name)
          : [table.subject];
    for (const subject of subjects) {
      const mineRow = rowOf(subject);
      const peerRow = absolute === undefined ? rowOf(t.peer) : undefined;
      const mine = num(mineRow?.medians[metric]);
      const theirs = absolute ?? num(peerRow?.medians[metric]);
      const ratio = turn(mine, theirs, higherIsBetter);
      let pairedRatio = NaN;
      const a = mineRow?.runs[metric];
      const b = peerRow?.runs[metric];
      if (a !== undefined && b !== undefined && a.length === b.length && a.length > 0) {
        const perRun = a.map((v, k) => turn(num(v), num(b[k]), higherIsBetter));
        if (!perRun.some((r) => Number.isNaN(r))) pairedRatio = median(perRun);
      }
      out.push({
        label: t.label,
        subject,
        peer: t.peer,
        metric,
        higherIsBetter,
        mine,
        theirs,
        ratio,
        pairedRatio,
        target: t.ratio,
        met: Number.isNaN(ratio) ? null : ratio >= t.ratio,
      });
    }
  }
  return out;
}

/** Writes the record as JSON, creating the directory. */
export function writeRecord(file: string, record: RunRecord): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(record, null, 2) + "\n");
}
