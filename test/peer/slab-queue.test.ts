import { describe, expect, it } from "vitest";
import { freeSlabCount, SLAB_BYTES, SMALL_READ_BYTES } from "../../src/client/peer/slab-pool.ts";
import { SlabQueue } from "../../src/client/peer/slab-queue.ts";
import { prng } from "../helpers/prng.ts";

/** `length` bytes that depend on `seed` and on their position. */
function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 7 + (i >>> 8)) & 0xff;
  return out;
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** Reads everything queued, in pieces of at most `max` bytes. */
function drain(queue: SlabQueue, max: number): Uint8Array[] {
  const views: Uint8Array[] = [];
  for (let view = queue.read(max); view.length > 0; view = queue.read(max)) views.push(view);
  return views;
}

describe("SlabQueue", () => {
  it("copies pushed bytes across slab boundaries and hands them out in order, within one slab per view", () => {
    const random = prng(7);
    const queue = new SlabQueue(4 * SLAB_BYTES);
    const sent: Uint8Array[] = [];
    const got: Uint8Array[] = [];
    for (let round = 0; round < 200; round++) {
      const chunk = bytes(1 + Math.floor(random() * 100_000), round);
      sent.push(chunk.slice());
      queue.push(chunk);
      chunk.fill(0); // the queue copied it: the caller may reuse its array at once
      const max = 1 + Math.floor(random() * 90_000);
      for (let view = queue.read(max); view.length > 0; view = queue.read(max)) {
        expect(view.length).toBeLessThanOrEqual(Math.min(max, SLAB_BYTES));
        got.push(view.slice());
        if (random() < 0.3) break;
      }
      if (random() < 0.2) queue.release(0);
    }
    got.push(...drain(queue, 1 << 20).map((v) => v.slice()));
    expect(queue.size).toBe(0);
    expect(Buffer.from(join(got)).equals(Buffer.from(join(sent)))).toBe(true);
  });

  it("keeps every view intact until release(), then reuses the released slabs", () => {
    const queue = new SlabQueue(64 * SLAB_BYTES);
    const first = bytes(3 * SLAB_BYTES + 100, 1);
    queue.push(first);
    const views = drain(queue, SLAB_BYTES);
    // More data before any release goes to other slabs: the views still hold the first bytes.
    for (let i = 0; i < 8; i++) {
      queue.push(bytes(SLAB_BYTES, 10 + i));
      drain(queue, SLAB_BYTES);
    }
    expect(Buffer.from(join(views)).equals(Buffer.from(first))).toBe(true);

    const freeBefore = freeSlabCount();
    queue.release(0);
    expect(freeSlabCount()).toBeGreaterThan(freeBefore);
    // Enough new data to take every free slab of the pool, the released ones included.
    for (let i = 0; i < 200; i++) {
      queue.push(bytes(SLAB_BYTES, 100 + i));
      drain(queue, SLAB_BYTES);
    }
    // The released memory was written again: views kept past release() are not valid any more.
    expect(Buffer.from(join(views)).equals(Buffer.from(first))).toBe(false);
  });

  it("release(keep) keeps the slabs that hold the last `keep` bytes read", () => {
    const queue = new SlabQueue(64 * SLAB_BYTES);
    queue.push(bytes(5 * SLAB_BYTES, 3));
    const views = drain(queue, 10_000);
    const keep = SLAB_BYTES + SLAB_BYTES / 2;
    const tail: Uint8Array[] = [];
    let counted = 0;
    for (let i = views.length - 1; i >= 0 && counted < keep; i--) {
      const view = views[i] as Uint8Array;
      tail.unshift(view);
      counted += view.length;
    }
    const expected = join(tail);
    queue.release(keep);
    for (let i = 0; i < 16; i++) {
      queue.push(bytes(SLAB_BYTES, 200 + i));
      drain(queue, SLAB_BYTES);
    }
    expect(Buffer.from(join(tail)).equals(Buffer.from(expected))).toBe(true);
  });

  it("gives the slab back when everything was read and released, so an idle queue holds no memory", () => {
    const queue = new SlabQueue(4 * SLAB_BYTES);
    const size = SMALL_READ_BYTES + 100; // above the small-read size: it goes to a slab
    queue.push(bytes(size, 1));
    expect(queue.read(SLAB_BYTES)).toHaveLength(size);
    expect(queue.heldBytes).toBe(SLAB_BYTES);
    queue.release(100); // the reader still holds those bytes
    expect(queue.heldBytes).toBe(SLAB_BYTES);
    queue.release(0);
    expect(queue.heldBytes).toBe(0);
    queue.push(bytes(SMALL_READ_BYTES + 10, 2));
    queue.release(0); // unread bytes are never released
    expect(queue.size).toBe(SMALL_READ_BYTES + 10);
    expect(Array.from(queue.read(SLAB_BYTES))).toEqual(Array.from(bytes(SMALL_READ_BYTES + 10, 2)));
  });

  it("copies a small read into an empty queue into memory of its exact size, never reused", () => {
    const queue = new SlabQueue(4 * SLAB_BYTES);
    const freeBefore = freeSlabCount();
    const small = bytes(100, 5);
    queue.push(small);
    expect(queue.heldBytes).toBe(100);
    const view = queue.read(1000);
    expect(Array.from(view)).toEqual(Array.from(small));
    expect(view).not.toBeInstanceOf(Buffer); // slice() must copy
    queue.release(0);
    expect(queue.heldBytes).toBe(0);
    expect(freeSlabCount()).toBe(freeBefore); // nothing went to the slab pool
    // Later traffic of any size, released each time, never writes over the small read's memory.
    for (let i = 0; i < 200; i++) {
      queue.push(bytes(i % 2 === 0 ? 50 : SLAB_BYTES, 500 + i));
      drain(queue, SLAB_BYTES);
      queue.release(0);
    }
    expect(Array.from(view)).toEqual(Array.from(small));
  });

  it("mixes small reads and slabs: bytes in order, and release(keep) keeps a small read still in use", () => {
    const queue = new SlabQueue(64 * SLAB_BYTES);
    const sent: Uint8Array[] = [];
    const first = bytes(300, 6); // small, into the empty queue
    const second = bytes(SLAB_BYTES + 7, 7); // more before any read: into slabs after it
    queue.push(first);
    queue.push(second);
    sent.push(first, second);
    expect(queue.size).toBe(300 + SLAB_BYTES + 7);
    const views = drain(queue, SLAB_BYTES);
    expect(views[0]).toHaveLength(300);
    expect(Buffer.from(join(views)).equals(Buffer.from(join(sent)))).toBe(true);
    const kept = views.map((v) => v.slice());
    queue.release(Number.POSITIVE_INFINITY); // every view read so far is still in use
    for (let i = 0; i < 4; i++) {
      queue.push(bytes(SLAB_BYTES, 600 + i));
      drain(queue, SLAB_BYTES);
    }
    expect(Buffer.from(join(views)).equals(Buffer.from(join(kept)))).toBe(true);
  });

  it("forgets (never reuses) retired slabs beyond its retention bound when nobody releases", () => {
    const queue = new SlabQueue(2 * SLAB_BYTES);
    const freeBefore = freeSlabCount();
    const all: Uint8Array[] = [];
    const views: Uint8Array[] = [];
    for (let i = 0; i < 12; i++) {
      const chunk = bytes(SLAB_BYTES, 300 + i);
      all.push(chunk);
      queue.push(chunk);
      views.push(...drain(queue, SLAB_BYTES));
      expect(queue.heldBytes).toBeLessThanOrEqual(3 * SLAB_BYTES);
    }
    expect(freeSlabCount()).toBeLessThanOrEqual(freeBefore);
    expect(Buffer.from(join(views)).equals(Buffer.from(join(all)))).toBe(true);
  });

  it("clear() drops everything without handing memory back for reuse", () => {
    const queue = new SlabQueue(8 * SLAB_BYTES);
    const data = bytes(2 * SLAB_BYTES + 5, 9);
    queue.push(data);
    const views = drain(queue, SLAB_BYTES);
    queue.push(bytes(1000, 1));
    const freeBefore = freeSlabCount();
    queue.clear();
    expect(queue.size).toBe(0);
    expect(queue.heldBytes).toBe(0);
    expect(freeSlabCount()).toBe(freeBefore);
    const other = new SlabQueue(8 * SLAB_BYTES);
    for (let i = 0; i < 8; i++) {
      other.push(bytes(SLAB_BYTES, 400 + i));
      drain(other, SLAB_BYTES);
      other.release(0);
    }
    expect(Buffer.from(join(views)).equals(Buffer.from(data))).toBe(true);
  });
});
