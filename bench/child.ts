// Runs one bulk measurement (W3, W6) in a fresh child process.
//
// Why: peak RSS growth only means something from a known starting point. In one long-lived
// process, pages that earlier downloads freed stay with the allocator, so a later download can
// use them without any RSS growth (W6 kept a 64 MiB body with "0 MiB" growth that way). A fresh
// process per measurement starts every client from the same image (the bench bundle loaded,
// server-free), with its own CPU accounting. `--in-process` turns this off, e.g. to profile with
// `node --cpu-prof`.
import { fork } from "node:child_process";
import type { WT3Spec } from "./threaded.ts";

/** What a child measures: one download of a W3 client, or one W6 download (a client at 60 fps or free-running). */
export type ChildSpec =
  | {
      readonly kind: "w3";
      readonly client: string;
      readonly port: number;
      readonly mib: number;
      readonly chunked: boolean;
      readonly warmupMib: number;
      readonly nginx?: boolean;
    }
  | {
      readonly kind: "w3file";
      readonly client: string;
      readonly port: number;
      readonly mib: number;
      readonly chunked: boolean;
      readonly warmupMib: number;
      readonly nginx?: boolean;
    }
  | { readonly kind: "w4"; readonly transport: "scripted" | "tcp"; readonly port: number; readonly nodes: number; readonly ticks: number }
  | {
      readonly kind: "w6";
      readonly client: "poll" | "undici" | "http";
      readonly mode: "fixed" | "as-fast-as-possible";
      readonly port: number;
      readonly mib: number;
    }
  | WT3Spec;

/** One measured download. */
export interface ChildSample {
  readonly seconds: number;
  readonly cpuSeconds: number;
  /** Peak RSS minus the RSS before the first byte was requested (warm-up included), in bytes. */
  readonly rssGrowth: number;
  /** Driver wake-ups (poll-http rows) or frames (W6); NaN when not applicable. */
  readonly steps: number;
  /** Body bytes received, or -1 when the client counts wire bytes only. */
  readonly bytes: number;
  /** Workload-specific measures (W4: ns per node per tick, heap growth). */
  readonly extra?: Readonly<Record<string, number>>;
}

function isSample(value: unknown): value is ChildSample {
  return (
    typeof value === "object" &&
    value !== null &&
    "seconds" in value &&
    typeof value.seconds === "number" &&
    "cpuSeconds" in value &&
    "rssGrowth" in value &&
    "steps" in value &&
    "bytes" in value
  );
}

/** The marker argument of a measuring child. */
export const CHILD_FLAG = "--bench-child";

/**
 * Forks `entry` with {@link CHILD_FLAG} and the spec, and waits for its sample.
 *
 * @param entry - The bundled bench file.
 * @param spec - What to measure.
 * @param execArgv - Node flags of the child (e.g. `--expose-gc`).
 * @returns The sample; rejects with the child's error.
 */
export function runInChild(entry: string, spec: ChildSpec, execArgv: readonly string[] = []): Promise<ChildSample> {
  return new Promise<ChildSample>((resolve, reject) => {
    const child = fork(entry, [CHILD_FLAG, JSON.stringify(spec)], {
      execArgv: [...execArgv],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let settled = false;
    child.on("message", (msg: unknown) => {
      if (settled) return;
      settled = true;
      if (isSample(msg)) resolve(msg);
      else reject(new Error(typeof msg === "object" && msg !== null && "error" in msg ? String(msg.error) : "bad message from child"));
    });
    child.on("error", (error) => {
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
    child.on("exit", (code) => {
      if (!settled) {
        settled = true;
        reject(new Error(`measuring child exited with code ${String(code)} and no sample`));
      }
    });
  });
}

/**
 * Child side: parses the spec after {@link CHILD_FLAG}, runs `measure`, sends the sample (or
 * `{ error }`) to the parent and exits.
 *
 * @param measure - Runs one spec in this process.
 */
export async function childMain(measure: (spec: ChildSpec) => Promise<ChildSample>): Promise<void> {
  const raw = process.argv[process.argv.indexOf(CHILD_FLAG) + 1] ?? "";
  try {
    const spec = JSON.parse(raw) as ChildSpec;
    const sample = await measure(spec);
    process.send?.(sample);
  } catch (error) {
    process.send?.({ error: error instanceof Error ? error.message : String(error) });
  }
  process.disconnect?.();
  process.exit(0);
}
