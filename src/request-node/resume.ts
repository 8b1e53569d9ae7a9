/**
 * The request side and the response side of `RequestOptions.resumeFrom`/`resumeTo` (a byte range)
 * and `RequestOptions.resume` (a resumable `downloadFile` kept in `<target>.partial`).
 *
 * @module
 */

import { getHeaderValues, hasHeader } from "../client/wire/headers.ts";
import { Result } from "../status/result.ts";
import { DownloadSink, heldPartialBytes } from "./download-sink.ts";
import { formatRangeHeader, parseContentRange, planResume } from "./range.ts";

/** The range options of a request, as given to `request()`. */
export interface RangeOptions {
  /** First byte wanted. */
  readonly resumeFrom?: number | undefined;
  /** Last byte wanted (inclusive). */
  readonly resumeTo?: number | undefined;
  /** Resume the download from `<target>.partial`. */
  readonly resume?: boolean | undefined;
}

/** What a request asks for, decided by {@link planRangeRequest}. @internal */
export interface RangeRequest {
  /** The `Range` header line to send, or null. */
  readonly header: string | null;
  /** The first byte asked for (0 without a range). */
  readonly from: number;
  /** True for a resumable download (`resume: true`). */
  readonly resume: boolean;
}

/**
 * Checks the range options of a request and decides the `Range` header to send.
 *
 * @param options - The request's options.
 * @param file - `downloadFile` (`""` when the body goes to memory).
 * @param headers - The user's header lines.
 * @param integrity - Whether the request asked for an integrity check.
 * @returns The decision, or why the options are refused (`ERR_INVALID_PARAMETER`).
 * @internal
 */
export function planRangeRequest(
  options: RangeOptions,
  file: string,
  headers: readonly string[],
  integrity: boolean,
): { readonly ok: true; readonly range: RangeRequest | null } | { readonly ok: false; readonly reason: string } {
  const { resumeFrom, resumeTo } = options;
  const resume = options.resume === true;
  if (resumeFrom === undefined && resumeTo === undefined && !resume) return { ok: true, range: null };
  if (hasHeader(headers, "range")) return { ok: false, reason: "a Range header cannot be combined with resumeFrom, resumeTo or resume" };
  if (resume) {
    if (resumeFrom !== undefined || resumeTo !== undefined)
      return { ok: false, reason: "resume cannot be combined with resumeFrom or resumeTo" };
    if (file === "") return { ok: false, reason: "resume needs downloadFile" };
    if (integrity) return { ok: false, reason: "resume cannot be combined with integrity (the check would miss the bytes already held)" };
    const held = heldPartialBytes(file);
    return { ok: true, range: { header: held > 0 ? `Range: bytes=${held}-` : null, from: held, resume: true } };
  }
  const from = resumeFrom ?? 0;
  const formatted = formatRangeHeader(from, resumeTo);
  if (!formatted.ok) return { ok: false, reason: formatted.reason };
  return { ok: true, range: { header: `Range: ${formatted.value}`, from, resume: false } };
}

/** What a resumable download does with a final response, decided by {@link openResumeSink}. @internal */
export type ResumeOutcome =
  /** Write the body to `sink` (the partial file, kept from `from` on). */
  | { readonly kind: "write"; readonly sink: DownloadSink; readonly from: number }
  /** The partial file is already complete: read and drop the body, then commit `sink`. */
  | { readonly kind: "complete"; readonly sink: DownloadSink }
  /** Not a download: the body goes to the signal, the partial file is left as it is. */
  | { readonly kind: "none" }
  /** End the request with this result; the partial file is left as it is. */
  | { readonly kind: "fail"; readonly result: Result; readonly reason: string };

/** The final response of a resumable download, as {@link openResumeSink} needs it. @internal */
export interface ResumeResponseInfo {
  /** `downloadFile`. */
  readonly file: string;
  /** The bytes held (the offset the `Range` asked from; 0 when no range was sent). */
  readonly from: number;
  /** The status code. */
  readonly code: number;
  /** The response headers. */
  readonly headers: readonly string[];
  /** The Content-Length, or -1. */
  readonly contentLength: number;
  /** False for a response without content (204, 205, an answer to HEAD). */
  readonly content: boolean;
  /** True when the body has a content coding to decode. */
  readonly coded: boolean;
}

/**
 * Decides what a resumable download (`resume: true`) does with its final response and opens the
 * partial file accordingly: 206 from the offset held → append; other 2xx with content → restart
 * from byte 0; 416 `bytes *\/held` → complete; other statuses → an ordinary response.
 *
 * @param info - The response and what the request held.
 * @returns The outcome.
 * @internal
 */
export function openResumeSink(info: ResumeResponseInfo): ResumeOutcome {
  const { file, from, code } = info;
  let keep: number;
  if (code === 206 || (code === 416 && from > 0)) {
    if (from === 0)
      return { kind: "fail", result: Result.RESULT_REQUEST_FAILED, reason: "cannot resume: a 206 answered a request without Range" };
    const ranges = getHeaderValues(info.headers, "content-range");
    const plan = planResume({
      requestedFrom: from,
      status: code,
      contentRange: ranges.length === 0 ? null : ranges.join(", "),
      contentLength: info.contentLength,
    });
    if (plan.mode === "error") {
      if (code === 416) return { kind: "none" }; // an ordinary error response (e.g. the partial file is longer than the resource)
      return { kind: "fail", result: Result.RESULT_REQUEST_FAILED, reason: `cannot resume ${JSON.stringify(file)}: ${plan.reason}` };
    }
    if (plan.mode === "complete") {
      const opened = DownloadSink.openPartial(file, from);
      return opened.ok ? { kind: "complete", sink: opened.sink } : cantOpen(opened.reason);
    }
    if (plan.mode === "append") {
      const range = parseContentRange(ranges.join(", "));
      if (range !== null && range.total >= 0 && range.end !== range.total - 1) {
        return {
          kind: "fail",
          result: Result.RESULT_REQUEST_FAILED,
          reason: `cannot resume ${JSON.stringify(file)}: the server sent bytes ${range.start}-${range.end} of ${range.total}, not the rest of the file`,
        };
      }
      if (info.coded) {
        return {
          kind: "fail",
          result: Result.RESULT_REQUEST_FAILED,
          reason: `cannot resume ${JSON.stringify(file)}: the 206 response has a content coding`,
        };
      }
      keep = from;
    } else {
      keep = 0; // "restart" cannot come from a 206 or 416; kept for completeness
    }
  } else if (code >= 200 && code < 300 && info.content) {
    keep = 0; // the server ignored the range (or none was sent): the body is the whole file
  } else {
    return { kind: "none" };
  }
  const opened = DownloadSink.openPartial(file, keep);
  return opened.ok ? { kind: "write", sink: opened.sink, from: keep } : cantOpen(opened.reason);
}

function cantOpen(reason: string): ResumeOutcome {
  return { kind: "fail", result: Result.RESULT_DOWNLOAD_FILE_CANT_OPEN, reason };
}
