import type { Network } from "../client/network.ts";
import type { AuthLoginHandler } from "../request-node/auth-login.ts";
import type { CookieJar } from "../session/cookie-jar.ts";
import type { HTTPCache } from "../session/http-cache.ts";
import { createIntegrityCheck } from "../request-node/integrity.ts";
import { HTTPRequestPool } from "../request-node/pool/request-pool.ts";
import { SceneTree } from "../request-node/scene-tree.ts";
import { TreeRunner } from "../request-node/runner.ts";
import { extractBody, extractBodyAsync, isIterable, type ExtractedBody } from "./fetch-body.ts";
import { FetchExchange, type FetchActivity } from "./fetch-exchange.ts";
import { hasHeaderLine, headerLines } from "./fetch-headers.ts";
import type { FetchBodyInit, FetchRequestInit } from "./fetch-init.ts";
import { normalizeFetchMethod } from "./fetch-method.ts";
import { poolOptionsOf, RESPONSE_HIGH_WATER_MARK } from "./poll-http-init.ts";
import type { PoolRequestOptions } from "../request-node/pool/pool-options.ts";

/** A `fetch()` function of this library: the standard signature, with {@link FetchRequestInit}. */
export type FetchFunction = (input: string | URL | Request, init?: FetchRequestInit) => Promise<Response>;

/** Options of {@link createFetch}. */
export interface CreateFetchOptions {
  /**
   * The tree whose nodes carry the requests. The caller ticks it (`tree.process(delta)` each frame,
   * or a `TreeRunner`): requests advance only then, and each promise settles at the end of the tick
   * that finished it. The fetch adds a request pool of its own under the tree's root. With
   * {@link CreateFetchOptions.pool}, the requests run in that pool's tree and `tree` is not used.
   * Without a tree or a pool, the fetch drives a tree of its own with an as-fast-as-possible
   * `TreeRunner` that runs only while a request needs ticks.
   */
  readonly tree?: SceneTree;
  /**
   * The request pool that queues and runs the requests, placed by the caller in the tree they tick
   * and shared with their own `pool.request()` calls: fetches and direct requests share its
   * connections, its limits (`maxConnectionsPerOrigin`, `maxConnections`, `maxQueued`), its frame
   * budget and its settings (timeout, TLS options, proxies, … where `init.pollHttp` does not say).
   * Default: a pool of its own with the default limits (6 connections per origin).
   */
  readonly pool?: HTTPRequestPool;
  /** How the fetch's own pool resolves and connects (e.g. a `ScriptedNetwork`); default Node's. Not with `pool` (a pool has its network). */
  readonly network?: Network;
  /**
   * The cookie jar of the fetch's own pool (`HTTPRequestPool.cookieJar`); without one, the tree's
   * `cookieJar`, and with neither no cookie is stored or sent. `init.credentials` says which hops
   * use it. Not with `pool`: attach it to that pool.
   */
  readonly cookieJar?: CookieJar;
  /**
   * The HTTP cache of the fetch's own pool (`HTTPRequestPool.httpCache`); without one, the tree's
   * `httpCache`, and with neither nothing is cached. `init.cache` says how it is used. Not with
   * `pool`: attach it to that pool.
   */
  readonly httpCache?: HTTPCache;
  /**
   * Answers a server's 401 with credentials, for the hops `init.credentials` allows (the own pool's
   * `authLoginHandler`); without one a 401 is the response. Not with `pool`: set it on that pool.
   */
  readonly authLoginHandler?: AuthLoginHandler;
}

const REDIRECTS = new Set(["follow", "error", "manual"]);
const CACHES = new Set(["default", "no-store", "reload", "no-cache", "force-cache", "only-if-cached"]);
const CREDENTIALS = new Set(["omit", "same-origin", "include"]);
const MODES = new Set(["cors", "no-cors", "same-origin"]);
const PRIORITIES = new Set(["high", "low", "auto"]);

