import { nameLookup } from "./enum-name.ts";

/** The outcome of an `HTTPRequest`, passed first to `requestCompleted`. Godot 4's names and values. */
export const Result = {
  /** The request completed; the response may still be an HTTP error status. */
  RESULT_SUCCESS: 0,
  /** A chunked body's length did not match a `Content-Length` that came with it. */
  RESULT_CHUNKED_BODY_SIZE_MISMATCH: 1,
  /** No address of the host accepted a connection. */
  RESULT_CANT_CONNECT: 2,
  /** The host name could not be resolved. */
  RESULT_CANT_RESOLVE: 3,
  /** The connection failed, the response was malformed, or the body was cut short. */
  RESULT_CONNECTION_ERROR: 4,
  /** The TLS handshake failed. */
  RESULT_TLS_HANDSHAKE_ERROR: 5,
  /** The server closed the connection without sending a response. */
  RESULT_NO_RESPONSE: 6,
  /** The body exceeded `bodySizeLimit` (counted after decompression). */
  RESULT_BODY_SIZE_LIMIT_EXCEEDED: 7,
  /** The compressed body could not be decoded. */
  RESULT_BODY_DECOMPRESS_FAILED: 8,
  /** The request could not be sent. */
  RESULT_REQUEST_FAILED: 9,
  /** `downloadFile` could not be opened for writing. */
  RESULT_DOWNLOAD_FILE_CANT_OPEN: 10,
  /** Writing to `downloadFile` failed. */
  RESULT_DOWNLOAD_FILE_WRITE_ERROR: 11,
  /** More redirects than `maxRedirects` allows. */
  RESULT_REDIRECT_LIMIT_REACHED: 12,
  /** `timeout` seconds passed before the request completed. */
  RESULT_TIMEOUT: 13,
} as const;

/** A value of {@link Result}. */
export type Result = (typeof Result)[keyof typeof Result];

const resultNames = nameLookup(Result);

/**
 * Returns the name of a {@link Result} value, e.g. `"RESULT_TIMEOUT"` for 13.
 *
 * @param value - A result value.
 * @returns The member name, or `"UNKNOWN(<value>)"` for a number that is not a result.
 */
export function resultName(value: number): string {
  return resultNames(value) ?? `UNKNOWN(${value})`;
}
