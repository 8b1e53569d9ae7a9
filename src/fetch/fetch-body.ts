/**
 * `RequestInit.body` as an `HTTPRequest` body, with the `Content-Type` Fetch gives it when the
 * caller sets none: a string (UTF-8, `text/plain;charset=UTF-8`), an `ArrayBuffer` or view (copied,
 * as Fetch does), a `Blob` (its `type`), `FormData` (`multipart/form-data`, files with their name
 * and type, built by {@link createMultipartBody}), `URLSearchParams`
 * (`application/x-www-form-urlencoded;charset=UTF-8`), or a `ReadableStream` (sent chunked; Fetch
 * requires `duplex: "half"` with it).
 *
 * @module
 */
import type { BodySource } from "../client/body-source.ts";
import { createMultipartBody, type MultipartPart } from "../request-node/multipart.ts";
import type { FetchBodyInit } from "./fetch-init.ts";
import { StreamUpload } from "./stream-upload.ts";

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** A body ready to send. */
export interface ExtractedBody {
  /** The bytes or the source to send. */
  readonly body: Uint8Array | BodySource;
  /** The `Content-Type` Fetch sets for this kind of body, or null. */
  readonly contentType: string | null;
  /** For a `ReadableStream` body: the pump feeding `body`. */
  readonly upload: StreamUpload | null;
}

/** No body. */
export const NO_BODY: ExtractedBody = { body: EMPTY, contentType: null, upload: null };

/**
 * Extracts a body that needs no waiting (everything but `Blob` and `FormData`).
 *
 * @param body - The body as given.
 * @returns The body, or null when it must be extracted with {@link extractBodyAsync}.
 * @throws TypeError for a `ReadableStream` that is locked or already read.
 * @internal
 */
export function extractBody(body: FetchBodyInit | null | undefined): ExtractedBody | null {
  if (body === undefined || body === null) return NO_BODY;
  if (typeof body === "string") return { body: encoder.encode(body), contentType: "text/plain;charset=UTF-8", upload: null };
  if (body instanceof Uint8Array) return { body: body.slice(), contentType: null, upload: null };
  if (body instanceof ArrayBuffer) return { body: new Uint8Array(body.slice(0)), contentType: null, upload: null };
  if (ArrayBuffer.isView(body)) {
    return { body: new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)), contentType: null, upload: null };
  }
  if (body instanceof URLSearchParams) {
    return { body: encoder.encode(body.toString()), contentType: "application/x-www-form-urlencoded;charset=UTF-8", upload: null };
  }
  if (body instanceof ReadableStream) {
    if (body.locked) throw new TypeError("Response body object should not be disturbed or locked");
    const upload = new StreamUpload(body as ReadableStream<Uint8Array>);
    return { body: upload.source, contentType: null, upload };
  }
  if (body instanceof Blob || body instanceof FormData) return null;
  if (isIterable(body)) {
    const upload = new StreamUpload(ReadableStream.from(body));
    return { body: upload.source, contentType: null, upload };
  }
  return { body: encoder.encode(String(body)), contentType: "text/plain;charset=UTF-8", upload: null };
}

/**
 * True for an iterable or async iterable body (sent as a stream).
 *
 * @param body - The body.
 * @returns Whether it is one.
 * @internal
 */
export function isIterable(body: unknown): body is Iterable<Uint8Array> | AsyncIterable<Uint8Array> {
  return typeof body === "object" && body !== null && (Symbol.asyncIterator in body || Symbol.iterator in body);
}

/**
 * Extracts a `Blob` or `FormData` body (their bytes are read first).
 *
 * @param body - The body.
 * @returns The body.
 * @throws TypeError when the multipart body cannot be built.
 * @internal
 */
export async function extractBodyAsync(body: Blob | FormData): Promise<ExtractedBody> {
  if (body instanceof Blob) {
    return { body: new Uint8Array(await body.arrayBuffer()), contentType: body.type === "" ? null : body.type, upload: null };
  }
  const parts: MultipartPart[] = [];
  for (const [name, value] of body) {
    if (typeof value === "string") {
      parts.push({ name, data: value });
    } else {
      parts.push({
        name,
        remoteFileName: value.name,
        contentType: value.type === "" ? "application/octet-stream" : value.type,
        data: new Uint8Array(await value.arrayBuffer()),
      });
    }
  }
  const built = createMultipartBody(parts);
  if (!built.ok) throw new TypeError(`cannot encode the FormData body: ${built.reason}`);
  return { body: built.body, contentType: built.contentType, upload: null };
}
