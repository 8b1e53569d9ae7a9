import { createFetch, type FetchFunction } from "./create-fetch.ts";
import type { FetchRequestInit } from "./fetch-init.ts";

let shared: FetchFunction | null = null;

/**
 * `fetch()` with the standard signature over this library's engine, driving a tree of its own: an
 * as-fast-as-possible `TreeRunner` starts with the first request and stops when no request needs
 * ticks (none in flight, or every one waiting for the application to read its body), so a script
 * whose only work is `await fetch(url)` exits by itself. Kept-alive connections are reused by later
 * calls and never keep the process alive. See {@link createFetch} for the semantics, and
 * `createFetch({ tree })` to run the requests in a game loop's own tree.
 *
 * @example
 * ```ts
 * import { fetch } from "poll-http";
 * const res = await fetch("https://example.com/data.json");
 * console.log(res.status, await res.json());
 * ```
 *
 * @param input - A URL string, `URL` or `Request`.
 * @param init - Fetch's `RequestInit`, plus `pollHttp`.
 * @returns The response, once its head arrived.
 */
export function fetch(input: string | URL | Request, init?: FetchRequestInit): Promise<Response> {
  shared ??= createFetch();
  return shared(input, init);
}
