import type { BodySource } from "../client/body-source.ts";
import { parseHttpUrl, type HttpUrl } from "../client/url.ts";
import { planRequestBody } from "../client/request-body.ts";
import { hasField, sameLines } from "../client/wire/headers.ts";
import { validateRequestHead } from "../client/wire/request-writer.ts";
import { type Method, normalizeMethod, verbOf } from "../status/method.ts";
import { createIntegrityCheck } from "./integrity.ts";
import { planRangeRequest, type RangeOptions, type RangeRequest } from "./resume.ts";

/** One leg of a request: where it goes and what it sends. */
export interface Hop {
  /** The URL of this leg. */
  readonly url: HttpUrl;
  /** Its method: a {@link Method} value, or another method by name. */
  readonly method: Method | string;
  /** Its header lines. */
  readonly headers: readonly string[];
  /** Its body. */
  readonly body: Uint8Array | BodySource;
}

/** What `HTTPRequest.request()` was given. */
export interface RequestInput {
  /** The URL as given. */
  readonly url: string;
  /** The caller's header lines. */
  readonly customHeaders: readonly string[];
  /** The method: a {@link Method} value, or another method by name. */
  readonly method: Method | string;
  /** The body. */
  readonly body: Uint8Array | BodySource;
  /** Range and resume options. */
  readonly range: RangeOptions;
  /** Subresource Integrity metadata, if any. */
  readonly integrity: string | undefined;
  /** The node's `acceptGzip`. */
  readonly acceptGzip: boolean;
  /** The node's `downloadFile`. */
  readonly downloadFile: string;
}

/** A request ready to start: its first hop, the range asked for, and integrity metadata to check. */
export interface RequestPlan {
  /** Accepted. */
  readonly ok: true;
  /** The first hop. */
  readonly hop: Hop;
  /** The range asked for, or null. */
  readonly range: RangeRequest | null;
  /** Valid integrity metadata, or null. */
  readonly integrity: string | null;
}

/**
 * Checks everything `request()` is given before anything starts: method, URL (only http/https),
 * range and resume options, headers (checked as the client will write them, without building the
 * head: CR, LF, NUL and bad names are refused here), and integrity metadata. Adds `Range` and the default
 * `Accept-Encoding` (none with a range: ranges count bytes as sent).
 *
 * @param input - The arguments and the node settings that shape the request.
 * @returns The plan, or why the call is refused.
 * @internal
 */
export function planRequest(input: RequestInput): RequestPlanResult {
  const verb = verbOf(input.method);
  if (verb === undefined) return { ok: false, reason: `invalid method ${String(input.method)}` };
  const parsed = parseHttpUrl(input.url);
  if (!parsed.ok) return { ok: false, reason: `invalid URL ${JSON.stringify(input.url)}: ${parsed.reason}` };
  const headers = [...input.customHeaders];
  const ranged = planRangeRequest(input.range, input.downloadFile, headers, input.integrity !== undefined);
  if (!ranged.ok) return { ok: false, reason: ranged.reason };
  const rangeHeader = ranged.range?.header ?? null;
  if (rangeHeader !== null) headers.push(rangeHeader);
  if (input.acceptGzip && ranged.range === null && !hasField(headers, "accept-encoding")) headers.push("Accept-Encoding: gzip, deflate");
  const body = input.body;
  // The body framed as the client will frame it (a caller's Transfer-Encoding, or a Content-Length
  // that disagrees with the body, is refused here, before anything is sent).
  const framing = planRequestBody(headers, body);
  if (!framing.ok) return { ok: false, reason: framing.reason };
  const headProblem = validateRequestHead({
    method: verb,
    target: parsed.url.path,
    host: parsed.url.host,
    port: parsed.url.port,
    tls: parsed.url.scheme === "https",
    headers,
    bodyLength: framing.headLength,
    chunked: framing.chunked,
  });
  if (headProblem !== null) return { ok: false, reason: headProblem.reason };
  if (input.integrity !== undefined) {
    const created = createIntegrityCheck(input.integrity);
    if (!created.ok) return { ok: false, reason: `invalid integrity metadata: ${created.reason}` };
  }
  return {
    ok: true,
    hop: { url: parsed.url, method: normalizeMethod(input.method), headers, body },
    range: ranged.range,
    integrity: input.integrity ?? null,
  };
}

/** The result of {@link planRequest}. */
export type RequestPlanResult = RequestPlan | { readonly ok: false; readonly reason: string };

/**
 * {@link planRequest} with a memory of its last accepted plan: a request with the same URL string,
 * method, header lines, body length and `acceptGzip` as the previous one, and no range, resume or
 * integrity option, gets that plan again (with its own body) instead of parsing the URL and
 * building the head again. {@link planRequest} is a pure function of exactly those inputs then, so
 * the answer is the same; refusals are not remembered. A {@link BodySource} body is always planned
 * afresh. It saves about a fifth of the CPU of repeated requests (W2b, the A/B in bench/RESULTS.md).
 *
 * @internal
 */
export class RequestPlanCache {
  #url = "";
  #method: Method | string = -1 as Method;
  #headers: string[] = [];
  #bodyLength = -1;
  #acceptGzip = false;
  #plan: RequestPlan | null = null;

  /**
   * Plans a request, from memory when it equals the last one planned.
   *
   * @param input - As for {@link planRequest}.
   * @returns As {@link planRequest}.
   */
  plan(input: RequestInput): RequestPlanResult {
    const body = input.body;
    const simple =
      body instanceof Uint8Array &&
      input.integrity === undefined &&
      input.range.resumeFrom === undefined &&
      input.range.resumeTo === undefined &&
      input.range.resume !== true;
    if (!simple) return planRequest(input);
    const last = this.#plan;
    if (
      last !== null &&
      input.url === this.#url &&
      input.method === this.#method &&
      body.length === this.#bodyLength &&
      input.acceptGzip === this.#acceptGzip &&
      sameLines(input.customHeaders, this.#headers)
    ) {
      return last.hop.body === body ? last : { ...last, hop: { ...last.hop, body } };
    }
    const planned = planRequest(input);
    if (planned.ok) {
      this.#url = input.url;
      this.#method = input.method;
      this.#headers = input.customHeaders.slice();
      this.#bodyLength = body.length;
      this.#acceptGzip = input.acceptGzip;
      this.#plan = planned;
    }
    return planned;
  }
}