/**
 * Makes a `fetch()` over an `HTTPRequestPool`: `input` a URL string, `URL` or `Request`, `init` a
 * {@link FetchRequestInit}. Each fetch is a request of the pool, queued by `init.priority`
 * (`"high"`, `"auto"`, `"low"`: the pool's 750, 500, 250) and run within the pool's limits (6
 * connections per origin by default) on its kept-alive connections; `init.signal` cancels it,
 * queued or running; a full queue rejects with a `TypeError` whose `cause` is a {@link FetchFailure}
 * with `err` `ERR_BUSY`. It resolves with the runtime's own `Response` whose `body` is fed tick by
 * tick, with back-pressure down to the connection (`PoolRequest.setBodyPaused`), and `status`,
 * `statusText` (the standard phrase of the code: the engine does not keep the server's own words),
 * `headers`, `url`, `redirected` and `type` (`"basic"`) set. A network failure rejects with a
 * `TypeError("fetch failed")` whose `cause` is a {@link FetchFailure}.
 *
 * @example
 * ```ts
 * declare function load(level: unknown): void;
 * declare const delta: number;
 * const tree = new SceneTree();
 * const fetch = createFetch({ tree });
 * fetch("http://127.0.0.1:8080/level.json").then(async (res) => load(await res.json()));
 * // each frame:
 * tree.process(delta);
 * ```
 *
 * @example Sharing a pool with the game's own requests
 * ```ts
 * declare const tree: SceneTree;
 * const pool = new HTTPRequestPool({ maxConnectionsPerOrigin: 4 });
 * tree.root.addChild(pool);
 * const fetch = createFetch({ tree, pool });
 * pool.request("http://127.0.0.1:8080/atlas.png"); // the same four connections
 * const res = await fetch("http://127.0.0.1:8080/scores", { priority: "high" });
 * ```
 *
 * @param options - The tree, or the pool, and the network.
 * @returns The fetch function.
 * @throws TypeError when given `pool` with `network`, `cookieJar`, `httpCache` or `authLoginHandler`.
 */
