import { sameLines } from "./headers.ts";
import { type RequestHeadOptions, type RequestHeadResult, writeRequestHead } from "./request-writer.ts";

/**
 * {@link writeRequestHead} with a memory of the last head written: a request with the same
 * method, target, host, port, TLS flag, body framing and header lines as the previous one gets
 * the same bytes back without validating and encoding them again (the repeated requests of a
 * keep-alive connection). Refusals are not remembered. The returned bytes are shared between
 * such requests and must not be modified.
 */
export class RequestHeadCache {
  private last: RequestHeadOptions | null = null;
  private lastHeaders: string[] = [];
  private lastResult: RequestHeadResult | null = null;

  /**
   * The head for `options`, from memory when they equal the last successful call's.
   *
   * @param options - as for {@link writeRequestHead}
   * @returns the head bytes, or why the request is refused
   */
  write(options: RequestHeadOptions): RequestHeadResult {
    const last = this.last;
    if (last !== null && this.lastResult !== null && sameRequest(last, this.lastHeaders, options)) return this.lastResult;
    const result = writeRequestHead(options);
    if (result.ok) {
      this.last = { ...options, headers: [] };
      this.lastHeaders = options.headers.slice();
      this.lastResult = result;
    }
    return result;
  }
}

function sameRequest(a: RequestHeadOptions, aHeaders: readonly string[], b: RequestHeadOptions): boolean {
  if (
    a.method !== b.method ||
    a.target !== b.target ||
    a.host !== b.host ||
    a.port !== b.port ||
    a.tls !== b.tls ||
    a.bodyLength !== b.bodyLength ||
    (a.chunked === true) !== (b.chunked === true)
  )
    return false;
  return sameLines(b.headers, aHeaders);
}
