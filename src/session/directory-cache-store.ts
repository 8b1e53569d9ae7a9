/**
 * A {@link CacheStore} in a directory, bounded by bytes, safe against a process killed mid-write.
 *
 * Each key is one file named after the SHA-256 of the key: a magic line, the length of a JSON
 * header, the header (each variant's status, headers, times and the length and SHA-256 of its
 * body), then the bodies. A file is written under a temporary name, synced and renamed over the old
 * one, so a reader sees the old entry or the new one, never half of one; every body is checked
 * against its SHA-256 when read, and an entry that fails is deleted and treated as absent, so a torn
 * or damaged file is never served. Temporary files left by a killed writer are removed when the
 * store opens. One process at a time should use a directory.
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import type { CachedResponse, CacheStore } from "./cache-store.ts";

const MAGIC = "poll-http cache 1\n";
const SUFFIX = ".entry";

interface HeaderVariant {
  readonly url: string;
  readonly status: number;
  readonly headers: readonly string[];
  readonly requestTime: number;
  readonly responseTime: number;
  readonly varyHeaders: readonly string[];
  readonly bodyLength: number;
  readonly bodySha256: string;
}

interface FileHeader {
  readonly key: string;
  readonly variants: readonly HeaderVariant[];
}

const sha256 = (data: Uint8Array | string): string => createHash("sha256").update(data).digest("hex");

/** Encodes an entry as the bytes of its file. */
function encodeEntry(key: string, variants: readonly CachedResponse[]): Buffer {
  const header: FileHeader = {
    key,
    variants: variants.map((v) => ({
      url: v.url,
      status: v.status,
      headers: v.headers,
      requestTime: v.requestTime,
      responseTime: v.responseTime,
      varyHeaders: v.varyHeaders,
      bodyLength: v.body.byteLength,
      bodySha256: sha256(v.body),
    })),
  };
  const json = Buffer.from(JSON.stringify(header), "utf8");
  return Buffer.concat([Buffer.from(`${MAGIC}${json.byteLength}\n`, "latin1"), json, ...variants.map((v) => v.body)]);
}

/** Decodes an entry file, or returns null when any part of it is missing or damaged. */
function decodeEntry(data: Buffer, key: string): CachedResponse[] | null {
  if (data.subarray(0, MAGIC.length).toString("latin1") !== MAGIC) return null;
  const newline = data.indexOf(0x0a, MAGIC.length);
  if (newline < 0) return null;
  const jsonLength = Number(data.subarray(MAGIC.length, newline).toString("latin1"));
  if (!Number.isSafeInteger(jsonLength) || jsonLength <= 0) return null;
  let offset = newline + 1 + jsonLength;
  if (offset > data.byteLength) return null;
  let header: FileHeader;
  try {
    header = JSON.parse(data.subarray(newline + 1, offset).toString("utf8")) as FileHeader;
  } catch {
    return null;
  }
  if (header.key !== key || !Array.isArray(header.variants)) return null;
  const out: CachedResponse[] = [];
  for (const v of header.variants) {
    const end = offset + v.bodyLength;
    if (!Number.isSafeInteger(v.bodyLength) || end > data.byteLength) return null;
    const body = new Uint8Array(data.buffer, data.byteOffset + offset, v.bodyLength);
    if (sha256(body) !== v.bodySha256) return null;
    out.push({
      url: v.url,
      status: v.status,
      headers: v.headers,
      body,
      requestTime: v.requestTime,
      responseTime: v.responseTime,
      varyHeaders: v.varyHeaders,
    });
    offset = end;
  }
  return offset === data.byteLength ? out : null;
}

/** A {@link CacheStore} in a directory; see the module comment for the file format and its safety. */
export class DirectoryCacheStore implements CacheStore {
  readonly #dir: string;
  /** File name → its size, in use order (least recently used first). */
  readonly #files = new Map<string, number>();
  #bytes = 0;
  /** The most bytes held on disk. */
  readonly maxBytes: number;

