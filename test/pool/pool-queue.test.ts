import { describe, expect, it } from "vitest";
import { PoolQueue, type Queueable } from "../../src/request-node/pool/pool-queue.ts";

interface Item extends Queueable {
  readonly name: string;
}

let seq = 0;
function item(name: string, origin: string, rank: number): Item {
  return { name, origin, rank, seq: seq++ };
}

/** Takes everything, best first, as the pool does. */
function takeAll(queue: PoolQueue<Item>): string[] {
  const order: string[] = [];
  for (let best = queue.best(() => true); best !== undefined; best = queue.best(() => true)) {
    expect(queue.take(best.origin)).toBe(best);
    order.push(best.name);
  }
  expect(queue.size).toBe(0);
  return order;
}

describe("PoolQueue", () => {
  it("keeps rank, then queue order, when its lines empty and fill again", () => {
    const queue = new PoolQueue<Item>();
    for (let round = 0; round < 3; round++) {
      // One item at a time, as sequential requests come: an origin's line empties after each.
      queue.push(item("a", "http://a", 500));
      expect(takeAll(queue)).toEqual(["a"]);
      queue.push(item("b", "http://b", 250));
      expect(takeAll(queue)).toEqual(["b"]);
      // Then several origins and ranks at once, one removed before it starts.
      const low = item("low", "http://a", 250);
      queue.push(low);
      queue.push(item("high", "http://b", 750));
      queue.push(item("auto1", "http://a", 500));
      const gone = item("gone", "http://c", 1000);
      queue.push(gone);
      queue.push(item("auto2", "http://b", 500));
      expect(queue.remove(gone)).toBe(true);
      expect(queue.remove(gone)).toBe(false);
      expect(queue.size).toBe(4);
      expect(queue.peek("http://a")?.name).toBe("auto1");
      expect(takeAll(queue)).toEqual(["high", "auto1", "auto2", "low"]);
      expect(queue.peek("http://a")).toBeUndefined();
    }
  });

  it("drains what waits, in no particular line, and is empty after", () => {
    const queue = new PoolQueue<Item>();
    queue.push(item("x", "http://a", 500));
    queue.push(item("y", "http://b", 250));
    expect(
      queue
        .drain()
        .map((i) => i.name)
        .sort(),
    ).toEqual(["x", "y"]);
    expect(queue.size).toBe(0);
    queue.push(item("z", "http://a", 250));
    expect(takeAll(queue)).toEqual(["z"]);
  });
});
