import { describe, expect, it } from "vitest";
import { ChunkQueue } from "../../src/client/peer/chunk-queue.ts";

describe("ChunkQueue", () => {
  it("hands out views of the front chunk, never concatenating", () => {
    const queue = new ChunkQueue();
    const a = new Uint8Array([1, 2, 3]);
    const b = new Uint8Array([4, 5]);
    queue.push(a);
    queue.push(new Uint8Array(0));
    queue.push(b);
    expect(queue.size).toBe(5);
    const first = queue.read(2);
    expect([...first]).toEqual([1, 2]);
    expect(first.buffer).toBe(a.buffer);
    expect([...queue.read(10)]).toEqual([3]);
    expect(queue.read(10)).toBe(b); // a whole chunk is returned as is
    expect(queue.read(10)).toHaveLength(0);
    expect(queue.size).toBe(0);
  });

  it("returns nothing for a maximum below 1 and floors fractions", () => {
    const queue = new ChunkQueue();
    queue.push(new Uint8Array([1, 2, 3]));
    expect(queue.read(0)).toHaveLength(0);
    expect(queue.read(-5)).toHaveLength(0);
    expect(queue.read(Number.NaN)).toHaveLength(0);
    expect(queue.read(1.9)).toHaveLength(1);
    expect(queue.size).toBe(2);
    queue.clear();
    expect(queue.size).toBe(0);
    expect(queue.read(10)).toHaveLength(0);
  });

  it("keeps order over many chunks while compacting", () => {
    const queue = new ChunkQueue();
    let expected = 0;
    for (let round = 0; round < 5000; round++) {
      queue.push(new Uint8Array([round & 0xff]));
      if (round % 3 === 0) {
        const byte = queue.read(1)[0];
        expect(byte).toBe(expected++ & 0xff);
      }
    }
    while (queue.size > 0) expect(queue.read(1)[0]).toBe(expected++ & 0xff);
    expect(expected).toBe(5000);
  });
});
