import type { BodySource } from "./body-source.ts";
import { BytesSource } from "./bytes-source.ts";
import { Upload } from "./upload.ts";
import { fieldValue, hasField } from "./wire/headers.ts";

const encoder = new TextEncoder();
/** Why a caller's Transfer-Encoding is refused (the same words as the head writer's). */
const CALLER_TRANSFER_ENCODING =
  "a Transfer-Encoding header may not be given: the client frames the body itself (Content-Length, or chunked for a streamed body of unknown length)";
/** The plan of every empty in-memory body. */
const NO_BODY: RequestBodyPlan = Object.freeze({ ok: true, headLength: 0, chunked: false, length: 0, start: null });

/**
 * How a request body goes on the wire: what to tell the head writer (`bodyLength`, `chunked`),
 * the length reported as progress, and a function that starts the upload once the head is
 * accepted (null for an empty in-memory body). Or why the request must be refused.
 *
 * @internal
 */
export type RequestBodyPlan =
  | {
      readonly ok: true;
      /** The `bodyLength` for `writeRequestHead`: the Content-Length to add, or -1. */
      readonly headLength: number;
      /** True when the head must announce `Transfer-Encoding: chunked`. */
      readonly chunked: boolean;
      /** The body length for progress, -1 when unknown. */
      readonly length: number;
      /** Starts the upload; null when there is nothing to send. */
      readonly start: (() => Upload) | null;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Decides the framing of a request body. The client owns message framing: a caller's
 * `Transfer-Encoding` is refused for every body, here for a {@link BodySource} (before its length
 * is looked at), by `writeRequestHead` for an in-memory body.
 *
 * In-memory bodies (`string`, `Uint8Array`) are sent with `Content-Length` (a caller's
 * `Content-Length` must match it).
 *
 * A {@link BodySource} is framed from its length and the caller's headers:
 * - the caller's `Content-Length`: that length, which a source of known length must match and a
 *   source of unknown length must then yield exactly;
 * - otherwise: `Content-Length` for a known length, `Transfer-Encoding: chunked` for -1.
 *
 * @param headers - The caller's header lines.
 * @param body - The body.
 * @returns The plan, or a refusal.
 * @internal
 */
export function planRequestBody(headers: readonly string[], body: string | Uint8Array | BodySource): RequestBodyPlan {
  if (typeof body === "string" || body instanceof Uint8Array) {
    if (body.length === 0) return NO_BODY;
    const bytes = typeof body === "string" ? encoder.encode(body) : body;
    const start = bytes.length === 0 ? null : (): Upload => new Upload(new BytesSource(bytes), { chunked: false, length: bytes.length });
    return { ok: true, headLength: bytes.length, chunked: false, length: bytes.length, start };
  }
  return planSourceBody(headers, body);
}

/** {@link planRequestBody} for a {@link BodySource}. */
function planSourceBody(headers: readonly string[], body: BodySource): RequestBodyPlan {
  if (hasField(headers, "transfer-encoding")) return refuse(CALLER_TRANSFER_ENCODING);
  const declared = body.length;
  if (!Number.isSafeInteger(declared) || declared < -1) return refuse(`the body source has an invalid length ${String(declared)}`);
  const userLength = fieldValue(headers, "content-length");
  let chunked: boolean;
  let length = declared;
  if (userLength !== undefined) {
    if (!/^[0-9]{1,15}$/.test(userLength)) return refuse(`invalid Content-Length header "${userLength}"`);
    const value = Number(userLength);
    if (declared >= 0 && value !== declared) {
      return refuse(`the Content-Length header (${value}) does not match the body source's length (${declared})`);
    }
    chunked = false;
    length = value;
  } else {
    chunked = declared < 0;
  }
  const framing = { chunked, length };
  return {
    ok: true,
    headLength: chunked ? -1 : length,
    chunked,
    length,
    start: () => new Upload(body, framing),
  };
}

function refuse(reason: string): RequestBodyPlan {
  return { ok: false, reason };
}
