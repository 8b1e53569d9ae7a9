/**
 * Writes a download to a temporary file beside the target and renames it over the target on
 * success, so a failed or cancelled download never destroys or half-writes the file that was
 * there (Godot W29). Every call is a synchronous `node:fs` call: the caller writes inside a tick
 * and knows the outcome in the same tick.
 *
 * @module
 */

import * as nodeFs from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";

/** The file-system calls a {@link DownloadSink} makes; `node:fs` by default, injectable for tests. */
export interface DownloadFs {
  /** `fs.openSync`. */
  openSync(path: string, flags: string, mode?: number): number;
  /** `fs.writeSync` (buffer form); returns the bytes written, which may be fewer than asked. */
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  /** `fs.fdatasyncSync`. */
  fdatasyncSync(fd: number): void;
  /** `fs.fsyncSync`. */
  fsyncSync(fd: number): void;
  /** `fs.fchmodSync`. */
  fchmodSync(fd: number, mode: number): void;
  /** `fs.closeSync`. */
  closeSync(fd: number): void;
  /** `fs.renameSync`. */
  renameSync(from: string, to: string): void;
  /** `fs.unlinkSync`. */
  unlinkSync(path: string): void;
  /** `fs.statSync`. */
  statSync(path: string): { isDirectory(): boolean; isFile(): boolean; readonly mode: number };
}

/** Options of {@link DownloadSink.open}. */
export interface DownloadSinkOptions {
  /**
   * When true, `commit()` calls `fdatasync` on the file before the rename and `fsync` on the
   * directory after it, so the new content survives a power cut. Default false: the replacement is
   * still atomic for other processes (they see the old file or the new one, never a mix), but the
   * data may sit in the page cache for a while.
   */
  readonly durable?: boolean;
  /** The file-system calls to use. Default: `node:fs`. */
  readonly fs?: DownloadFs;
}

/** The outcome of a sink operation; `code` is Node's error code (`ENOSPC`, `EACCES`, …) when there is one. */
export type SinkResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string; readonly code: string | undefined };

/** The state of a {@link DownloadSink}. */
export type SinkState = "open" | "committed" | "aborted" | "failed";

function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * A download in progress: a temporary file `.<name>.<random>.part` in the target's directory
 * (created exclusively, mode 0o644 before the umask, or the mode of the file it will replace).
 * `write` appends, `commit` renames it over the target, `abort` removes it. After any failure
 * the temporary file is removed at once and the target is untouched.
 */
export class DownloadSink {
  /** The file the download is for. */
  readonly targetPath: string;
  /** The temporary file being written. */
  readonly tempPath: string;
  readonly #fs: DownloadFs;
  readonly #durable: boolean;
  #fd: number | undefined;
  #state: SinkState = "open";
  #bytesWritten = 0;

  private constructor(targetPath: string, tempPath: string, fd: number, fs: DownloadFs, durable: boolean) {
    this.targetPath = targetPath;
    this.tempPath = tempPath;
    this.#fd = fd;
    this.#fs = fs;
    this.#durable = durable;
  }

  /**
   * Creates the temporary file for a download to `targetPath`. Fails (nothing created) when the
   * directory does not exist or is not writable, or when the target exists and is not a regular
   * file (a directory, a device such as `/dev/null`, a FIFO): the caller reports
   * `RESULT_DOWNLOAD_FILE_CANT_OPEN`. Parent directories are not created. A symbolic link to a
   * regular file is replaced by the downloaded file on commit (the file it pointed to is kept).
   *
   * @param targetPath - Where the finished download goes.
   * @param options - Durability and file-system injection.
   * @returns The sink, or why it could not be opened.
   */
  static open(
    targetPath: string,
    options: DownloadSinkOptions = {},
  ): { readonly ok: true; readonly sink: DownloadSink } | { readonly ok: false; readonly reason: string; readonly code: string | undefined } {
    const fs = options.fs ?? nodeFs;
    const name = basename(targetPath);
    if (targetPath === "" || name === "" || name === "." || name === ".." || /[/\\]$/.test(targetPath)) {
      return { ok: false, reason: `download path ${JSON.stringify(targetPath)} does not name a file`, code: undefined };
    }
    let keepMode: number | undefined;
    try {
      const stat = fs.statSync(targetPath);
      if (stat.isDirectory()) {
        return { ok: false, reason: `download path ${JSON.stringify(targetPath)} is a directory`, code: "EISDIR" };
      }
      if (!stat.isFile()) {
        // Renaming over a device, FIFO or socket (think /dev/null as root) would replace it.
        return { ok: false, reason: `download path ${JSON.stringify(targetPath)} exists and is not a regular file`, code: undefined };
      }
      keepMode = stat.mode & 0o7777;
    } catch (e) {
      const code = errorCode(e);
      if (code !== "ENOENT") {
        return { ok: false, reason: `cannot inspect ${JSON.stringify(targetPath)}: ${describe(e)}`, code };
      }
    }
    const dir = dirname(targetPath);
    let lastError: unknown;
    for (let attempt = 0; attempt < 8; attempt++) {
      const tempPath = join(dir, `.${name}.${randomBytes(6).toString("hex")}.part`);
      let fd: number;
      try {
        fd = fs.openSync(tempPath, "wx", 0o644);
      } catch (e) {
        lastError = e;
        if (errorCode(e) === "EEXIST") continue;
        break;
      }
      if (keepMode !== undefined) {
        try {
          fs.fchmodSync(fd, keepMode);
        } catch {
          // The mode is a courtesy; the download goes on with the default one.
        }
      }
      return { ok: true, sink: new DownloadSink(targetPath, tempPath, fd, fs, options.durable === true) };
    }
    const code = errorCode(lastError);
    const why = code === "ENOENT" ? `directory ${JSON.stringify(dir)} does not exist` : describe(lastError);
    return { ok: false, reason: `cannot create a temporary file for ${JSON.stringify(targetPath)}: ${why}`, code };
  }

