/**
 * The waiting line of an {@link HTTPRequestPool}: one queue per origin, each kept in start order
 * (higher rank first, then first queued first), so the next request of an origin is found at once
 * and a rank can change while it waits.
 *
 * @module
 */

/** What the queue orders: a rank (higher starts first), a serial (lower starts first among equals) and an origin. */
export interface Queueable {
  /** The serial given when queued; unique within a pool. */
  readonly seq: number;
  /** The rank on the 1–1000 scale. */
  readonly rank: number;
  /** The origin the item waits for. */
  readonly origin: string;
}

/**
 * Whether `a` starts before `b`.
 *
 * @param a - One item.
 * @param b - Another.
 * @returns True when `a` ranks higher, or ranks the same and was queued earlier.
 */
export function startsBefore(a: Queueable, b: Queueable): boolean {
  return a.rank > b.rank || (a.rank === b.rank && a.seq < b.seq);
}

/**
 * Queues per origin. Each origin's array is sorted from the last to start to the next to start, so
 * taking the next is a `pop()`; adding and removing are a binary search and a `splice`.
 *
 * @typeParam T - The queued items.
 */
export class PoolQueue<T extends Queueable> {
  /** Origin → its items, the next to start last. Only origins with items are kept. */
  readonly #byOrigin = new Map<string, T[]>();
  #size = 0;

  /** Items waiting, over all origins. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds an item in its place.
   *
   * @param item - An item not in the queue.
   */
  push(item: T): void {
    let line = this.#byOrigin.get(item.origin);
    if (line === undefined) this.#byOrigin.set(item.origin, (line = []));
    line.splice(position(line, item), 0, item);
    this.#size++;
  }

  /**
   * Removes an item (before its rank changes, or when it is cancelled).
   *
   * @param item - The item.
   * @returns False when it was not in the queue.
   */
  remove(item: T): boolean {
    const line = this.#byOrigin.get(item.origin);
    if (line === undefined) return false;
    const at = position(line, item);
    if (line[at] !== item) return false;
    line.splice(at, 1);
    this.#size--;
    if (line.length === 0) this.#byOrigin.delete(item.origin);
    return true;
  }

  /**
   * The next item of an origin.
   *
   * @param origin - The origin.
   * @returns The item, or undefined when none waits for it.
   */
  peek(origin: string): T | undefined {
    const line = this.#byOrigin.get(origin);
    return line === undefined ? undefined : line[line.length - 1];
  }

  /**
   * The item that starts first among the origins `open` accepts.
   *
   * @param open - Whether an item of this origin could start now.
   * @returns The item, or undefined.
   */
  best(open: (origin: string) => boolean): T | undefined {
    let best: T | undefined;
    for (const [origin, line] of this.#byOrigin) {
      const head = line[line.length - 1];
      if (head !== undefined && (best === undefined || startsBefore(head, best)) && open(origin)) best = head;
    }
    return best;
  }

  /** Every item, in no particular order; the queue is emptied. */
  drain(): T[] {
    const all = [...this.#byOrigin.values()].flat();
    this.#byOrigin.clear();
    this.#size = 0;
    return all;
  }
}

/** Where `item` is or goes in `line` (sorted so that the next to start is last). */
function position<T extends Queueable>(line: readonly T[], item: T): number {
  let lo = 0;
  let hi = line.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (startsBefore(item, line[mid] as T)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