  /**
   * Opens (creating it when missing) a cache directory, removing temporary files a killed writer left.
   *
   * @param dir - The directory.
   * @param maxBytes - The bound, in bytes (default 256 MiB).
   */
  constructor(dir: string, maxBytes: number = 256 * 1024 * 1024) {
    this.#dir = dir;
    this.maxBytes = Math.max(0, Math.floor(maxBytes));
    mkdirSync(dir, { recursive: true });
    const found: { name: string; size: number; used: number }[] = [];
    for (const name of readdirSync(dir)) {
      if (name.endsWith(".tmp")) {
        rmSync(join(dir, name), { force: true });
        continue;
      }
      if (!name.endsWith(SUFFIX)) continue;
      const stat = statSync(join(dir, name));
      found.push({ name, size: stat.size, used: stat.mtimeMs });
    }
    found.sort((a, b) => a.used - b.used || (a.name < b.name ? -1 : 1));
    for (const f of found) {
      this.#files.set(f.name, f.size);
      this.#bytes += f.size;
    }
    this.#evict();
  }

  /** The bytes held on disk. */
  get bytes(): number {
    return this.#bytes;
  }

  /** {@inheritDoc CacheStore.get} */
  get(key: string): readonly CachedResponse[] {
    const name = this.#nameOf(key);
    const size = this.#files.get(name);
    if (size === undefined) return [];
    const path = join(this.#dir, name);
    let data: Buffer;
    try {
      data = readFileSync(path);
    } catch {
      this.#forget(name);
      return [];
    }
    const variants = decodeEntry(data, key);
    if (variants === null) {
      this.#forget(name);
      rmSync(path, { force: true });
      return [];
    }
    this.#files.delete(name);
    this.#files.set(name, size);
    const now = new Date();
    try {
      utimesSync(path, now, now);
    } catch {
      // the use order on disk is a hint only
    }
    return variants;
  }

  /** {@inheritDoc CacheStore.set} */
  set(key: string, variants: readonly CachedResponse[]): boolean {
    if (variants.length === 0) {
      this.delete(key);
      return false;
    }
    const data = encodeEntry(key, variants);
    if (data.byteLength > this.maxBytes) {
      this.delete(key);
      return false;
    }
    const name = this.#nameOf(key);
    const path = join(this.#dir, name);
    const temp = join(this.#dir, `${name}.${randomBytes(6).toString("hex")}.tmp`);
    const fd = openSync(temp, "w", 0o600);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    this.#forget(name);
    this.#files.set(name, data.byteLength);
    this.#bytes += data.byteLength;
    this.#evict();
    return true; // eviction stops before the newest entry: alone it fits
  }

  /** {@inheritDoc CacheStore.delete} */
  delete(key: string): void {
    const name = this.#nameOf(key);
    if (!this.#files.has(name)) return;
    this.#forget(name);
    rmSync(join(this.#dir, name), { force: true });
  }

  /** {@inheritDoc CacheStore.clear} */
  clear(): void {
    for (const name of this.#files.keys()) rmSync(join(this.#dir, name), { force: true });
    this.#files.clear();
    this.#bytes = 0;
  }

  /** Entries are synced as they are written; nothing is pending. */
  flush(): void {}

  /** {@inheritDoc CacheStore.keys} */
  keys(): string[] {
    const out: string[] = [];
    for (const name of this.#files.keys()) {
      try {
        const data = readFileSync(join(this.#dir, name));
        const newline = data.indexOf(0x0a, MAGIC.length);
        const length = Number(data.subarray(MAGIC.length, newline).toString("latin1"));
        const header = JSON.parse(data.subarray(newline + 1, newline + 1 + length).toString("utf8")) as FileHeader;
        out.push(header.key);
      } catch {
        // a damaged entry has no key to list; get() removes it
      }
    }
    return out;
  }

  #nameOf(key: string): string {
    return `${sha256(key)}${SUFFIX}`;
  }

  #forget(name: string): void {
    const size = this.#files.get(name);
    if (size === undefined) return;
    this.#files.delete(name);
    this.#bytes -= size;
  }

  #evict(): void {
    for (const [name, size] of this.#files) {
      if (this.#bytes <= this.maxBytes) break;
      this.#files.delete(name);
      this.#bytes -= size;
      rmSync(join(this.#dir, name), { force: true });
    }
  }
}
