/**
 * Where an {@link HTTPCache} keeps its responses: the store interface, and the in-memory store
 * bounded by bytes with least-recently-used eviction.
 *
 * @module
 */

/** One stored response (one variant of a URL). */
export interface CachedResponse {
  /** The URL it answers, as the cache key (`formatUrl` of the request). */
  readonly url: string;
  /** The response status code. */
  readonly status: number;
  /** The response's header lines (`"Name: value"`), as received or as updated by a 304. */
  readonly headers: readonly string[];
  /** The response body, decoded (content codings removed). */
  readonly body: Uint8Array;
  /** When the request that fetched it was sent (ms since the epoch). */
  readonly requestTime: number;
  /** When its head arrived (ms since the epoch). */
  readonly responseTime: number;
  /**
   * The request header lines named by the response's `Vary` (`"name: value"`, name lower-cased,
   * an absent header as `"name:"`), to match later requests against.
   */
  readonly varyHeaders: readonly string[];
}

/** A place to keep cached responses by key, each key holding one or more variants. */
export interface CacheStore {
  /**
   * The variants stored under a key, most recently stored first; marks the key as used.
   *
   * @param key - The cache key.
   * @returns The variants; empty when none (or when a stored entry was found corrupt and dropped).
   */
  get(key: string): readonly CachedResponse[];
  /**
   * Replaces the variants of a key (an empty list deletes it). May evict other keys to stay in bounds.
   *
   * @param key - The cache key.
   * @param variants - The variants to keep.
   * @returns True when the variants are now stored; false when they were more than the store's
   *   bound (the key is then deleted) or the list was empty.
   */
  set(key: string, variants: readonly CachedResponse[]): boolean;
  /**
   * Deletes a key.
   *
   * @param key - The cache key.
   */
  delete(key: string): void;
  /** Deletes everything. */
  clear(): void;
  /** Makes what was stored durable (a no-op in memory). */
  flush(): void;
  /** Every key held. */
  keys(): string[];
  /** The bytes held, by the store's own count. */
  readonly bytes: number;
  /** The most bytes it holds; a single entry larger than this is not stored. */
  readonly maxBytes: number;
}

/**
 * The bytes a set of variants is counted as: bodies plus header text.
 *
 * @param variants - The variants of one key.
 * @returns The count.
 */
export function variantsBytes(variants: readonly CachedResponse[]): number {
  let n = 0;
  for (const v of variants) {
    n += v.body.byteLength + v.url.length + 64;
    for (const h of v.headers) n += h.length + 2;
    for (const h of v.varyHeaders) n += h.length + 2;
  }
  return n;
}

/** A {@link CacheStore} in memory, bounded by bytes; the least recently used keys go first. */
export class MemoryCacheStore implements CacheStore {
  readonly #entries = new Map<string, { variants: readonly CachedResponse[]; bytes: number }>();
  #bytes = 0;
  /** The most bytes held. */
  readonly maxBytes: number;

  /**
   * Creates an empty store.
   *
   * @param maxBytes - The bound, in bytes (default 64 MiB).
   */
  constructor(maxBytes: number = 64 * 1024 * 1024) {
    this.maxBytes = Math.max(0, Math.floor(maxBytes));
  }

  /** The bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** {@inheritDoc CacheStore.get} */
  get(key: string): readonly CachedResponse[] {
    const entry = this.#entries.get(key);
    if (entry === undefined) return [];
    this.#entries.delete(key); // re-insert: the Map's order is the use order
    this.#entries.set(key, entry);
    return entry.variants;
  }

  /** {@inheritDoc CacheStore.set} */
  set(key: string, variants: readonly CachedResponse[]): boolean {
    this.delete(key);
    if (variants.length === 0) return false;
    const bytes = variantsBytes(variants);
    if (bytes > this.maxBytes) return false;
    this.#entries.set(key, { variants, bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
    return true; // eviction stops before the newest key: alone it fits
  }

  /** {@inheritDoc CacheStore.delete} */
  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }

  /** {@inheritDoc CacheStore.clear} */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** Nothing to do in memory. */
  flush(): void {}

  /** {@inheritDoc CacheStore.keys} */
  keys(): string[] {
    return [...this.#entries.keys()];
  }
}
