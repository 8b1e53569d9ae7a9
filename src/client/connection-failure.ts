/**
 * Why an `HTTPClient`'s connection failed, as values rather than words: a stable code, the
 * reason in words, and who is at fault (as h11 separates protocol errors by side).
 *
 * @module
 */

/**
 * What failed:
 * - `cant-resolve`: the host name did not resolve.
 * - `cant-connect`: no TCP connection (or proxy tunnel) could be opened.
 * - `tls-handshake`: the TLS handshake failed (certificate, host name, protocol).
 * - `connection-lost`: the open connection failed or was closed before the response was complete.
 * - `invalid-response`: the server's bytes broke HTTP/1.1 (see `HTTPClient.getResponseErrorCode()`).
 * - `upload-failed`: the caller's body source failed or gave more or fewer bytes than announced.
 * - `internal`: a bug in poll-http itself; the reason names the error it threw.
 */
export type ConnectionFailureCode =
  | "cant-resolve"
  | "cant-connect"
  | "tls-handshake"
  | "connection-lost"
  | "invalid-response"
  | "upload-failed"
  | "internal";

/**
 * Who caused a failure: the `server` (it broke the protocol), the `network` (name resolution,
 * connecting, TLS, a lost connection), the `caller` (what it gave the client, such as a body source
 * that failed), or the `library` (a bug in poll-http).
 */
export type Fault = "server" | "network" | "caller" | "library";

/** A failure of an `HTTPClient`'s connection. */
export interface ConnectionFailure {
  /** What failed. */
  readonly code: ConnectionFailureCode;
  /** Who caused it. */
  readonly fault: Fault;
  /** The reason in words, with the underlying cause (e.g. Node's error code); as `getErrorReason()`. */
  readonly reason: string;
}

const FAULTS: { readonly [code in ConnectionFailureCode]: Fault } = {
  "cant-resolve": "network",
  "cant-connect": "network",
  "tls-handshake": "network",
  "connection-lost": "network",
  "invalid-response": "server",
  "upload-failed": "caller",
  internal: "library",
};

/**
 * A failure with the fault its code implies.
 *
 * @param code - What failed.
 * @param reason - Why, in words.
 * @returns The failure.
 * @internal
 */
export function connectionFailure(code: ConnectionFailureCode, reason: string): ConnectionFailure {
  return { code, fault: FAULTS[code], reason };
}

/**
 * The failure for an error a poll-http method threw: a bug, never a network fault.
 *
 * @param error - What was thrown.
 * @returns An `internal` failure whose reason names the error.
 * @internal
 */
export function internalFailure(error: unknown): ConnectionFailure {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return connectionFailure("internal", `internal error (a bug in poll-http, please report it): ${detail}`);
}
