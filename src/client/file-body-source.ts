import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { BodySource } from "./body-source.ts";
import { closeQuietly, errorMessage as describe } from "./file-util.ts";

/** The largest buffer one `read()` fills: 4 MiB. */
const MAX_READ_BYTES = 4 * 1024 * 1024;

/** The outcome of {@link FileBodySource.open}. */
export type FileBodySourceResult =
  /** The file is open. */
  | {
      /** Success. */
      readonly ok: true;
      /** The source; the client closes it when the request ends (close it yourself if you do not send it). */
      readonly source: FileBodySource;
    }
  /** The file could not be opened. */
  | {
      /** Failure. */
      readonly ok: false;
      /** Why, with Node's error code (e.g. `ENOENT`). */
      readonly reason: string;
    };

/**
 * A request body read from a file, sent with `Content-Length` set to the file's size when it was
 * opened. Each `read()` reads synchronously (`fs.readSync` at an explicit position) into one
 * buffer the source reuses, so an upload of any size holds one piece of the file at a time; the
 * view returned is valid until the next `read()` (`HTTPClient` copies what it keeps).
 *
 * Bytes appended to the file after it was opened are not sent; a file that shrinks fails the
 * source (and the request). The file descriptor is closed when the whole file has been read, on a
 * failure, and by `close()`.
 *
 * @example
 * ```ts
 * declare const client: HTTPClient;
 * const opened = FileBodySource.open("/tmp/save.bin");
 * if (opened.ok) client.request(Method.METHOD_PUT, "/saves/1", [], opened.source);
 * else console.log(opened.reason);
 * ```
 */
export class FileBodySource implements BodySource {
  /** The file's size in bytes when it was opened. */
  readonly length: number;
  /** The path the file was opened from. */
  readonly path: string;
  #fd: number | null;
  #position = 0;
  #buffer: Buffer | null = null;
  #error = "";

  /**
   * Opens a regular file for reading.
   *
   * @param path - The file's path.
   * @returns The source, or why the file cannot be used (missing, unreadable, not a regular file).
   */
  static open(path: string): FileBodySourceResult {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (error) {
      return { ok: false, reason: `cannot open ${path}: ${describe(error)}` };
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) {
        closeSync(fd);
        return { ok: false, reason: `${path} is not a regular file` };
      }
      return { ok: true, source: new FileBodySource(fd, stat.size, path) };
    } catch (error) {
      closeQuietly(fd);
      return { ok: false, reason: `cannot read ${path}: ${describe(error)}` };
    }
  }

  /**
   * Opens the file again from its first byte, for a request sent again (a retry); its length is the
   * file's size now.
   *
   * @returns The new source, or null when the file cannot be opened any more.
   */
  replay(): FileBodySource | null {
    const opened = FileBodySource.open(this.path);
    return opened.ok ? opened.source : null;
  }

  private constructor(fd: number, size: number, path: string) {
    this.#fd = fd;
    this.length = size;
    this.path = path;
  }

  /**
   * Reads the next bytes of the file (at most 4 MiB at once).
   *
   * @param maxBytes - The most bytes wanted (at least 1).
   * @returns A view of the source's buffer, valid until the next call; `null` once the whole file
   * was read (the file is then closed), or on a failure (see `getError()`).
   */
  read(maxBytes: number): Uint8Array | null {
    const fd = this.#fd;
    if (fd === null) return null;
    const left = this.length - this.#position;
    if (left <= 0) {
      this.close();
      return null;
    }
    const want = Math.min(left, MAX_READ_BYTES, maxBytes >= 1 ? Math.floor(maxBytes) : 1);
    let buffer = this.#buffer;
    if (buffer === null || buffer.length < want) {
      buffer = Buffer.allocUnsafe(want);
      this.#buffer = buffer;
    }
    let got: number;
    try {
      got = readSync(fd, buffer, 0, want, this.#position);
    } catch (error) {
      return this.#fail(`reading ${this.path} failed: ${describe(error)}`);
    }
    if (got === 0) {
      return this.#fail(`${this.path} shrank while it was being sent: it ended after ${this.#position} of ${this.length} bytes`);
    }
    this.#position += got;
    return buffer.subarray(0, got);
  }

  /** {@inheritDoc BodySource.getError} */
  getError(): string {
    return this.#error;
  }

  /** Closes the file descriptor. Idempotent. */
  close(): void {
    const fd = this.#fd;
    this.#fd = null;
    this.#buffer = null;
    if (fd !== null) closeQuietly(fd);
  }

  /** True while the file descriptor is open. */
  isOpen(): boolean {
    return this.#fd !== null;
  }

  #fail(reason: string): null {
    this.#error = reason;
    this.close();
    return null;
  }
}
