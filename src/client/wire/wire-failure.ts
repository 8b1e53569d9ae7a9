/**
 * Typed failures of the wire layer: a stable code, a reason for people, and who is at fault — the
 * server (a response that breaks HTTP/1.1) or the caller (a request that may not be sent) — as
 * h11's `RemoteProtocolError` and `LocalProtocolError` do. Callers branch on `code` and `fault`,
 * never on the reason's text.
 *
 * @module
 */

/** Who caused a wire failure: the server that sent a response, or the caller that built a request. */
export type WireFault = "server" | "caller";

/**
 * A failure of the wire layer.
 *
 * @typeParam Code - The stable codes of the layer that reports it.
 */
export interface WireFailure<Code extends string = string> {
  /** A stable code to branch on. */
  readonly code: Code;
  /** What was wrong, for people (not stable). */
  readonly reason: string;
  /** Who is at fault. */
  readonly fault: WireFault;
}

/**
 * The kind of a response error: `truncated` (the connection closed before the message ended),
 * `too-large` (a size or count limit was passed), `length-with-transfer-encoding` (both framings
 * at once, a request-smuggling shape), `unexpected-upgrade` (a `101 Switching Protocols` to a
 * request that asked for no upgrade), or `malformed` (anything else that breaks RFC 9112).
 */
export type ResponseErrorCode = "truncated" | "too-large" | "length-with-transfer-encoding" | "unexpected-upgrade" | "malformed";

/** A response the parser refuses; the server is at fault. */
export type ResponseFailure = WireFailure<ResponseErrorCode>;

/**
 * Why a request may not be sent: `invalid-method`, `invalid-target`, `invalid-host`,
 * `invalid-port`, `invalid-body-length`, `invalid-header` (a malformed line, a control character,
 * a repeated `Host` or `Content-Length`), or `framing-header` (a `Transfer-Encoding` from the caller, or a
 * `Content-Length` that does not match the body: the client frames the message itself).
 */
export type RequestErrorCode =
  | "invalid-method"
  | "invalid-target"
  | "invalid-host"
  | "invalid-port"
  | "invalid-body-length"
  | "invalid-header"
  | "framing-header";

/** A request the writer refuses; the caller is at fault. */
export type RequestFailure = WireFailure<RequestErrorCode>;

/**
 * A response failure.
 *
 * @param reason - What was wrong.
 * @param code - The kind; default `malformed`.
 * @returns The failure, the server at fault.
 */
export function responseFailure(reason: string, code: ResponseErrorCode = "malformed"): ResponseFailure {
  return { code, reason, fault: "server" };
}

/**
 * A request failure.
 *
 * @param code - The kind.
 * @param reason - What was wrong.
 * @returns The failure, the caller at fault.
 */
export function requestFailure(code: RequestErrorCode, reason: string): RequestFailure {
  return { code, reason, fault: "caller" };
}
