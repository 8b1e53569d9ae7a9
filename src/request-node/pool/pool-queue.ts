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
 * Items of one rank in serial order, read from a moving head so that taking the next is O(1).
 */
class RankLine<T extends Queueable> {
  items: T[] = [];
  head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  /** Adds in serial order: at the end when it is the newest, as nearly always. */
  add(item: T): void {
    const items = this.items;
    const last = items[items.length - 1];
    if (last === undefined || last.seq < item.seq || this.length === 0) items.push(item);
    else items.splice(this.#find(item.seq), 0, item);
  }

  take(): T | undefined {
    const item = this.items[this.head];
    if (item === undefined) return undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  remove(item: T): boolean {
    const at = this.#find(item.seq);
    if (this.items[at] !== item) return false;
    if (at === this.head) this.take();
    else this.items.splice(at, 1);
    return true;
  }

  /** The index of the first item from the head with a serial not below `seq`. */
  #find(seq: number): number {
    let lo = this.head;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.items[mid] as T).seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The waiting items of one origin: a line per rank, the ranks in use from highest down. */
class OriginLine<T extends Queueable> {
  readonly lines = new Map<number, RankLine<T>>();
  /** The ranks with items, highest first. */
  readonly ranks: number[] = [];

  peek(): T | undefined {
    const top = this.ranks[0];
    return top === undefined ? undefined : this.lines.get(top)?.peek();
  }

  add(item: T): void {
    let line = this.lines.get(item.rank);
    if (line === undefined) {
      line = new RankLine<T>();
      this.lines.set(item.rank, line);
      let at = 0;
      while (at < this.ranks.length && (this.ranks[at] as number) > item.rank) at++;
      this.ranks.splice(at, 0, item.rank);
    }
    line.add(item);
  }

  /** Takes the next item. */
  take(): T | undefined {
    const top = this.ranks[0];
    const line = top === undefined ? undefined : this.lines.get(top);
    const item = line?.take();
    if (line !== undefined && line.length === 0 && top !== undefined) {
      this.lines.delete(top);
      this.ranks.shift();
    }
    return item;
  }

  remove(item: T): boolean {
    const line = this.lines.get(item.rank);
    if (line === undefined || !line.remove(item)) return false;
    if (line.length === 0) {
      this.lines.delete(item.rank);
      this.ranks.splice(this.ranks.indexOf(item.rank), 1);
    }
    return true;
  }

  all(): T[] {
    return [...this.lines.values()].flatMap((line) => line.items.slice(line.head));
  }
}

/**
 * Queues per origin, each a line per rank in serial order: adding the newest request and taking the
 * next are O(1) (plus the few ranks in use); a cancel or a priority change searches one line.
 *
 * @typeParam T - The queued items.
 */
export class PoolQueue<T extends Queueable> {
  /** Origin → its items. Only origins with items are kept. */
  readonly #byOrigin = new Map<string, OriginLine<T>>();
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
    if (line === undefined) {
      line = new OriginLine<T>();
      this.#byOrigin.set(item.origin, line);
    }
    line.add(item);
    this.#size++;
  }

  /**
   * Removes an item (before its rank changes, when it starts, or when it is cancelled).
   *
   * @param item - The item.
   * @returns False when it was not in the queue.
   */
  remove(item: T): boolean {
    const line = this.#byOrigin.get(item.origin);
    if (line === undefined || !line.remove(item)) return false;
    this.#size--;
    if (line.ranks.length === 0) this.#byOrigin.delete(item.origin);
    return true;
  }

  /**
   * Takes the next item of an origin out of the queue.
   *
   * @param origin - The origin.
   * @returns The item, or undefined when none waits for it.
   */
  take(origin: string): T | undefined {
    const line = this.#byOrigin.get(origin);
    const item = line?.take();
    if (item === undefined) return undefined;
    this.#size--;
    if (line !== undefined && line.ranks.length === 0) this.#byOrigin.delete(origin);
    return item;
  }

  /**
   * The next item of an origin.
   *
   * @param origin - The origin.
   * @returns The item, or undefined when none waits for it.
   */
  peek(origin: string): T | undefined {
    return this.#byOrigin.get(origin)?.peek();
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
      const head = line.peek();
      if (head !== undefined && (best === undefined || startsBefore(head, best)) && open(origin)) best = head;
    }
    return best;
  }

  /** Every item, in no particular order; the queue is emptied. */
  drain(): T[] {
    const all = [...this.#byOrigin.values()].flatMap((line) => line.all());
    this.#byOrigin.clear();
    this.#size = 0;
    return all;
  }
}
