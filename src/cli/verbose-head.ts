// The request head `-v` shows: written by the library's own head writer from the same inputs as
// the request, so it is the head the first connection sends.
import { hasHeader, parseHttpUrl, methodVerb, writeRequestHead } from "../index.ts";
import type { PreparedRequest } from "./request-setup.ts";

/**
 * The lines of the first request's head (request line and header lines, without CRLF), as
 * `HTTPRequest.request()` sends them to an origin, in the writer's order: `Host`, the caller's
 * headers, `Accept-Encoding` when `acceptGzip` adds it, and what else the writer adds
 * (`Content-Length`, `User-Agent`, `Accept`). Through a proxy the request line carries the
 * absolute URL instead (not shown).
 *
 * @param request - The prepared request.
 * @param acceptGzip - The node's `acceptGzip`.
 * @returns The lines, or a single note when the head cannot be written (the request is refused then anyway).
 */
export function requestHeadLines(request: PreparedRequest, acceptGzip: boolean): string[] {
  const parsed = parseHttpUrl(request.url);
  if (!parsed.ok) return [`(no request head: ${parsed.reason})`];
  const { url } = parsed;
  const headers = [...request.headers];
  if (acceptGzip && !hasHeader(headers, "accept-encoding")) headers.push("Accept-Encoding: gzip, deflate");
  const head = writeRequestHead({
    method: methodVerb(request.method) ?? "GET",
    target: url.path,
    host: url.host,
    port: url.port,
    tls: url.scheme === "https",
    headers,
    bodyLength: request.body.length,
  });
  if (!head.ok) return [`(no request head: ${head.reason})`];
  return new TextDecoder()
    .decode(head.bytes)
    .split("\r\n")
    .filter((line) => line !== "");
}
