import type { Result } from "../status/result.ts";
import { concatBytes } from "../client/wire/bytes.ts";

/** The arguments of `requestCompleted`: result, response code, headers, body. */
export type RequestCompletedArgs = [result: Result, responseCode: number, headers: string[], body: Uint8Array];

/**
 * What one tick of an `HTTPRequest` has to emit, collected while the tick runs and emitted at its
 * end in a fixed order — headers, redirect, body data, download progress, upload progress,
 * retrying, completion — each at most once.
 *
 * @internal
 */
export class TickEmissions {
  /** `headersReceived` arguments, when a final response head arrived this tick. */
  headers: [code: number, headers: string[]] | null = null;
  /** `redirectReceived` arguments, when a redirect waits for `followRedirect()`. */
  redirect: [code: number, method: string, url: string, headers: string[]] | null = null;
  /**
   * Decoded body pieces of this tick, for `bodyData`. They may be views into the connection's
   * receive memory, valid until the client's next `poll()`: the tick emits them before that.
   */
  readonly data: Uint8Array[] = [];
  /** `downloadProgress` arguments, when bytes arrived this tick. */
  download: [received: number, total: number] | null = null;
  /** `uploadProgress` arguments, when request body bytes went out this tick. */
  upload: [sent: number, total: number] | null = null;
  /** `retrying` arguments, when an attempt ended this tick and another one follows. */
  retrying: [attempt: number, delay: number, reason: string] | null = null;
  /** `requestCompleted` arguments, when the request ended this tick. */
  completion: RequestCompletedArgs | null = null;

  /** Forgets everything collected, to collect another tick. */
  clear(): void {
    this.headers = null;
    this.redirect = null;
    this.data.length = 0;
    this.download = null;
    this.upload = null;
    this.retrying = null;
    this.completion = null;
  }

  /** True when there is something to emit. */
  isEmpty(): boolean {
    return (
      this.headers === null &&
      this.redirect === null &&
      this.data.length === 0 &&
      this.download === null &&
      this.upload === null &&
      this.retrying === null &&
      this.completion === null
    );
  }

  /** The body pieces of this tick joined into a new array, which the receiver may keep. */
  takeData(): Uint8Array {
    const pieces = this.data.splice(0);
    // Uint8Array's slice copies (a Buffer's slice would be a view into reused receive memory).
    return pieces.length === 1 ? Uint8Array.prototype.slice.call(pieces[0] as Uint8Array) : concatBytes(pieces);
  }
}