  /** Bytes written to the temporary file so far. */
  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  /** `open` until committed, aborted or failed. */
  get state(): SinkState {
    return this.#state;
  }

  /**
   * Appends bytes, looping over partial writes. On failure (`ENOSPC`, `EIO`, …; the caller
   * reports `RESULT_DOWNLOAD_FILE_WRITE_ERROR`) the temporary file is removed and the sink is
   * `failed`.
   *
   * @param bytes - The bytes to append.
   * @returns `ok`, or the reason and error code.
   */
  write(bytes: Uint8Array): SinkResult {
    const fd = this.#fd;
    if (this.#state !== "open" || fd === undefined) return this.#notOpen();
    let offset = 0;
    try {
      while (offset < bytes.length) {
        const n = this.#fs.writeSync(fd, bytes, offset, bytes.length - offset);
        if (!(n > 0)) throw Object.assign(new Error(`write returned ${n}`), { code: "EIO" });
        offset += n;
        this.#bytesWritten += n;
      }
    } catch (e) {
      return this.#fail(`cannot write ${JSON.stringify(this.tempPath)}: ${describe(e)}`, errorCode(e));
    }
    return { ok: true };
  }

  /**
   * Finishes the download: (with `durable`, `fdatasync`), close, rename over the target (an
   * atomic replacement), (with `durable`, `fsync` the directory). On failure the temporary file
   * is removed and the target is untouched.
   *
   * @returns `ok`, or the reason and error code.
   */
  commit(): SinkResult {
    const fd = this.#fd;
    if (this.#state !== "open" || fd === undefined) return this.#notOpen();
    try {
      if (this.#durable) this.#fs.fdatasyncSync(fd);
      this.#fd = undefined;
      this.#fs.closeSync(fd);
      this.#fs.renameSync(this.tempPath, this.targetPath);
    } catch (e) {
      return this.#fail(`cannot finish ${JSON.stringify(this.targetPath)}: ${describe(e)}`, errorCode(e));
    }
    this.#state = "committed";
    if (this.#durable) this.#syncDirectory();
    return { ok: true };
  }

  /**
   * Gives the download up: closes and removes the temporary file; the target stays as it was.
   * Idempotent; does nothing after `commit`.
   */
  abort(): void {
    if (this.#state !== "open") return;
    this.#state = "aborted";
    this.#discard();
  }

  #syncDirectory(): void {
    let dirFd: number | undefined;
    try {
      dirFd = this.#fs.openSync(dirname(this.targetPath), "r");
      this.#fs.fsyncSync(dirFd);
    } catch {
      // Some file systems cannot fsync a directory; the rename itself has happened.
    } finally {
      if (dirFd !== undefined) {
        try {
          this.#fs.closeSync(dirFd);
        } catch {
          // Nothing more to do.
        }
      }
    }
  }

  #discard(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) {
      try {
        this.#fs.closeSync(fd);
      } catch {
        // Already closed or broken; the unlink below is what matters.
      }
    }
    try {
      this.#fs.unlinkSync(this.tempPath);
    } catch {
      // Gone already (ENOENT) or not removable; nothing better to do.
    }
  }

  #fail(reason: string, code: string | undefined): SinkResult {
    this.#state = "failed";
    this.#discard();
    return { ok: false, reason, code };
  }

  #notOpen(): SinkResult {
    return { ok: false, reason: `the download sink is ${this.#state}`, code: undefined };
  }
}
