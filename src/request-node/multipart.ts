/**
 * `multipart/form-data` request bodies (RFC 7578, RFC 2046 §5.1) produced piece by piece as a
 * {@link BodySource}, so a form carrying large files never sits whole in memory. The parts are
 * shaped after OpenHarmony's `multiFormDataList` (name, contentType, remoteFileName, data or
 * filePath).
 *
 * @module
 */

import { randomBytes } from "node:crypto";
import { fstatSync, openSync, readSync } from "node:fs";
import { basename } from "node:path";
import type { BodySource } from "../client/body-source.ts";
import { closeQuietly, errorMessage as describe } from "../client/file-util.ts";

/** One part of a `multipart/form-data` body. Give exactly one of `data` and `filePath`. */
export interface MultipartPart {
  /**
   * The field name, sent as `name="…"` in UTF-8 with `"`, CR and LF written as `%22`, `%0D` and
   * `%0A` (the WHATWG rule). Must not be empty, contain NUL or a lone surrogate.
   */
  readonly name: string;
  /**
   * The part's `Content-Type`, e.g. `text/plain` or `image/png`: printable ASCII without leading
   * or trailing whitespace. When omitted, a part with a file name (`remoteFileName` or
   * `filePath`) is sent as `application/octet-stream` and any other part without the header.
   */
  readonly contentType?: string;
  /**
   * The file name sent as `filename="…"` (escaped like `name`; may be empty). For a `filePath`
   * part it defaults to the file's base name; a `data` part without it is a plain field.
   */
  readonly remoteFileName?: string;
  /** The content in memory; a string is sent as UTF-8 (lone surrogates become U+FFFD). */
  readonly data?: string | Uint8Array;
  /** A regular file whose content is streamed from disk when the body is read. */
  readonly filePath?: string;
}

/** Options of {@link createMultipartBody}. */
export interface MultipartOptions {
  /**
   * The boundary to use instead of a random one (for reproducible bytes): 1–70 characters from
   * RFC 2046's set (letters, digits, space and `'()+_,-./:=?`), not ending in a space.
   */
  readonly boundary?: string;
}

/** The outcome of {@link createMultipartBody}. */
export type MultipartResult =
  /** The body was built. */
  | {
      /** Success. */
      readonly ok: true;
      /**
       * The body, with its exact `length`. It holds the files open: the client closes it when the
       * request ends; close it yourself if you do not send it.
       */
      readonly body: BodySource;
      /** The value for the request's `Content-Type` header: `multipart/form-data; boundary=…`. */
      readonly contentType: string;
      /** The boundary used. */
      readonly boundary: string;
    }
  /** The parts or options were refused; no file is left open. */
  | {
      /** Failure. */
      readonly ok: false;
      /** Why, naming the part (index and name) at fault. */
      readonly reason: string;
    };

