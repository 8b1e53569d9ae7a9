import { Err } from "../status/err.ts";
import { type Result, resultName } from "../status/result.ts";

/**
 * Why a `fetch()` of this library failed at the network level: the `cause` of the `TypeError` it
 * rejects with (Fetch rejects every network error with a bare `TypeError("fetch failed")`, as
 * Node's own `fetch` does; the details are here). Typed from the engine's {@link Result}, never
 * from message text.
 *
 * @example
 * ```ts
 * try {
 *   await fetch("http://127.0.0.1:9/");
 * } catch (error) {
 *   if (error instanceof TypeError && error.cause instanceof FetchFailure) console.log(error.cause.resultName); // "RESULT_CANT_CONNECT"
 * }
 * ```
 */
export class FetchFailure extends Error {
  /** The engine's result for the request, e.g. `Result.RESULT_CANT_CONNECT`. */
  readonly result: Result;
  /** The name of {@link FetchFailure.result}, e.g. `"RESULT_CANT_CONNECT"`. */
  readonly resultName: string;
  /** The engine's reason (`HTTPRequest.getErrorReason()`), with the underlying cause (e.g. `ECONNREFUSED`). */
  readonly reason: string;
  /** The status code of the response that was being received when it failed, or 0 when none had arrived. */
  readonly responseCode: number;
  /**
   * `Err.OK` when the request was sent and failed; `Err.ERR_BUSY` when the request pool refused it
   * because its queue was full (`maxQueued`), with {@link FetchFailure.result} `RESULT_REQUEST_FAILED`
   * and nothing sent: it can be tried again once others finished.
   */
  readonly err: Err;

  /**
   * @param result - The engine's result.
   * @param reason - Why.
   * @param responseCode - The response's status code, or 0.
   * @param err - `Err.OK`, or why the request pool refused the request.
   */
  constructor(result: Result, reason: string, responseCode: number, err: Err = Err.OK) {
    super(`${resultName(result)}${reason === "" ? "" : `: ${reason}`}`);
    this.name = "FetchFailure";
    this.result = result;
    this.resultName = resultName(result);
    this.reason = reason;
    this.responseCode = responseCode;
    this.err = err;
  }
}

/**
 * The error a failed fetch rejects with (or a response body errors with): a `TypeError` whose
 * `cause` is a {@link FetchFailure}.
 *
 * @param result - The engine's result.
 * @param reason - Why.
 * @param responseCode - The response's status code, or 0.
 * @returns The error.
 * @internal
 */
export function networkError(result: Result, reason: string, responseCode: number): TypeError {
  return new TypeError("fetch failed", { cause: new FetchFailure(result, reason, responseCode) });
}
