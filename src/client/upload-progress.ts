import { HTTPResponseState } from "./response-state.ts";

/**
 * The request-body side of an {@link HTTPClient}: how much of the last request's body has been
 * sent. The values stay readable after the request ends or fails, until the next request or
 * `close()`.
 */
export abstract class HTTPUploadProgress extends HTTPResponseState {
  /**
   * Body bytes of the current (or last) request accepted by the connection so far, without chunk
   * framing. With a {@link BodySource} this grows across polls as the connection takes the body;
   * it stops when the server answers early or the request fails.
   *
   * @returns The byte count; 0 before any request.
   */
  getRequestBodyBytesSent(): number {
    return this.exchange?.upload?.getBytesSent() ?? 0;
  }

  /**
   * The body length of the current (or last) request: the in-memory body's size, the source's
   * length, or the `Content-Length` the caller gave.
   *
   * @returns The length in bytes; -1 when unknown (a source sent chunked); 0 without a body or request.
   */
  getRequestBodyLength(): number {
    return this.exchange?.upload?.length ?? 0;
  }
}
