import { nameLookup } from "./enum-name.ts";

/**
 * Connection states of an {@link HTTPClient}, with Godot 4's names and numeric values.
 *
 * `STATUS_CANT_RESOLVE`, `STATUS_CANT_CONNECT`, `STATUS_CONNECTION_ERROR` and
 * `STATUS_TLS_HANDSHAKE_ERROR` are terminal: call `connectToHost()` again to start over.
 */
export const Status = {
  /** Idle, closed, or the server closed the connection after a close-delimited body. */
  STATUS_DISCONNECTED: 0,
  /** Resolving the host name. */
  STATUS_RESOLVING: 1,
  /** The host name could not be resolved. Terminal. */
  STATUS_CANT_RESOLVE: 2,
  /** Opening the TCP connection, the proxy tunnel or the TLS handshake. */
  STATUS_CONNECTING: 3,
  /** No address of the host accepted a connection. Terminal. */
  STATUS_CANT_CONNECT: 4,
  /** Connected and idle: a request may be sent. */
  STATUS_CONNECTED: 5,
  /** Sending the request or waiting for the response head. */
  STATUS_REQUESTING: 6,
  /** The response head has arrived; the body is read with `readResponseBodyChunk()`. */
  STATUS_BODY: 7,
  /** The connection failed or the response was malformed. Terminal. */
  STATUS_CONNECTION_ERROR: 8,
  /** The TLS handshake failed (certificate, host name, protocol). Terminal. */
  STATUS_TLS_HANDSHAKE_ERROR: 9,
} as const;

/** A value of {@link Status}. */
export type Status = (typeof Status)[keyof typeof Status];

const statusNames = nameLookup(Status);

/**
 * Returns the name of a {@link Status} value, e.g. `"STATUS_BODY"` for 7.
 *
 * @param value - A status value.
 * @returns The member name, or `"UNKNOWN(<value>)"` for a number that is not a status.
 */
export function statusName(value: number): string {
  return statusNames(value) ?? `UNKNOWN(${value})`;
}
