/**
 * Byte-range requests and resumed downloads (RFC 9110 §14): the `Range` header to send, the
 * `Content-Range` header received, and what to do with the bytes already on disk.
 *
 * @module
 */

/** The outcome of {@link formatRangeHeader}. */
export type RangeHeaderResult =
  /** The range is valid. */
  | {
      /** Success. */
      readonly ok: true;
      /** The `Range` field value, e.g. `bytes=100-` or `bytes=100-199`. */
      readonly value: string;
    }
  /** The range was refused. */
  | {
      /** Failure. */
      readonly ok: false;
      /** Why. */
      readonly reason: string;
    };

/** A parsed `Content-Range` field value. */
export interface ContentRange {
  /** The first byte position sent; -1 for an unsatisfied range (bytes \*\/total). */
  readonly start: number;
  /** The last byte position sent (inclusive); -1 for an unsatisfied range. */
  readonly end: number;
  /** The representation's complete length; -1 when the server sent `*` (unknown). */
  readonly total: number;
}

/** What {@link planResume} needs to know about the request and its response. */
export interface ResumeResponse {
  /** The offset the request asked to start from (`Range: bytes=requestedFrom-…`). */
  readonly requestedFrom: number;
  /** The response status code. */
  readonly status: number;
  /** The `Content-Range` field value, or `undefined`/`null` when the response had none. */
  readonly contentRange?: string | null | undefined;
  /** The response's `Content-Length`, or -1 / `undefined` when it is unknown (e.g. chunked). */
  readonly contentLength?: number | undefined;
}

/** The decision of {@link planResume}. */
export type ResumePlan =
  /** The server sent the requested tail: append the body to the bytes held. */
  | {
      /** Keep the bytes held and write the body after them. */
      readonly mode: "append";
      /** Where the body goes in the file: `requestedFrom`. */
      readonly offset: number;
      /** The complete length of the resource, or -1 when the server did not say. */
      readonly total: number;
    }
  /** The server ignored the range and sent the whole resource (200): start again from byte 0. */
  | {
      /** Discard the bytes held; the body is the whole resource. */
      readonly mode: "restart";
    }
  /** Nothing is left to fetch: the bytes held are the whole resource (416 with bytes \*\/requestedFrom). */
  | {
      /** Keep the bytes held; the download is complete. */
      readonly mode: "complete";
      /** The complete length, equal to `requestedFrom`. */
      readonly total: number;
    }
  /** The response does not fit the request: keep the bytes held untouched and fail. */
  | {
      /** Fail the download. */
      readonly mode: "error";
      /** Why. */
      readonly reason: string;
    };

const CONTENT_RANGE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (?:(\d+)-(\d+)\/(\d+|\*)|\*\/(\d+))$/;

/**
 * Formats a `Range` header value for one byte range (RFC 9110 §14.1.2).
 *
 * @param from - The first byte wanted: an integer from 0 to `Number.MAX_SAFE_INTEGER`.
 * @param to - The last byte wanted (inclusive), at least `from`; omitted for "to the end".
 * @returns `bytes=from-` or `bytes=from-to`, or why the positions were refused.
 *
 * @example
 * ```ts
 * declare const held: number; // bytes already on disk
 * const headers: string[] = [];
 * const range = formatRangeHeader(held);
 * if (range.ok) headers.push(`Range: ${range.value}`);
 * ```
 */
export function formatRangeHeader(from: number, to?: number): RangeHeaderResult {
  if (!isPosition(from)) return { ok: false, reason: `invalid range start ${String(from)}: a whole number of bytes from 0 expected` };
  if (to === undefined) return { ok: true, value: `bytes=${from}-` };
  if (!isPosition(to)) return { ok: false, reason: `invalid range end ${String(to)}: a whole number of bytes from 0 expected` };
  if (to < from) return { ok: false, reason: `invalid range ${from}-${to}: the end is before the start` };
  return { ok: true, value: `bytes=${from}-${to}` };
}

