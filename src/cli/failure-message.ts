// The one-line cause printed for a failed request, in the terms of the command line where the
// library's reason speaks of its own settings or passes OpenSSL's text on.
import { Result, parseHttpUrl } from "../index.ts";
import type { CliOptions } from "./args.ts";

/**
 * Node's TLS error codes for a server that answered the handshake with something that is not TLS
 * (typically an HTTP response from a plain-HTTP port). The library's reason carries Node's code.
 */
const NOT_TLS_CODES: readonly string[] = [
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "ERR_SSL_PACKET_LENGTH_TOO_LONG",
  "ERR_SSL_HTTP_REQUEST",
  "ERR_SSL_RECORD_LAYER_FAILURE",
];

/**
 * Words for a failed request: the library's reason, except where the command line has better ones.
 *
 * - `RESULT_BODY_SIZE_LIMIT_EXCEEDED` names `--max-filesize` and its size (the library names its
 *   `bodySizeLimit`).
 * - A TLS handshake answered by something that is not TLS says the port looks like plain HTTP and
 *   suggests the `http://` URL; other TLS failures keep Node's code and drop OpenSSL's internal
 *   error string after it.
 *
 * @param result - The request's `Result`.
 * @param reason - `HTTPRequest.getErrorReason()`.
 * @param options - The command line.
 * @returns One line, without the result name.
 */
export function failureMessage(result: Result, reason: string, options: Pick<CliOptions, "url" | "maxFilesize">): string {
  const line = reason.replace(/\s*[\r\n]+\s*/g, " ").trim();
  if (result === Result.RESULT_BODY_SIZE_LIMIT_EXCEEDED && options.maxFilesize !== null) {
    return `the body is larger than --max-filesize allows (${options.maxFilesize} bytes, counted after decompression)`;
  }
  if (result === Result.RESULT_TLS_HANDSHAKE_ERROR) {
    const parsed = parseHttpUrl(options.url);
    if (parsed.ok && NOT_TLS_CODES.some((code) => line.includes(code))) {
      const { host, port } = parsed.url;
      const plain = options.url.replace(/^https:/i, "http:");
      return `${host}:${port} did not answer in TLS: it looks like a plain-HTTP port (try ${plain})`;
    }
    return line.replace(/\b(ERR_SSL_[A-Z0-9_]+): [0-9A-F]+:error:[^ ]*.*$/, "$1");
  }
  return line || "request failed";
}
