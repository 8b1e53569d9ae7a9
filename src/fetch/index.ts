export { createFetch, type CreateFetchOptions, type FetchFunction } from "./create-fetch.ts";
export { fetch } from "./default-fetch.ts";
export { FetchFailure } from "./fetch-failure.ts";
export type { FetchRequestInit, FetchHeadersInit, FetchBodyInit } from "./fetch-init.ts";
export type { PollHttpInit, FetchProxy } from "./poll-http-init.ts";
