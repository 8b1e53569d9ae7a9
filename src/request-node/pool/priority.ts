/**
 * Request priorities of an {@link HTTPRequestPool}: OpenHarmony's numbers and Fetch's words on one
 * scale.
 *
 * @module
 */

/**
 * A request's priority: a whole number from 1 (lowest) to 1000 (highest), as OpenHarmony's
 * `priority`, or Fetch's `"high"`, `"auto"` or `"low"`, which stand for 750, 500 and 250 on the same
 * scale. A request given none ranks as `"auto"` (500). Higher ranks start first; equal ranks start in
 * the order they were queued.
 */
export type RequestPriority = number | "high" | "auto" | "low";

/** The rank of Fetch's `"high"`. */
export const PRIORITY_HIGH = 750;
/** The rank of Fetch's `"auto"`, and of a request given no priority. */
export const PRIORITY_AUTO = 500;
/** The rank of Fetch's `"low"`. */
export const PRIORITY_LOW = 250;
/** The lowest rank (OpenHarmony's range starts at 1). */
export const PRIORITY_MIN = 1;
/** The highest rank (OpenHarmony's range ends at 1000). */
export const PRIORITY_MAX = 1000;

/**
 * The rank of a priority on the 1–1000 scale.
 *
 * @param priority - A priority, or undefined for `"auto"`.
 * @returns The rank, or null when it is neither a whole number from 1 to 1000 nor one of Fetch's words.
 */
export function priorityRank(priority: RequestPriority | undefined): number | null {
  switch (priority) {
    case undefined:
    case "auto":
      return PRIORITY_AUTO;
    case "high":
      return PRIORITY_HIGH;
    case "low":
      return PRIORITY_LOW;
    default:
      return typeof priority === "number" && Number.isInteger(priority) && priority >= PRIORITY_MIN && priority <= PRIORITY_MAX
        ? priority
        : null;
  }
}
