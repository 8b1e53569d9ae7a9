import { fieldValues } from "../client/wire/headers.ts";
import { Result } from "../status/result.ts";
import { BodyCollector } from "./body-collector.ts";
import { createContentDecoder, SUPPORTED_CODINGS, type ContentDecoder } from "./content-decoder.ts";
import { DownloadSink } from "./download-sink.ts";
import type { IntegrityCheck } from "./integrity.ts";
import { openResumeSink, type RangeRequest } from "./resume.ts";

/** No transfer coding left to undo. */
const NO_TRANSFER_CODINGS: readonly string[] = Object.freeze([]);

/** What decides how the body of a final response is taken. */
export interface BodyStartInput {
  /** `getResponseBodyLength()` of the client. */
  readonly length: number;
  /** Whether the body is chunked. */
  readonly chunked: boolean;
  /** The response code. */
  readonly code: number;
  /** The response header lines. */
  readonly headers: string[];
  /** True when the response can carry content (not 204, 205, nor an answer to HEAD). */
  readonly content: boolean;
  /** The node's `acceptGzip`. */
  readonly acceptGzip: boolean;
  /** The node's `bodySizeLimit`. */
  readonly limit: number;
  /** The node's `downloadFile`. */
  readonly file: string;
  /** The range the request asked for, or null. */
  readonly range: RangeRequest | null;
  /** Receives decoded pieces when the body is streamed through `bodyData`; undefined keeps it. */
  readonly onData: ((piece: Uint8Array) => void) | undefined;
  /** The integrity check of the request, if any. */
  readonly integrity: IntegrityCheck | undefined;
}

/** How the body is taken, or the failure that ends the request at the head. */
export type BodyStart =
  | {
      /** Ready. */
      readonly ok: true;
      /** Takes the body. */
      readonly collector: BodyCollector;
      /** Bytes kept from an earlier partial download. */
      readonly resumedFrom: number;
      /** A complete partial download to commit once the (dropped) body ends, or null. */
      readonly pendingCommit: DownloadSink | null;
    }
  | {
      /** Refused. */
      readonly ok: false;
      /** The result to end with. */
      readonly result: Result;
      /** Why. */
      readonly reason: string;
    };

/**
 * Sets up the taking of a final response's body: content decoding, the size limit checked against
 * Content-Length when that tells the decoded size, and where the bytes go — the download file (only
 * for a 2xx with content: an error page or a 304 must not replace it), the resumable partial file,
 * the `bodyData` signal, or memory.
 *
 * @param input - The response and the node's settings.
 * @returns The collector, or the failure.
 * @internal
 */
export function startBody(input: BodyStartInput): BodyStart {
  const { length, limit } = input;
  let decoder: ContentDecoder | null = null;
  const codings = fieldValues(input.headers, "content-encoding");
  // A body of known length (> 0) carries no Transfer-Encoding: the client refuses a response that
  // has both, and with one the length is -1 (or 0 when the response has no body).
  const transfer = input.content && length <= 0 ? transferCodings(input.headers, input.chunked) : NO_TRANSFER_CODINGS;
  if (transfer.length > 0) {
    // Transfer codings must come off (RFC 9112 §6.1): what cannot be decoded fails the request.
    const unknown = transfer.find((c) => !SUPPORTED_CODINGS.includes(c));
    if (unknown !== undefined) {
      return {
        ok: false,
        result: Result.RESULT_BODY_DECOMPRESS_FAILED,
        reason: `cannot decode the body: unsupported transfer coding ${JSON.stringify(unknown)}`,
      };
    }
    const withContent =
      input.acceptGzip &&
      codings.every((v) => v.split(",").every((c) => c.trim() === "" || SUPPORTED_CODINGS.includes(c.trim().toLowerCase())));
    const created = createContentDecoder([...(withContent ? codings : []), transfer.join(", ")], {});
    if (!created.ok) return { ok: false, result: Result.RESULT_BODY_DECOMPRESS_FAILED, reason: created.reason };
    decoder = created.decoder;
  } else if (input.acceptGzip && codings.length > 0 && length !== 0) {
    const created = createContentDecoder(codings, {});
    if (created.ok) decoder = created.decoder;
    else if (created.unsupported !== true) return { ok: false, result: Result.RESULT_BODY_DECOMPRESS_FAILED, reason: created.reason };
  }
  const coded = decoder !== null && decoder.codings.length > 0;
  if (limit >= 0 && length > limit && !coded) {
    decoder?.close();
    return { ok: false, result: Result.RESULT_BODY_SIZE_LIMIT_EXCEEDED, reason: `Content-Length ${length} exceeds bodySizeLimit ${limit}` };
  }
  let sink: DownloadSink | null = null;
  let pendingCommit: DownloadSink | null = null;
  let resumedFrom = 0;
  const range = input.range;
  if (range?.resume === true) {
    const outcome = openResumeSink({
      file: input.file,
      from: range.from,
      code: input.code,
      headers: input.headers,
      contentLength: input.chunked ? -1 : length,
      content: input.content,
      coded,
    });
    if (outcome.kind === "fail") {
      decoder?.close();
      return { ok: false, result: outcome.result, reason: outcome.reason };
    }
    if (outcome.kind === "write") {
      sink = outcome.sink;
      resumedFrom = outcome.from;
    } else if (outcome.kind === "complete") {
      pendingCommit = outcome.sink; // the 416's own body is read and dropped
      resumedFrom = range.from;
    }
  } else if (input.file !== "" && input.code >= 200 && input.code < 300 && input.content) {
    const opened = DownloadSink.open(input.file);
    if (!opened.ok) {
      decoder?.close();
      return { ok: false, result: Result.RESULT_DOWNLOAD_FILE_CANT_OPEN, reason: opened.reason };
    }
    sink = opened.sink;
  }
  const expectedLength = decoder === null && !input.chunked ? length : -1;
  const onData = pendingCommit !== null ? (): void => {} : sink === null ? input.onData : undefined;
  const collector = new BodyCollector({ decoder, sink, limit, expectedLength, onData, integrity: input.integrity });
  return { ok: true, collector, resumedFrom, pendingCommit };
}

/**
 * The transfer codings a body still carries after de-chunking, in the order applied: the
 * `Transfer-Encoding` codings without `identity`, parameters and (for a chunked body) the final
 * `chunked`. E.g. `["gzip"]` for `gzip, chunked`; `["chunked", "br"]` for a close-delimited
 * `chunked, br`, whose inner `chunked` is not decoded here.
 *
 * @param headers - The response header lines.
 * @param chunked - Whether the body was de-chunked by the client.
 * @returns The codings, lower case.
 */
export function transferCodings(headers: readonly string[], chunked: boolean): readonly string[] {
  const values = fieldValues(headers, "transfer-encoding");
  if (values.length === 0) return values; // no Transfer-Encoding: the shared empty list
  const list: string[] = [];
  for (const value of values) {
    for (const element of value.split(",")) {
      const coding = (element.split(";")[0] ?? "").trim().toLowerCase();
      if (coding !== "" && coding !== "identity") list.push(coding);
    }
  }
  if (chunked && list.at(-1) === "chunked") list.pop();
  return list;
}
