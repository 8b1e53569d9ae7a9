// CPU placement of the bench's client (this process) and server for W1 and W2: on a small VM the
// scheduler's choice of CPUs moves the ratios more than any client change (a wake-up across CPUs
// costs far more than one on the same CPU), so those workloads run pinned, once with client and
// server on the same CPU and once on different CPUs. `taskset` (util-linux) sets the affinity of
// every thread of a process (`-a`); threads started later inherit it.
import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";

/** Where the client and the server run during a pinned workload. */
export interface Placement {
  /** Printed in table titles and used in the workload id: "same CPU", "different CPUs" or "unpinned". */
  readonly label: string;
  /** CPU of the bench process (the client), or null when unpinned. */
  readonly client: number | null;
  /** CPU of the bench server process, or null when unpinned. */
  readonly server: number | null;
}

let available: boolean | undefined;

/**
 * Set by bench/ab.ts: the processes were placed from outside (the client by `taskset -c`, the server
 * by bench/ab-server-pin.cjs), so the bench neither pins nor unpins.
 */
const placedOutside = process.env.POLL_HTTP_BENCH_PIN === "external";

/** Whether `taskset` can be run here. */
export function tasksetAvailable(): boolean {
  if (available === undefined) {
    try {
      execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

/**
 * The placements W1 and W2 run under: same CPU and different CPUs where `taskset` exists and the
 * machine has two CPUs or more, else one unpinned placement.
 *
 * @returns The placements, and a note when pinning is not possible.
 */
export function placements(): { readonly list: readonly Placement[]; readonly note: string | null } {
  if (placedOutside) return { list: [{ label: "placed outside", client: null, server: null }], note: null };
  if (!tasksetAvailable())
    return {
      list: [{ label: "unpinned", client: null, server: null }],
      note: "taskset is not installed (util-linux): W1 and W2 ran unpinned",
    };
  if (availableParallelism() < 2)
    return { list: [{ label: "unpinned", client: null, server: null }], note: "one CPU: W1 and W2 ran unpinned" };
  return {
    list: [
      { label: "same CPU", client: 0, server: 0 },
      { label: "different CPUs", client: 0, server: 1 },
    ],
    note: null,
  };
}

/**
 * Sets the CPU affinity of every thread of a process.
 *
 * @param pid - The process.
 * @param cpu - One CPU, or null for all of them.
 */
export function pin(pid: number, cpu: number | null): void {
  const list = cpu === null ? `0-${availableParallelism() - 1}` : String(cpu);
  execFileSync("taskset", ["-a", "-p", "-c", list, String(pid)], { stdio: "ignore" });
}

/**
 * Applies a placement to the bench process and the server; {@link unpinAll} undoes it.
 *
 * @param placement - Where each runs.
 * @param serverPid - The bench server's process id.
 */
export function applyPlacement(placement: Placement, serverPid: number): void {
  if (placement.client === null && placement.server === null) return;
  pin(process.pid, placement.client);
  pin(serverPid, placement.server);
}

/**
 * Lets the bench process and the server run on every CPU again (measuring children forked later
 * inherit the bench process's affinity).
 *
 * @param serverPid - The bench server's process id.
 */
export function unpinAll(serverPid: number): void {
  if (placedOutside || !tasksetAvailable()) return;
  pin(process.pid, null);
  pin(serverPid, null);
}
