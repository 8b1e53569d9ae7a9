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
  /** `fs.fstatSync` (only `size` is read; used by {@link DownloadSink.openPartial}). */
  fstatSync(fd: number): { readonly size: number };
  /** `fs.ftruncateSync` (used by {@link DownloadSink.openPartial}). */
  ftruncateSync(fd: number, length: number): void;
}

/** The suffix of the file a resumable download keeps its bytes in until it completes: `<target>.partial`. */
export const PARTIAL_SUFFIX = ".partial";

/**
 * The path of the file a resumable download (`resume: true`) writes to: `<target>.partial`.
 *
 * @param targetPath - The download's target.
 * @returns `targetPath` + {@link PARTIAL_SUFFIX}.
 */
export function partialPathOf(targetPath: string): string {
  return targetPath + PARTIAL_SUFFIX;
}

/**
 * How many bytes an interrupted resumable download to `targetPath` left in its
 * {@link partialPathOf | partial file}.
 *
 * @param targetPath - The download's target.
 * @param fs - The file-system calls to use. Default: `node:fs`.
 * @returns The partial file's size; 0 when it is missing or not a regular file.
 */
export function heldPartialBytes(targetPath: string, fs: Pick<typeof nodeFs, "statSync"> = nodeFs): number {
  try {
    const stat = fs.statSync(partialPathOf(targetPath));
    return stat.isFile() ? stat.size : 0;
  } catch {
    return 0;
  }
}

/**
 * Removes the {@link partialPathOf | partial file} of a download to `targetPath`, if there is one.
 *
 * @param targetPath - The download's target.
 * @param fs - The file-system calls to use. Default: `node:fs`.
 * @internal
 */
export function discardPartial(targetPath: string, fs: Pick<typeof nodeFs, "unlinkSync"> = nodeFs): void {
  try {
    fs.unlinkSync(partialPathOf(targetPath));
  } catch {
    // Nothing to remove (committed, or never written).
  }
}

type OpenResult =
  | { readonly ok: true; readonly sink: DownloadSink }
  | { readonly ok: false; readonly reason: string; readonly code: string | undefined };
