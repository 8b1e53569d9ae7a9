// The exit statuses of `poll-http`: 0, 1 and 2 as most tools use them, 22 for `-f` as curl, and
// 10 + N for each Result N (except RESULT_REDIRECT_LIMIT_REACHED, 47 as curl, since 22 is `-f`'s).
import { Result, resultName } from "../index.ts";

/** Exit statuses that are not a `Result`. */
export const ExitStatus = {
  /** The request completed (`RESULT_SUCCESS`), whatever the HTTP status code (as curl without `-f`). */
  SUCCESS: 0,
  /** A local problem: a file named on the command line cannot be read, or standard output cannot be written. */
  LOCAL_ERROR: 1,
  /** The command line is wrong, or the library refused the request it describes (a bad URL or header). */
  USAGE: 2,
  /** Added to a failed request's `Result` value: `RESULT_TIMEOUT` (13) exits with 23. */
  RESULT_BASE: 10,
  /** `-f`/`--fail` and an HTTP status of 400 or more: curl's 22. */
  HTTP_ERROR: 22,
  /** `RESULT_REDIRECT_LIMIT_REACHED` (12): curl's 47 ("too many redirects"), since 10 + 12 is `-f`'s 22. */
  REDIRECT_LIMIT: 47,
  /** Interrupted by SIGINT (Ctrl-C): 128 + 2, as shells report it. */
  INTERRUPTED: 130,
} as const;

/** What each failed `Result` means on the command line. */
const MEANING: Readonly<Record<Exclude<Result, 0>, string>> = {
  [Result.RESULT_CHUNKED_BODY_SIZE_MISMATCH]: "the response framing was contradictory",
  [Result.RESULT_CANT_CONNECT]: "no address of the host (or proxy) accepted a connection",
  [Result.RESULT_CANT_RESOLVE]: "the host name could not be resolved",
  [Result.RESULT_CONNECTION_ERROR]: "the connection failed, the response was malformed or cut short",
  [Result.RESULT_TLS_HANDSHAKE_ERROR]: "the TLS handshake or certificate verification failed",
  [Result.RESULT_NO_RESPONSE]: "the server closed the connection without a response",
  [Result.RESULT_BODY_SIZE_LIMIT_EXCEEDED]: "the body exceeded --max-filesize",
  [Result.RESULT_BODY_DECOMPRESS_FAILED]: "the compressed body could not be decoded",
  [Result.RESULT_REQUEST_FAILED]: "the request could not be sent or a redirect not followed",
  [Result.RESULT_DOWNLOAD_FILE_CANT_OPEN]: "the -o file could not be opened for writing",
  [Result.RESULT_DOWNLOAD_FILE_WRITE_ERROR]: "writing the -o file failed",
  [Result.RESULT_REDIRECT_LIMIT_REACHED]: "more redirects than --max-redirects",
  [Result.RESULT_TIMEOUT]: "--timeout seconds passed",
};

/**
 * The exit status for a request's outcome.
 *
 * @param result - The `Result` of `requestCompleted`.
 * @returns 0 for `RESULT_SUCCESS`, 47 for `RESULT_REDIRECT_LIMIT_REACHED`, otherwise 10 + the
 * result's value (11 … 21, 23).
 */
export function exitStatusForResult(result: Result): number {
  if (result === Result.RESULT_SUCCESS) return ExitStatus.SUCCESS;
  return result === Result.RESULT_REDIRECT_LIMIT_REACHED ? ExitStatus.REDIRECT_LIMIT : ExitStatus.RESULT_BASE + result;
}

/**
 * Every exit status with its meaning, in order, for `--help` and the documentation.
 *
 * @returns `[status, meaning]` pairs.
 */
export function exitStatusTable(): Array<[status: number, meaning: string]> {
  const rows: Array<[number, string]> = [
    [ExitStatus.SUCCESS, "the request completed (any HTTP status; RESULT_SUCCESS)"],
    [ExitStatus.LOCAL_ERROR, "a file given on the command line cannot be read, or standard output cannot be written"],
    [ExitStatus.USAGE, "usage error, or the request was refused (bad URL, method or header)"],
  ];
  for (const value of Object.values(Result)) {
    if (value !== Result.RESULT_SUCCESS) rows.push([exitStatusForResult(value), `${resultName(value)}: ${MEANING[value]}`]);
  }
  rows.push([ExitStatus.HTTP_ERROR, "with -f: the server answered with an HTTP status of 400 or more (nothing was written)"]);
  rows.sort((a, b) => a[0] - b[0]);
  rows.push([ExitStatus.INTERRUPTED, "interrupted (SIGINT); a download's target file is left as it was"]);
  return rows;
}