export function createFetch(options: CreateFetchOptions = {}): FetchFunction {
  let pool = options.pool;
  let activity: FetchActivity = { busy() {}, idle() {} };
  if (pool !== undefined) {
    if (options.network !== undefined) throw new TypeError("createFetch: network is the fetch's own pool's; a given pool has its own");
    if (options.cookieJar !== undefined || options.httpCache !== undefined || options.authLoginHandler !== undefined) {
      throw new TypeError("createFetch: cookieJar, httpCache and authLoginHandler are the fetch's own pool's; set them on the given pool");
    }
  } else {
    let tree = options.tree;
    if (tree === undefined) {
      tree = new SceneTree();
      activity = runnerActivity(tree);
    }
    pool = new HTTPRequestPool(options.network === undefined ? { name: "fetch" } : { network: options.network, name: "fetch" });
    pool.cookieJar = options.cookieJar ?? null;
    pool.httpCache = options.httpCache ?? null;
    pool.authLoginHandler = options.authLoginHandler ?? null;
    tree.root.addChild(pool);
  }
  const own = pool;
  return (input, init) => {
    try {
      return startFetch(own, activity, input, init);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/** Starts the tree's own runner when the first fetch needs ticks, stops it when none does. */
function runnerActivity(tree: SceneTree): FetchActivity {
  // Started per request: its first frame sends the request at the end of the job that called fetch().
  const runner = new TreeRunner(tree, { mode: "as-fast-as-possible", startSoon: true });
  let busy = 0;
  return {
    busy() {
      if (busy++ === 0 && !runner.isRunning()) runner.start();
    },
    idle() {
      if (--busy === 0) runner.stop();
    },
  };
}

/** What the request is, from `input` and `init`. */
interface Parsed {
  url: URL;
  method: string;
  headers: string[];
  body: FetchBodyInit | null;
  signal: AbortSignal | null;
  redirect: "follow" | "error" | "manual";
  integrity: string;
  priority: "high" | "low" | "auto" | undefined;
}

function startFetch(
  pool: HTTPRequestPool,
  activity: FetchActivity,
  input: string | URL | Request,
  init: FetchRequestInit | undefined,
): Promise<Response> {
  const parsed = parse(input, init);
  if (parsed.signal?.aborted === true) return Promise.reject(parsed.signal.reason);
  const body = parsed.body;
  const extracted = extractBody(body);
  if (extracted !== null) return launch(pool, activity, parsed, extracted, init);
  return extractBodyAsync(body as Blob | FormData).then((got) => {
    if (parsed.signal?.aborted === true) throw parsed.signal.reason;
    return launch(pool, activity, parsed, got, init);
  });
}

function launch(
  pool: HTTPRequestPool,
  activity: FetchActivity,
  parsed: Parsed,
  extracted: ExtractedBody,
  init: FetchRequestInit | undefined,
): Promise<Response> {
  const headers = parsed.headers;
  if (extracted.contentType !== null && !hasHeaderLine(headers, "content-type")) headers.push(`Content-Type: ${extracted.contentType}`);
  const exchange = new FetchExchange({
    pool,
    options: exchangeOptions(init, parsed),
    url: parsed.url.href,
    method: parsed.method,
    headers,
    body: extracted.body,
    upload: extracted.upload,
    redirect: parsed.redirect,
    integrity: parsed.integrity,
    signal: parsed.signal,
    pollHttp: init?.pollHttp,
    highWaterMark: init?.pollHttp?.bodyHighWaterMark ?? RESPONSE_HIGH_WATER_MARK,
    activity,
  });
  exchange.start();
  return exchange.promise;
}

/** The pool options of a fetch that sets none of its own: one object for all of them. */
const DEFAULT_OPTIONS: PoolRequestOptions = Object.freeze({
  ...poolOptionsOf(undefined, "", undefined),
  cache: "default",
  credentials: "same-origin",
});

/** The pool options of one fetch (Fetch's defaults for `cache` and `credentials`, not the pool's). */
function exchangeOptions(init: FetchRequestInit | undefined, parsed: Parsed): PoolRequestOptions {
  if (
    parsed.integrity === "" &&
    parsed.priority === undefined &&
    (init === undefined || (init.pollHttp === undefined && init.cache === undefined && init.credentials === undefined))
  ) {
    return DEFAULT_OPTIONS;
  }
  const options = poolOptionsOf(init?.pollHttp, parsed.integrity, parsed.priority);
  options.cache = init?.cache ?? "default";
  options.credentials = init?.credentials ?? "same-origin";
  return options;
}

/** Reads `input` and `init` as Fetch's `Request` constructor does (the checks that apply outside a browser). */
function parse(input: string | URL | Request, init: FetchRequestInit | undefined): Parsed {
  let url: URL;
  let method = "GET";
  let headers: string[] | null = null;
  let body: FetchBodyInit | null = null;
  let signal: AbortSignal | null = null;
  let redirect: string = "follow";
  let integrity = "";
  if (input instanceof Request) {
    url = new URL(input.url);
    method = input.method;
    headers = headerLines(input.headers);
    if (input.body !== null) {
      if (input.bodyUsed) throw new TypeError("Cannot construct a Request with a Request object that has already been used.");
      body = input.body as ReadableStream<Uint8Array>;
    }
    signal = input.signal;
    redirect = input.redirect;
    integrity = input.integrity;
  } else {
    try {
      url = new URL(typeof input === "string" ? input : input.href);
    } catch {
      throw new TypeError(`Failed to parse URL from ${String(input)}`);
    }
  }
  if (url.username !== "" || url.password !== "")
    throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${url.href}`);
  if (init !== undefined) {
    if (init.method !== undefined) method = normalizeFetchMethod(init.method);
    if (init.headers !== undefined) headers = headerLines(init.headers);
    if (init.body !== undefined) body = init.body;
    if (init.signal !== undefined) signal = init.signal;
    if (init.redirect !== undefined) redirect = init.redirect;
    if (init.integrity !== undefined) integrity = init.integrity;
    check(init);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new TypeError("fetch failed", { cause: new Error(`unsupported scheme ${url.protocol} (only http: and https:)`) });
  if (!REDIRECTS.has(redirect)) throw new TypeError(`'${redirect}' is not a valid redirect mode`);
  if (body !== null && (method === "GET" || method === "HEAD")) throw new TypeError("Request with GET/HEAD method cannot have body.");
  const streamed =
    body instanceof ReadableStream ||
    (isIterable(body) &&
      !ArrayBuffer.isView(body) &&
      !(body instanceof FormData) &&
      !(body instanceof URLSearchParams) &&
      typeof body !== "string");
  if (streamed && !(input instanceof Request) && init?.duplex !== "half") {
    throw new TypeError("RequestInit: duplex option is required when sending a body.");
  }
  if (streamed && init?.keepalive === true) throw new TypeError("keepalive cannot be used with a ReadableStream body");
  if (integrity !== "" && !createIntegrityCheck(integrity).ok) integrity = ""; // no known algorithm: Fetch checks nothing
  return {
    url,
    method,
    headers: headers ?? [],
    body,
    signal,
    redirect: redirect as Parsed["redirect"],
    integrity,
    priority: init?.priority,
  };
}

/** Checks the members that only need to be valid (see {@link FetchRequestInit}). */
function check(init: FetchRequestInit): void {
  if (init.cache !== undefined && !CACHES.has(init.cache)) throw new TypeError(`'${String(init.cache)}' is not a valid cache mode`);
  if (init.credentials !== undefined && !CREDENTIALS.has(init.credentials))
    throw new TypeError(`'${String(init.credentials)}' is not a valid credentials mode`);
  if (init.mode !== undefined && !MODES.has(init.mode)) throw new TypeError(`'${String(init.mode)}' is not a valid request mode`);
  if (init.priority !== undefined && !PRIORITIES.has(init.priority))
    throw new TypeError(`'${String(init.priority)}' is not a valid priority`);
  if (init.window !== undefined && init.window !== null) throw new TypeError("RequestInit: Expected window to be null");
  if (init.duplex !== undefined && init.duplex !== "half") throw new TypeError(`'${String(init.duplex)}' is not a valid duplex`);
}