/**
 * Parses a `Content-Range` field value strictly (RFC 9110 §14.4):
 * `bytes first-last/complete`, `bytes first-last/*` or bytes \*\/complete. The unit is matched
 * case-insensitively and must be `bytes`; leading and trailing spaces and tabs are ignored;
 * anything else (other spaces, signs, missing parts) is refused, as are a last position before
 * the first, a complete length not greater than the last position, and numbers past
 * `Number.MAX_SAFE_INTEGER`.
 *
 * @param value - The field value.
 * @returns The range (`start` and `end` -1 for the unsatisfied form, `total` -1 for `*`), or
 * `null` when the value is invalid or not in bytes.
 */
export function parseContentRange(value: string): ContentRange | null {
  const match = CONTENT_RANGE.exec(value.replace(/^[ \t]+|[ \t]+$/g, ""));
  if (match === null || match[1]?.toLowerCase() !== "bytes") return null;
  const unsatisfied = match[5];
  if (unsatisfied !== undefined) {
    const total = toPosition(unsatisfied);
    return total === null ? null : { start: -1, end: -1, total };
  }
  const start = toPosition(match[2]);
  const end = toPosition(match[3]);
  const total = match[4] === "*" ? -1 : toPosition(match[4]);
  if (start === null || end === null || total === null || end < start) return null;
  if (total !== -1 && total <= end) return null;
  return { start, end, total };
}

/**
 * Decides what a resumed download does with the bytes it already holds, from the response to a
 * request sent with `Range: bytes=requestedFrom-`:
 * - 206 whose `Content-Range` starts exactly at `requestedFrom` (and whose `Content-Length`, when
 *   known, equals the range's size) → `append` at `requestedFrom`.
 * - 206 without a valid single `Content-Range` (e.g. `multipart/byteranges`), starting elsewhere,
 *   or with a mismatched length → `error`.
 * - 200 → `restart`: the server ignored the range and sends the whole resource.
 * - 416 with Content-Range: bytes \*\/total where `total === requestedFrom` → `complete`: the
 *   bytes held are already the whole resource. Any other 416 → `error`.
 * - Any other status → `error`: it does not answer the range (the caller handles it as usual).
 *
 * Whether the resource changed since the bytes held were fetched is not checked here: send
 * `If-Range` with the validator you kept, and the server answers 200 when it changed.
 *
 * @param response - The requested offset and the response's status and headers.
 * @returns The plan.
 */
export function planResume(response: ResumeResponse): ResumePlan {
  const { requestedFrom, status } = response;
  if (!isPosition(requestedFrom)) return { mode: "error", reason: `invalid resume offset ${String(requestedFrom)}` };
  if (status === 200) return { mode: "restart" };
  if (status !== 206 && status !== 416) {
    return { mode: "error", reason: `status ${status} does not answer the range request from byte ${requestedFrom}` };
  }
  const raw = response.contentRange;
  if (raw === undefined || raw === null) return { mode: "error", reason: `${status} response without Content-Range` };
  const range = parseContentRange(raw);
  if (range === null) return { mode: "error", reason: `${status} response with invalid Content-Range ${JSON.stringify(raw)}` };
  if (status === 416) {
    if (range.start !== -1) return { mode: "error", reason: `416 response with a satisfied Content-Range ${JSON.stringify(raw)}` };
    if (range.total === requestedFrom) return { mode: "complete", total: range.total };
    return { mode: "error", reason: `the range from byte ${requestedFrom} is not satisfiable: the resource has ${range.total} bytes` };
  }
  if (range.start === -1) return { mode: "error", reason: `206 response with an unsatisfied Content-Range ${JSON.stringify(raw)}` };
  if (range.start !== requestedFrom) {
    return { mode: "error", reason: `asked for bytes from ${requestedFrom}, the server sent ${range.start}-${range.end}` };
  }
  const size = range.end - range.start + 1;
  const length = response.contentLength ?? -1;
  if (length >= 0 && length !== size) {
    return { mode: "error", reason: `Content-Length ${length} does not match Content-Range ${range.start}-${range.end} (${size} bytes)` };
  }
  return { mode: "append", offset: requestedFrom, total: range.total };
}

function isPosition(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function toPosition(digits: string | undefined): number | null {
  if (digits === undefined) return null;
  const value = Number(digits);
  return Number.isSafeInteger(value) ? value : null;
}