/** The most file bytes one refill reads ahead. */
const MAX_CHUNK = 4 * 1024 * 1024;
/** The least file bytes one refill reads, so many small `read()`s do not each cost a system call. */
const MIN_CHUNK = 64 * 1024;
/** Characters RFC 2046 allows in a boundary (`bchars`). */
const BOUNDARY_CHARS = /^[0-9A-Za-z'()+_,\-./:=? ]{1,70}$/;
/** Boundary characters that are also `tchar`s, so the boundary needs no quotes in `Content-Type`. */
const TOKEN_BOUNDARY = /^[0-9A-Za-z'+_\-.]+$/;
const CONTENT_TYPE = /^[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?$/;
const LONE_SURROGATE = /\p{Surrogate}/u;
const encoder = new TextEncoder();

/**
 * Checks a boundary against RFC 2046 §5.1.1: 1 to 70 characters from `bchars`, the last not a
 * space.
 *
 * @param boundary - The candidate boundary.
 * @returns `""` when the boundary is valid, otherwise why not.
 */
export function checkBoundary(boundary: string): string {
  if (!BOUNDARY_CHARS.test(boundary)) {
    return `invalid multipart boundary ${JSON.stringify(boundary)}: it must be 1 to 70 characters from letters, digits, space and '()+_,-./:=?`;
  }
  if (boundary.endsWith(" ")) return `invalid multipart boundary ${JSON.stringify(boundary)}: it must not end in a space`;
  return "";
}

/**
 * Escapes a field name or file name for a `Content-Disposition` parameter the way browsers do
 * (WHATWG HTML, "multipart/form-data encoding algorithm"): `"` → `%22`, CR → `%0D`, LF → `%0A`.
 * Nothing else changes (in particular `%` and `\` stay as they are).
 *
 * @param value - The name.
 * @returns The escaped name, to be placed between double quotes.
 */
export function escapeMultipartName(value: string): string {
  return value.replace(/["\r\n]/g, (c) => (c === '"' ? "%22" : c === "\r" ? "%0D" : "%0A"));
}

type Segment =
  | { readonly kind: "bytes"; readonly bytes: Uint8Array }
  | { readonly kind: "file"; fd: number | null; readonly path: string; readonly size: number };

/**
 * Builds a `multipart/form-data` body. In-memory data is copied (so later changes to the caller's
 * arrays cannot alter the body or its length); files are opened and measured now (`fstat`) and
 * read later, synchronously (`fs.readSync`) into one reused buffer of at most 4 MiB, so the body's
 * `length` is exact and memory stays bounded whatever the file sizes. A file whose size differs
 * from the one measured when it is reached fails the body: `read()` returns `null` and
 * `getError()` says which file. Views returned by `read()` are valid until the next call.
 *
 * Without `options.boundary` the boundary is `----poll-http-` and 32 random hex digits
 * (node:crypto), drawn again in the unlikely case it occurs in the in-memory data; a given
 * boundary that occurs in in-memory data is refused. File content cannot be checked in advance:
 * a random boundary makes a collision practically impossible. An empty list of parts gives the
 * body browsers send for an empty `FormData`: the close delimiter alone.
 *
 * @param parts - The parts, in order.
 * @param options - A fixed boundary.
 * @returns The body and its `Content-Type`, or why the parts were refused (a missing or
 * unreadable file, a bad name, content type or boundary).
 *
 * @example
 * ```ts
 * declare const client: HTTPClient;
 * const form = createMultipartBody([
 *   { name: "title", data: "Level 3" },
 *   { name: "save", filePath: "/tmp/save.bin", contentType: "application/octet-stream" },
 * ]);
 * if (form.ok) client.request(Method.METHOD_POST, "/upload", [`Content-Type: ${form.contentType}`], form.body);
 * ```
 */
export function createMultipartBody(parts: readonly MultipartPart[], options: MultipartOptions = {}): MultipartResult {
  const given = options.boundary;
  if (given !== undefined) {
    const bad = checkBoundary(given);
    if (bad !== "") return { ok: false, reason: bad };
  }
  const memory: Uint8Array[] = [];
  for (const [index, part] of parts.entries()) {
    const problem = checkPart(part);
    if (problem !== "") return { ok: false, reason: `multipart part ${index} (${JSON.stringify(part.name)}): ${problem}` };
    if (part.data !== undefined) memory.push(typeof part.data === "string" ? encoder.encode(part.data) : part.data.slice());
  }
  let boundary = given ?? randomBoundary();
  for (let attempt = 0; occursIn(memory, boundary); attempt++) {
    if (given !== undefined) return { ok: false, reason: `the multipart boundary ${JSON.stringify(given)} occurs in the data of a part` };
    if (attempt >= 8) return { ok: false, reason: "could not draw a multipart boundary absent from the data" };
    boundary = randomBoundary();
  }
  const segments: Segment[] = [];
  let nextMemory = 0;
  for (const [index, part] of parts.entries()) {
    const fileName = part.remoteFileName ?? (part.filePath !== undefined ? basename(part.filePath) : undefined);
    const contentType = part.contentType ?? (fileName !== undefined ? "application/octet-stream" : undefined);
    let head = `${index === 0 ? "" : "\r\n"}--${boundary}\r\nContent-Disposition: form-data; name="${escapeMultipartName(part.name)}"`;
    if (fileName !== undefined) head += `; filename="${escapeMultipartName(fileName)}"`;
    if (contentType !== undefined) head += `\r\nContent-Type: ${contentType}`;
    segments.push({ kind: "bytes", bytes: encoder.encode(`${head}\r\n\r\n`) });
    if (part.filePath !== undefined) {
      const opened = openFile(part.filePath);
      if (typeof opened === "string") {
        closeSegments(segments);
        return { ok: false, reason: `multipart part ${index} (${JSON.stringify(part.name)}): ${opened}` };
      }
      segments.push(opened);
    } else {
      segments.push({ kind: "bytes", bytes: memory[nextMemory++] ?? new Uint8Array(0) });
    }
  }
  segments.push({ kind: "bytes", bytes: encoder.encode(`${parts.length === 0 ? "" : "\r\n"}--${boundary}--\r\n`) });
  const quoted = TOKEN_BOUNDARY.test(boundary) ? boundary : `"${boundary}"`;
  return { ok: true, body: new MultipartBody(segments), contentType: `multipart/form-data; boundary=${quoted}`, boundary };
}

function checkPart(part: MultipartPart): string {
  if ((part.data === undefined) === (part.filePath === undefined)) return "give exactly one of data and filePath";
  if (part.name === "") return "the name is empty";
  const nameProblem = checkHeaderText(part.name, "name");
  if (nameProblem !== "") return nameProblem;
  if (part.remoteFileName !== undefined) {
    const fileProblem = checkHeaderText(part.remoteFileName, "remoteFileName");
    if (fileProblem !== "") return fileProblem;
  }
  if (part.contentType !== undefined && !CONTENT_TYPE.test(part.contentType)) {
    return `invalid contentType ${JSON.stringify(part.contentType)}: printable ASCII without leading or trailing whitespace expected`;
  }
  if (part.filePath === "") return "the filePath is empty";
  return "";
}

function checkHeaderText(value: string, what: string): string {
  if (value.includes("\0")) return `the ${what} contains NUL`;
  if (LONE_SURROGATE.test(value)) return `the ${what} contains a lone surrogate, which UTF-8 cannot carry`;
  return "";
}

function randomBoundary(): string {
  return `----poll-http-${randomBytes(16).toString("hex")}`;
}

function occursIn(chunks: readonly Uint8Array[], boundary: string): boolean {
  const needle = Buffer.from(`--${boundary}`, "latin1");
  return chunks.some((bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(needle) >= 0);
}

function openFile(path: string): Segment | string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    return `cannot open ${path}: ${describe(error)}`;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      closeQuietly(fd);
      return `${path} is not a regular file`;
    }
    return { kind: "file", fd, path, size: stat.size };
  } catch (error) {
    closeQuietly(fd);
    return `cannot read ${path}: ${describe(error)}`;
  }
}

function closeSegments(segments: readonly Segment[]): void {
  for (const segment of segments) {
    if (segment.kind === "file" && segment.fd !== null) {
      closeQuietly(segment.fd);
      segment.fd = null;
    }
  }
}

/** The {@link BodySource} behind {@link createMultipartBody}: fixed segments read in order. */
class MultipartBody implements BodySource {
  readonly length: number;
  readonly #segments: readonly Segment[];
  #index = 0;
  /** Bytes of the current segment already handed out. */
  #offset = 0;
  #buffer: Buffer | null = null;
  /** The file offset of `#buffer[0]` and how many bytes of it hold the current file's data. */
  #bufferStart = 0;
  #bufferLength = 0;
  #error = "";
  #done = false;
  #closed = false;

  constructor(segments: readonly Segment[]) {
    this.#segments = segments;
    this.length = segments.reduce((sum, s) => sum + (s.kind === "bytes" ? s.bytes.length : s.size), 0);
  }

  read(maxBytes: number): Uint8Array | null {
    if (this.#done || this.#error !== "") return null;
    if (this.#closed) return this.#fail("the multipart body was closed before it was fully read");
    const max = maxBytes >= 1 ? Math.floor(maxBytes) : 1;
    for (;;) {
      const segment = this.#segments[this.#index];
      if (segment === undefined) {
        this.#done = true;
        this.close();
        return null;
      }
      if (segment.kind === "bytes") {
        const left = segment.bytes.length - this.#offset;
        if (left > 0) {
          const take = Math.min(left, max);
          const out = segment.bytes.subarray(this.#offset, this.#offset + take);
          this.#offset += take;
          return out;
        }
      } else {
        if (this.#offset < segment.size) return this.#readFile(segment, max);
        if (!this.#finishFile(segment)) return null;
      }
      this.#index++;
      this.#offset = 0;
      this.#bufferLength = 0;
    }
  }

  getError(): string {
    return this.#error;
  }

  close(): void {
    this.#closed = true;
    this.#buffer = null;
    this.#bufferLength = 0;
    closeSegments(this.#segments);
  }

  #readFile(segment: Segment & { kind: "file" }, max: number): Uint8Array | null {
    const fd = segment.fd;
    if (fd === null) return this.#fail(`${segment.path} was closed before it was fully read`);
    const position = this.#offset;
    const inBuffer = this.#bufferStart + this.#bufferLength - position;
    if (position < this.#bufferStart || inBuffer <= 0) {
      const want = Math.min(segment.size - position, Math.max(MIN_CHUNK, Math.min(max, MAX_CHUNK)));
      let buffer = this.#buffer;
      if (buffer === null || buffer.length < want) {
        buffer = Buffer.allocUnsafe(want);
        this.#buffer = buffer;
      }
      let got: number;
      try {
        got = readSync(fd, buffer, 0, want, position);
      } catch (error) {
        return this.#fail(`reading ${segment.path} failed: ${describe(error)}`);
      }
      if (got === 0) {
        return this.#fail(`${segment.path} changed size while it was being sent: it ended after ${position} of ${segment.size} bytes`);
      }
      this.#bufferStart = position;
      this.#bufferLength = got;
    }
    const buffer = this.#buffer;
    if (buffer === null) return this.#fail("internal error: no file buffer");
    const from = position - this.#bufferStart;
    const take = Math.min(max, this.#bufferLength - from);
    this.#offset += take;
    return buffer.subarray(from, from + take);
  }

  /** Checks that a fully read file still has the size measured at creation, then closes it. */
  #finishFile(segment: Segment & { kind: "file" }): boolean {
    const fd = segment.fd;
    if (fd === null) {
      this.#fail(`${segment.path} was closed before it was fully read`);
      return false;
    }
    let size: number;
    try {
      size = fstatSync(fd).size;
    } catch (error) {
      this.#fail(`cannot check ${segment.path}: ${describe(error)}`);
      return false;
    }
    closeQuietly(fd);
    segment.fd = null;
    if (size !== segment.size) {
      this.#fail(`${segment.path} changed size while it was being sent: ${segment.size} bytes when the body was built, ${size} now`);
      return false;
    }
    return true;
  }

  #fail(reason: string): null {
    if (this.#error === "") this.#error = reason;
    this.close();
    return null;
  }
}
