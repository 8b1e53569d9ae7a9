import type { EventTime } from "./cassette.ts";

/** The replay's current tick, shared by a `ReplayNetwork` with its lookups and peers. */
export interface ReplayClock {
  /** The number of `tick()` calls so far. */
  now(): number;
}

/**
 * Whether a recorded change is visible now: its tick (moved by `shift`) has passed, or it is this
 * tick and the client has made as many calls on the lookup or peer as when it was recorded (or
 * calls are not counted, `useOps` false).
 *
 * @param event - The recorded change.
 * @param shift - Added to the recorded tick.
 * @param now - The current tick.
 * @param ops - The client's calls so far on the lookup or peer.
 * @param useOps - Whether calls count.
 * @returns True when the change is due.
 */
export function isDue(event: EventTime, shift: number, now: number, ops: number, useOps: boolean): boolean {
  const t = event.t + shift;
  return t < now || (t === now && (!useOps || event.op <= ops));
}
