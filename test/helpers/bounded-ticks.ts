/**
 * Steps a {@link SceneTree} or polls an {@link HTTPClient} over real sockets with a fixed virtual
 * delta per tick and a real turn of the event loop between ticks, under a hard cap of ticks and
 * milliseconds, counting the ticks it took. Optionally samples the process's `ArrayBuffer` memory
 * after every tick, so a test can bound what a case allocated.
 */
import { performance } from "node:perf_hooks";
import type { HTTPClient } from "../../src/client/http-client.ts";
import { Err } from "../../src/status/err.ts";
import type { SceneTree } from "../../src/request-node/scene-tree.ts";
import { gc } from "../soak/resources.ts";
import { sleep, tick } from "./wait.ts";

/** Options of {@link driveTree} and {@link pollClient}. */
export interface BoundedTickOptions {
  /** Virtual seconds passed to each `tree.process(delta)`. Default 1/60. */
  readonly delta?: number;
  /** Fail after this many ticks. */
  readonly maxTicks: number;
  /** Fail after this many real milliseconds. Default 10000. */
  readonly maxMs?: number;
  /**
   * Real milliseconds to sleep between ticks. Default 0: one `setImmediate` turn, with a 1 ms
   * sleep every 16th tick so timers fire too.
   */
  readonly sleepMs?: number;
  /**
   * Sample `process.memoryUsage().arrayBuffers` after every tick. Default false. `"live"` collects
   * garbage before the baseline and before every sample, so the peak is memory still held, not
   * garbage the collector had not reached yet (which varies from run to run).
   */
  readonly sampleMemory?: boolean | "live";
}

/** What a bounded run measured. */
export interface BoundedTickStats {
  /** Ticks run, the last one included. */
  readonly ticks: number;
  /** Real milliseconds taken. */
  readonly ms: number;
  /** The largest rise of `arrayBuffers` over its value at the start (0 unless sampled). */
  readonly peakArrayBuffersDelta: number;
}

async function pause(sleepMs: number, round: number): Promise<void> {
  if (sleepMs > 0) await sleep(sleepMs);
  else await (round % 16 === 15 ? sleep(1) : tick());
}

async function bounded(
  step: () => void,
  until: () => boolean,
  options: BoundedTickOptions,
  describe: () => string,
): Promise<BoundedTickStats> {
  const maxMs = options.maxMs ?? 10_000;
  const sleepMs = options.sleepMs ?? 0;
  const started = performance.now();
  const sample = options.sampleMemory ?? false;
  const arrayBuffers = (): number => {
    if (sample === "live") gc();
    return process.memoryUsage().arrayBuffers;
  };
  const base = sample === false ? 0 : arrayBuffers();
  let peak = 0;
  for (let ticks = 1; ; ticks++) {
    step();
    if (sample !== false) peak = Math.max(peak, arrayBuffers() - base);
    if (until()) return { ticks, ms: performance.now() - started, peakArrayBuffersDelta: peak };
    if (ticks >= options.maxTicks) throw new Error(`not done after ${ticks} ticks; ${describe()}`);
    if (performance.now() - started > maxMs) throw new Error(`not done after ${maxMs} ms (${ticks} ticks); ${describe()}`);
    await pause(sleepMs, ticks);
  }
}

/**
 * Steps `tree` with `options.delta` until `until()` holds after a tick.
 *
 * @param tree - The tree.
 * @param until - Checked after every tick.
 * @param options - Delta, caps, pacing and memory sampling.
 * @param describe - Extra diagnostics for the failure message.
 * @returns Ticks, milliseconds and the memory peak.
 */
export function driveTree(
  tree: SceneTree,
  until: () => boolean,
  options: BoundedTickOptions,
  describe: () => string = () => "",
): Promise<BoundedTickStats> {
  const delta = options.delta ?? 1 / 60;
  return bounded(() => tree.process(delta), until, options, describe);
}

/**
 * Calls `client.poll()` once per tick until `until()` holds after a poll.
 *
 * @param client - The client.
 * @param until - Checked after every poll.
 * @param options - Caps, pacing and memory sampling (`delta` is unused).
 * @returns Ticks, milliseconds, the memory peak and what the last `poll()` returned.
 */
export async function pollClient(
  client: HTTPClient,
  until: () => boolean,
  options: BoundedTickOptions,
): Promise<BoundedTickStats & { readonly err: Err }> {
  let err: Err = Err.OK;
  const stats = await bounded(
    () => {
      err = client.poll();
    },
    until,
    options,
    () => `status ${client.getStatus()}, reason ${JSON.stringify(client.getErrorReason())}`,
  );
  return { ...stats, err };
}
