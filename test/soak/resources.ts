/**
 * Measures what a process holds: file descriptors (`/proc/self/fd`), libuv handles and requests
 * by type (`process.getActiveResourcesInfo()`) and heap after a full garbage collection.
 */
import { readdirSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** What the process holds at one moment. */
export interface ResourceSnapshot {
  /** Open file descriptors. */
  readonly fds: number;
  /** Active handles and requests by type (`TCPSocketWrap`, `Timeout`, `FSReqCallback`, …). */
  readonly active: Readonly<Record<string, number>>;
  /** `heapUsed` after a full GC, in bytes. */
  readonly heapUsed: number;
}

let gcFunction: (() => void) | null = null;

/**
 * Node's `gc()`: the global one under `--expose-gc`, otherwise obtained by setting the flag at run
 * time and reading it from a fresh context (works in a vitest worker without extra arguments).
 */
export function gc(): void {
  if (gcFunction === null) {
    const global = (globalThis as { gc?: () => void }).gc;
    if (typeof global === "function") {
      gcFunction = global;
    } else {
      setFlagsFromString("--expose-gc");
      gcFunction = runInNewContext("gc") as () => void;
    }
  }
  // Several passes: weak references and finalizers free more on the next one.
  for (let i = 0; i < 4; i++) gcFunction();
}

/** Open file descriptors of this process. */
export function fdCount(): number {
  return readdirSync("/proc/self/fd").length - 1; // minus the one readdir itself holds
}

/** Active resources by type. */
export function activeResources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) out[type] = (out[type] ?? 0) + 1;
  return out;
}

/** A snapshot, after a full GC when `collect` (default true). */
export function snapshot(collect = true): ResourceSnapshot {
  if (collect) gc();
  return { fds: fdCount(), active: activeResources(), heapUsed: process.memoryUsage().heapUsed };
}

/**
 * Resource types whose count grew from `before` to `after`.
 *
 * @returns `{ type: [before, after] }` for each type that grew; empty when nothing did.
 */
export function grownResources(before: ResourceSnapshot, after: ResourceSnapshot): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const [type, count] of Object.entries(after.active)) {
    const was = before.active[type] ?? 0;
    if (count > was) out[type] = [was, count];
  }
  return out;
}
