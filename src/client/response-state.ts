import type { Exchange, InformationalResponse } from "./exchange.ts";
import { headerFieldsToLines, headersToDictionary } from "./wire/headers.ts";
import type { ResponseErrorCode } from "./wire/response-events.ts";

/**
 * The response side of an {@link HTTPClient}: what the last response said (code, headers,
 * framing, trailers, interim responses) and how much of it has been read. The values stay
 * readable after the connection closes or fails, until the next request or `close()`.
 */
export abstract class HTTPResponseState {
  /**
   * The request and response in progress or last finished.
   *
   * @internal
   */
  protected abstract readonly exchange: Exchange | null;

  /** True once the head of a final response has been received (also when it has no header fields). */
  hasResponse(): boolean {
    return this.exchange?.head != null;
  }

  /** The status code of the last response, or 0. */
  getResponseCode(): number {
    return this.exchange?.head?.statusCode ?? 0;
  }

  /** The header fields of the last response as `"Name: value"` lines, in order, duplicates kept. Not destructive. */
  getResponseHeaders(): string[] {
    return this.exchange?.headerLines.slice() ?? [];
  }

  /**
   * The header fields of the last response as a dictionary with lower-cased names; a name that
   * occurs more than once (Set-Cookie) maps to an array of its values in order. Not destructive.
   *
   * @returns The dictionary.
   */
  getResponseHeadersAsDictionary(): Record<string, string | string[]> {
    return headersToDictionary(this.exchange?.headerLines ?? []);
  }

  /** The trailer fields of the last chunked response, once its body has been read to the end. */
  getResponseTrailers(): string[] {
    return headerFieldsToLines(this.exchange?.trailers ?? []);
  }

  /** The interim (1xx) responses that came before the last final response. */
  getInformationalResponses(): readonly InformationalResponse[] {
    return this.exchange?.interim ?? [];
  }

  /**
   * The length of the body that follows this response's head on the wire, by one rule (the same
   * as `HTTPRequest.getBodySize()`): 0 when the response can have no body (an answer to HEAD, 1xx,
   * 204, 304, a 2xx to CONNECT, `Content-Length: 0`) whatever its headers announce; the
   * `Content-Length` for a length-delimited body; -1 when the length is unknown (chunked or
   * close-delimited), and before a head arrived. Godot returns -1 for a HEAD answer with a
   * `Content-Length` (see docs/differences.md).
   */
  getResponseBodyLength(): number {
    const head = this.exchange?.head;
    if (head == null) return -1;
    return head.framing === "length" || head.framing === "none" ? head.contentLength : -1;
  }

  /** True when the last response uses chunked transfer coding. */
  isResponseChunked(): boolean {
    return this.exchange?.head?.chunked ?? false;
  }

  /** Body bytes handed out so far for the last response (after de-chunking). */
  getResponseBodyBytesRead(): number {
    return this.exchange?.bodyRead ?? 0;
  }

  /** Bytes of the last response taken from the connection so far, head included, as on the wire. 0 means the server sent nothing. */
  getResponseWireBytes(): number {
    return this.exchange?.wireBytes ?? 0;
  }

  /**
   * Why the last response was rejected, as a stable code: `truncated`, `too-large`,
   * `length-with-transfer-encoding` or `malformed`; `""` when the response was fine or the failure
   * was not about its bytes (see `getErrorReason()` for the words).
   */
  getResponseErrorCode(): ResponseErrorCode | "" {
    return this.exchange?.errorCode ?? "";
  }
}
