// The machine-readable record of a bench run: every table's medians and runs, the metric its
// ratios are read on, and the targets of the issue, written as JSON (default .tmp/bench/last.json)
// for bench/chart.ts and for comparing runs.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { median, type Row } from "./measure.ts";

/** A target line: our ratio on the table's metric against `peer` should reach `ratio` (better-is-above-1 form). */
export interface Target {
  /** The peer row's name, or `"target"` for an absolute target (see {@link TableRecord.absolute}). */
  readonly peer: string;
  readonly ratio: number;
  readonly label: string;
}

/** One printed table in the JSON. */
export interface TableRecord {
  /** Workload id: W1, W1e, W2a, W2b, W3, W3file, W4, W5, W6… */
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
  readonly rows: ReadonlyArray<{ readonly name: string; readonly medians: Record<string, number>; readonly runs: Record<string, number[]>; readonly note: string }>;
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

/** Writes the record as JSON, creating the directory. */
export function writeRecord(file: string, record: RunRecord): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(record, null, 2) + "\n");
}