type InspectResult =
  | { readonly ok: true; readonly keepMode: number | undefined }
  | { readonly ok: false; readonly reason: string; readonly code: string | undefined };

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
export type SinkResult = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly code: string | undefined };

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
  readonly #keepOnFailure: boolean;
  #fd: number | undefined;
  #state: SinkState = "open";
  #bytesWritten = 0;

  private constructor(targetPath: string, tempPath: string, fd: number, fs: DownloadFs, durable: boolean, keepOnFailure = false) {
    this.#keepOnFailure = keepOnFailure;
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
  static open(targetPath: string, options: DownloadSinkOptions = {}): OpenResult {
    const fs = options.fs ?? nodeFs;
    const inspected = inspectPath(fs, targetPath, "download path");
    if (!inspected.ok) return inspected;
    const { keepMode } = inspected;
    const name = basename(targetPath);
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
    const why = code === "ENOENT" ? missingReason(fs, dir, lastError) : describe(lastError);
    return { ok: false, reason: `cannot create a temporary file for ${JSON.stringify(targetPath)}: ${why}`, code };
  }

  /**
   * Opens the partial file of a resumable download, `<target>.partial` (see {@link partialPathOf}),
   * keeping its first `keep` bytes (0: created or emptied). Unlike {@link DownloadSink.open}, a
   * failure or `abort()` closes the partial file and KEEPS it, so a later request can resume from
   * its size; `commit()` renames it over the target. The target is never touched before that.
   * Fails (nothing changed) when the target or the partial file exists and is not a regular file,
   * or when the partial file holds fewer than `keep` bytes; more are cut off at `keep`.
   *
   * @param targetPath - Where the finished download goes.
   * @param keep - How many bytes of the partial file to keep; the body is written after them.
   * @param options - Durability and file-system injection.
   * @returns The sink (its `tempPath` is the partial file), or why it could not be opened.
   */
  static openPartial(targetPath: string, keep: number, options: DownloadSinkOptions = {}): OpenResult {
    const fs = options.fs ?? nodeFs;
    const inspected = inspectPath(fs, targetPath, "download path");
    if (!inspected.ok) return inspected;
    const partialPath = partialPathOf(targetPath);
    const partial = inspectPath(fs, partialPath, "partial download file");
    if (!partial.ok) return partial;
    if (!Number.isSafeInteger(keep) || keep < 0) return { ok: false, reason: `invalid resume offset ${String(keep)}`, code: undefined };
    let fd: number;
    try {
      fd = fs.openSync(partialPath, keep > 0 ? "a" : "w", 0o644);
    } catch (e) {
      return { ok: false, reason: `cannot open ${JSON.stringify(partialPath)}: ${describe(e)}`, code: errorCode(e) };
    }
    try {
      if (keep > 0) {
        const size = fs.fstatSync(fd).size;
        if (size < keep) {
          fs.closeSync(fd);
          return {
            ok: false,
            reason: `${JSON.stringify(partialPath)} holds ${size} bytes, fewer than the ${keep} resumed from`,
            code: undefined,
          };
        }
        // "a" (O_APPEND) writes at the end, which is `keep` once the excess is cut off.
        if (size > keep) fs.ftruncateSync(fd, keep);
      }
      if (inspected.keepMode !== undefined) fs.fchmodSync(fd, inspected.keepMode);
    } catch (e) {
      try {
        fs.closeSync(fd);
      } catch {
        // Nothing more to do.
      }
      return { ok: false, reason: `cannot prepare ${JSON.stringify(partialPath)}: ${describe(e)}`, code: errorCode(e) };
    }
    return { ok: true, sink: new DownloadSink(targetPath, partialPath, fd, fs, options.durable === true, true) };
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
   * Gives the download up: closes and removes the temporary file (a partial file opened by
   * {@link DownloadSink.openPartial} is closed and kept); the target stays as it was.
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

  /** Closes the file, and removes it unless it is a resumable download's partial file. */
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
    if (this.#keepOnFailure) return;
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

/**
 * Why creating a file in `dir` gave ENOENT: the folder is missing, is not a folder, or exists but
 * takes no new files (a virtual file system such as `/proc`).
 */
function missingReason(fs: DownloadFs, dir: string, error: unknown): string {
  try {
    const stat = fs.statSync(dir);
    if (!stat.isDirectory()) return `${JSON.stringify(dir)} is not a directory`;
    return `no file can be created in directory ${JSON.stringify(dir)} (${describe(error)})`;
  } catch {
    return `directory ${JSON.stringify(dir)} does not exist`;
  }
}

/** Checks that `path` names a file that is a regular file or does not exist; its mode when it exists. */
function inspectPath(fs: DownloadFs, path: string, what: string): InspectResult {
  const name = basename(path);
  if (path === "" || name === "" || name === "." || name === ".." || /[/\\]$/.test(path)) {
    return { ok: false, reason: `${what} ${JSON.stringify(path)} does not name a file`, code: undefined };
  }
  try {
    const stat = fs.statSync(path);
    if (stat.isDirectory()) return { ok: false, reason: `${what} ${JSON.stringify(path)} is a directory`, code: "EISDIR" };
    // Renaming over a device, FIFO or socket (think /dev/null as root) would replace it.
    if (!stat.isFile()) return { ok: false, reason: `${what} ${JSON.stringify(path)} exists and is not a regular file`, code: undefined };
    return { ok: true, keepMode: stat.mode & 0o7777 };
  } catch (e) {
    const code = errorCode(e);
    if (code !== "ENOENT") return { ok: false, reason: `cannot inspect ${JSON.stringify(path)}: ${describe(e)}`, code };
    return { ok: true, keepMode: undefined };
  }
}
