import type { RetryPolicy } from "../retry-policy.ts";
import { performance } from "node:perf_hooks";
import type { CookieJar } from "../../session/cookie-jar.ts";
import type { HTTPCache } from "../../session/http-cache.ts";
import type { AuthLoginHandler } from "../auth-login.ts";
import type { BodySource } from "../../client/body-source.ts";
import type { Network } from "../../client/network.ts";
import { parseProxySetting, type ProxyCredentials } from "../../client/proxy-settings.ts";
import { TLSOptions } from "../../client/tls-options.ts";
import { originOf } from "../../client/url.ts";
import { Err } from "../../status/err.ts";
import { Method } from "../../status/method.ts";
import { Result } from "../../status/result.ts";
import { Status } from "../../status/status.ts";
import { HTTPRequest } from "../http-request.ts";
import { Node } from "../node.ts";
import type { ProxyLoginHandler } from "../proxy-login.ts";
import { RequestPlanCache } from "../request-plan.ts";
import type { RedirectMode } from "../request-settings.ts";
import {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_ORIGIN,
  DEFAULT_MAX_NEW_CONNECTIONS_PER_TICK,
  DEFAULT_MAX_QUEUED,
  DEFAULT_MAX_STARTS_PER_TICK,
  DEFAULT_TICK_BUDGET_MS,
  requestOptionsProblem,
  type HTTPRequestPoolOptions,
  type PoolProxy,
  type PoolRequestOptions,
} from "./pool-options.ts";
import { PoolJob } from "./pool-job.ts";
import { PoolQueue } from "./pool-queue.ts";
import { PoolRequest, type PoolRequestControl } from "./pool-request.ts";
import { priorityRank, type RequestPriority } from "./priority.ts";

export type { HTTPRequestPoolOptions, PoolProxy, PoolRequestOptions } from "./pool-options.ts";

const EMPTY = new Uint8Array(0);

/** One connection of the pool: an `HTTPRequest` child node kept for one origin. */
interface Worker {
  readonly node: HTTPRequest;
  /** The origin it was opened for; it serves only that origin's requests. */
  readonly origin: string;
  /** That origin's connections, this one among them. */
  readonly home: OriginWorkers;
  /** The request it runs, or null while idle. */
  job: PoolJob | null;
  /** The TLS options last applied to the node, or null before its first request. */
  tls: TLSOptions | null;
  /** The `http://` proxy last applied to the node, or null before its first request. */
  httpProxy: ProxyArgs | null;
  /** The `https://` proxy last applied to the node, or null before its first request. */
  httpsProxy: ProxyArgs | null;
  /** The request it ran last, whose figures (timings, byte counts) are still the node's; null once another starts. */
  lastJob: PoolJob | null;
  /** Which of the node's signals are forwarded now: a bit per entry of {@link FORWARDED}. */
  forwarding: number;
  /** The forwarders, made once per connection, in the order of {@link FORWARDED}. */
  readonly forwarders: readonly Forwarder[];
}

/** A proxy setting as the node's `setHttpProxy` / `setHttpsProxy` take it. */
type ProxyArgs = readonly [host: string, port: number, credentials: ProxyCredentials | undefined];

/** The signals a connection forwards to the handle of its request, when the handle has them. */
const FORWARDED = ["headersReceived", "redirectReceived", "bodyData", "downloadProgress", "uploadProgress", "retrying"] as const;
type Forwarded = (typeof FORWARDED)[number];

/** One of a connection's forwarders, connected to the node's signal of the same name while the handle wants it. */
interface Forwarder {
  readonly name: Forwarded;
  readonly connect: () => void;
  readonly disconnect: () => void;
}

/** The connections of one origin. */
interface OriginWorkers {
  readonly all: Worker[];
  /** Idle ones; the most recently used last (taken first, so warm connections stay warm). */
  readonly idle: Worker[];
}

/**
 * Runs many requests over a bounded set of connections, the missing piece of Godot's one-request
 * `HTTPRequest`: {@link HTTPRequestPool.request} queues a request and returns its handle (a
 * {@link PoolRequest} with the signals of an `HTTPRequest`) at once; the pool starts queued requests
 * in priority order, then first in first out, as its limits allow, and reuses kept-alive
 * connections per origin.
 *
 * Each connection is an `HTTPRequest` child node of the pool, so a pooled request behaves as an
 * `HTTPRequest` does — redirects, limits, timeouts, TLS, proxies, gzip, resume, integrity, timings —
 * with the same `Result`s. The pool's request settings (`acceptGzip`, `maxRedirects`, `timeout`, TLS,
 * proxies, …) apply to every request; some can differ per request ({@link PoolRequestOptions}).
 *
 * Limits:
 * - `maxConnectionsPerOrigin` (default 6) connections per origin, counted by the origin of each
 *   request's first URL: a connection is opened for one origin and serves only its requests. A
 *   redirect to another origin is followed on that same connection slot (the connection to the
 *   first origin is closed then), so the server of the redirect target may see connections beyond
 *   its own origin's limit, never more than the pool's `maxConnections` in all.
 * - `maxConnections` (default 256) over all origins; when it is reached, an idle connection to
 *   another origin is closed to make room for a waiting request (the new one opens in the next
 *   tick, so the count never exceeds the limit, not even at the servers).
 * - `maxQueued` (default 10,000) waiting requests; a full queue refuses with `ERR_BUSY` (the request
 *   can be tried again once others finished).
 *
 * Frame budget, so a burst of a thousand requests is spread over frames instead of stalling one.
 * By default it is a time budget: each tick the pool starts requests until `tickBudgetMs` (default
 * 3, within a quarter of a 60 fps frame) milliseconds of its clock passed since the tick reached it,
 * its connections' work in the tick counted (each start steps its connection at once, so its
 * connect or its request's first write is counted too). The number that fit adapts to what a start
 * costs on the machine: cheap starts let more through per frame. With a time budget, the pool starts
 * requests in a pass the tree gives it after its connections' pass, so the responses they took in
 * count first and the connections they freed are taken before new ones are opened. The first start
 * of a tick is always allowed. Two counts cap a tick as well: `maxNewConnectionsPerTick` new
 * connections (default 64) and `maxStartsPerTick` starts (default 256, on new or kept connections).
 *
 * How many start per tick under a time budget depends on the clock, so on a deterministic network
 * (`ScriptedNetwork`, a cassette's `ReplayNetwork`; see `Network.deterministic`) the default is 0,
 * the counts-only mode; elsewhere set `tickBudgetMs` to 0 or inject a `clock` for repeatable runs. In
 * the counts-only mode the pool starts requests at the start of the tick (before its connections,
 * so they go out in that tick) and again after its connections' pass, on the connections freed in
 * it; the same calls and ticks give the same starts on every run. In both modes the queued
 * requests start best first (priority, then queue order) on an idle connection of their origin, or
 * a new one when the limits allow.
 *
 * Leaving the tree cancels every queued and running request (nothing is emitted) and closes every
 * connection.
 *
 * @example
 * ```ts
 * const tree = new SceneTree();
 * const pool = new HTTPRequestPool({ maxConnectionsPerOrigin: 4 });
 * tree.root.addChild(pool);
 * for (const name of ["a.png", "b.png", "c.png"]) {
 *   const job = pool.request(`http://127.0.0.1:8080/${name}`);
 *   job.requestCompleted.connect((result, code, headers, body) => console.log(name, code, body.length));
 * }
 * const chat = pool.request("http://127.0.0.1:8080/messages", [], Method.METHOD_GET, "", { priority: "high" });
 * tree.process(1 / 60); // once per frame
 * ```
 */
export class HTTPRequestPool extends Node {
  /** Adds `Accept-Encoding: gzip, deflate` and decodes such bodies, as `HTTPRequest.acceptGzip`. Default true. */
  acceptGzip = true;
  /** Most redirects followed per request, as `HTTPRequest.maxRedirects`. Default 8. */
  maxRedirects = 8;
  /** What a redirect does, as `HTTPRequest.redirectMode`. Default `"follow"`. */
  redirectMode: RedirectMode = "follow";
  /** Seconds from a request's start until `RESULT_TIMEOUT`, as `HTTPRequest.timeout`; 0 (default) never. */
  timeout = 0;
  /** Most decoded body bytes per request, as `HTTPRequest.bodySizeLimit`; -1 (default) no limit. */
  bodySizeLimit = -1;
  /** Bytes per read, as `HTTPRequest.downloadChunkSize`. Default 65536. */
  downloadChunkSize = 65536;
  /** Supplies proxy credentials on demand, as `HTTPRequest.proxyLoginHandler`. */
  proxyLoginHandler: ProxyLoginHandler | null = null;
  /**
   * The cookie jar of the pool's requests, as `HTTPRequest.cookieJar`: `null` (the default) for the
   * tree's `cookieJar`; with neither, nothing is stored. `PoolRequestOptions.credentials` says which
   * hops use it.
   */
  cookieJar: CookieJar | null = null;
  /**
   * The HTTP cache of the pool's requests, as `HTTPRequest.httpCache`: `null` (the default) for the
   * tree's `httpCache`. `PoolRequestOptions.cache` says how it is used; a hit is delivered through
   * the request's signals without a connection (it still takes a place among the running requests
   * for the tick it is answered in). `PoolRequest.getCacheOutcome()` tells.
   */
  httpCache: HTTPCache | null = null;
  /** Answers a server's 401, as `HTTPRequest.authLoginHandler`. */
  authLoginHandler: AuthLoginHandler | null = null;
  /**
   * The retry policy of every request, as `HTTPRequest.retryPolicy` (the wait between attempts in
   * tick time, the connection kept meanwhile); a request's `retry` option overrides it. Default null.
   */
  retryPolicy: RetryPolicy | null = null;
  /** Seconds a connection may take to be ready, as `HTTPRequest.connectTimeout`; 0 (default) no limit. */
  connectTimeout = 0;
  /** Seconds from the request sent to the complete response head, as `HTTPRequest.headTimeout`; 0 (default) no limit. */
  headTimeout = 0;
  /** Seconds without a body byte, as `HTTPRequest.idleTimeout`; 0 (default) no limit. */
  idleTimeout = 0;
  /** Takes proxies from the environment, as `HTTPRequest.useEnvironmentProxy`; a request's option overrides it. Default false. */
  useEnvironmentProxy = false;

  #maxPerOrigin: number;
  #maxConnections: number;
  #maxQueued: number;
  #maxNewPerTick: number;
  #maxStartsPerTick: number;
  #tickBudgetMs: number;
  readonly #network: Network | undefined;
  /** The time budget's clock: the one given, or `performance.now()`. */
  readonly #clock: () => number;
  readonly #queue = new PoolQueue<PoolJob>();
  /** Checks each request as `HTTPRequest.request()` would, remembering the last plan (a burst of the same URL is checked once). */
  readonly #plans = new RequestPlanCache();
  readonly #origins = new Map<string, OriginWorkers>();
  #workerCount = 0;
  #runningCount = 0;
  #nextSeq = 0;
  #nextWorkerId = 0;
  /** New connections opened in the current tick. */
  #openedThisTick = 0;
  /** Requests started in the current tick, on new or kept connections. */
  #startsThisTick = 0;
  /** The time-budget clock's reading when the current tick reached the pool (when a time budget is set). */
  #tickStartedAt = 0;
  /** True when a request ended (its `requestCompleted` emitted) during the current dispatch. */
  #endedInDispatch = false;
  /** The tree's frame the per-tick counts are for (-1 outside a step). */
  #frame = -1;
  /** True when the last dispatch stopped on the frame budget with requests that could have started. */
  #deferred = false;
  #reason = "";
  #tlsOptions: TLSOptions = TLSOptions.client();
  #httpProxy: ProxyArgs = ["", -1, undefined];
  #httpsProxy: ProxyArgs = ["", -1, undefined];
  readonly #control: PoolRequestControl = {
    cancel: (job, reason) => this.#cancel(job, reason),
    reprioritize: (job, priority) => this.#reprioritize(job, priority),
  };

  /** @param options - Network, limits, frame budget and clock; see {@link HTTPRequestPoolOptions}. */
  constructor(options: HTTPRequestPoolOptions = {}) {
    super(options.name ?? "HTTPRequestPool");
    this.#network = options.network;
    this.#clock = options.clock ?? ((): number => performance.now());
    this.#maxPerOrigin = DEFAULT_MAX_CONNECTIONS_PER_ORIGIN;
    this.#maxConnections = DEFAULT_MAX_CONNECTIONS;
    this.#maxQueued = DEFAULT_MAX_QUEUED;
    this.#maxNewPerTick = DEFAULT_MAX_NEW_CONNECTIONS_PER_TICK;
    this.#maxStartsPerTick = DEFAULT_MAX_STARTS_PER_TICK;
    // On a network that never reads real time, the budget never does either (see Network.deterministic).
    this.#tickBudgetMs = options.network?.deterministic === true ? 0 : DEFAULT_TICK_BUDGET_MS;
    if (options.maxConnectionsPerOrigin !== undefined) this.maxConnectionsPerOrigin = options.maxConnectionsPerOrigin;
    if (options.maxConnections !== undefined) this.maxConnections = options.maxConnections;
    if (options.maxQueued !== undefined) this.maxQueued = options.maxQueued;
    if (options.maxNewConnectionsPerTick !== undefined) this.maxNewConnectionsPerTick = options.maxNewConnectionsPerTick;
    if (options.maxStartsPerTick !== undefined) this.maxStartsPerTick = options.maxStartsPerTick;
    if (options.tickBudgetMs !== undefined) this.tickBudgetMs = options.tickBudgetMs;
  }

  /** Most connections open at once to one origin; a whole number from 1. Default 6. Lowering it closes nothing: it applies to new connections. */
  get maxConnectionsPerOrigin(): number {
    return this.#maxPerOrigin;
  }

  /** Sets the limit; anything but a whole number from 1 is ignored (see {@link HTTPRequestPool.getErrorReason}). */
  set maxConnectionsPerOrigin(value: number) {
    if (this.#validCount(value, 1, "maxConnectionsPerOrigin")) this.#maxPerOrigin = value;
  }

  /** Most connections open at once over all origins; a whole number from 1. Default 256. */
  get maxConnections(): number {
    return this.#maxConnections;
  }

  /** Sets the limit; anything but a whole number from 1 is ignored. */
  set maxConnections(value: number) {
    if (this.#validCount(value, 1, "maxConnections")) this.#maxConnections = value;
  }

  /** Most requests waiting to start; a whole number from 0. Default 10,000. */
  get maxQueued(): number {
    return this.#maxQueued;
  }

  /** Sets the limit; anything but a whole number from 0 is ignored. Lowering it drops nothing already queued. */
  set maxQueued(value: number) {
    if (this.#validCount(value, 0, "maxQueued")) this.#maxQueued = value;
  }

  /** Most new connections opened per tick; a whole number from 1. Default 64. */
  get maxNewConnectionsPerTick(): number {
    return this.#maxNewPerTick;
  }

  /** Sets the budget; anything but a whole number from 1 is ignored. */
  set maxNewConnectionsPerTick(value: number) {
    if (this.#validCount(value, 1, "maxNewConnectionsPerTick")) this.#maxNewPerTick = value;
  }

  /** Most requests started per tick, on new or kept connections; a whole number from 1. Default 256. */
  get maxStartsPerTick(): number {
    return this.#maxStartsPerTick;
  }

  /** Sets the budget; anything but a whole number from 1 is ignored. */
  set maxStartsPerTick(value: number) {
    if (this.#validCount(value, 1, "maxStartsPerTick")) this.#maxStartsPerTick = value;
  }

  /** Milliseconds per tick after which the pool starts no more requests in that tick; default 3; 0 for none (the counts-only, deterministic mode). */
  get tickBudgetMs(): number {
    return this.#tickBudgetMs;
  }

  /** Sets the time budget; a negative or non-finite value is ignored. */
  set tickBudgetMs(value: number) {
    if (typeof value === "number" && Number.isFinite(value) && value >= 0) this.#tickBudgetMs = value;
    else this.#reason = `tickBudgetMs must be a number >= 0, got ${String(value)}`;
  }

  /**
   * Queues a request and returns its handle at once; it starts in a later tick, when its turn
   * comes and a connection is free. A refused request is returned with its `err` set and state
   * `refused`; nothing is emitted for it.
   *
   * @param url - An `http://` or `https://` URL.
   * @param customHeaders - Header lines `"Name: value"`.
   * @param method - A {@link Method} value, or another method by name (a valid token, e.g. `"PROPFIND"`).
   * @param body - A string (sent as UTF-8), bytes, or a `BodySource`.
   * @param options - Priority, per-request settings, and the options of `HTTPRequest.request()`.
   * @returns The handle. Its `err` is `OK` when queued; `ERR_BUSY` when `maxQueued` requests wait
   * already; `ERR_INVALID_PARAMETER` for what `HTTPRequest.request()` refuses (URL, method, headers,
   * integrity, range and resume options, an aborted signal), a bad priority or a per-request
   * setting out of its range (`timeout`, `bodySizeLimit`, `maxRedirects`, `downloadChunkSize`, a proxy); `ERR_UNCONFIGURED`
   * while the pool is outside a tree.
   */
  request(
    url: string,
    customHeaders: readonly string[] = [],
    method: Method | string = Method.METHOD_GET,
    body: string | Uint8Array | BodySource = "",
    options: PoolRequestOptions = {},
  ): PoolRequest {
    const seq = this.#nextSeq++;
    const refuse = (err: Err, reason: string): PoolRequest => this.#refused(seq, url, customHeaders, method, body, options, err, reason);
    if (!this.isInsideTree()) return refuse(Err.ERR_UNCONFIGURED, "request() needs the pool to be inside a SceneTree");
    const rank = priorityRank(options.priority);
    if (rank === null)
      return refuse(
        Err.ERR_INVALID_PARAMETER,
        `priority must be a whole number from 1 to 1000 or "high", "auto", "low"; got ${String(options.priority)}`,
      );
    const problem = requestOptionsProblem(options);
    if (problem !== "") return refuse(Err.ERR_INVALID_PARAMETER, problem);
    const plan = this.#plans.plan({
      url,
      customHeaders,
      method,
      body: typeof body === "string" ? EMPTY : body,
      range: options,
      integrity: options.integrity,
      acceptGzip: options.acceptGzip ?? this.acceptGzip,
      downloadFile: options.downloadFile ?? "",
    });
    if (!plan.ok) return refuse(Err.ERR_INVALID_PARAMETER, plan.reason);
    if (options.signal?.aborted === true) return refuse(Err.ERR_INVALID_PARAMETER, "the AbortSignal is already aborted");
    if (this.#queue.size >= this.#maxQueued) {
      return refuse(Err.ERR_BUSY, `the queue is full (${this.#maxQueued} requests wait; maxQueued); try again once some finished`);
    }
    const job = new PoolJob(seq, originOf(plan.hop.url), url, customHeaders.slice(), method, body, options, rank, Err.OK);
    const signal = options.signal;
    if (signal !== undefined) {
      const onAbort = (): void => {
        const why: unknown = signal.reason;
        this.#cancel(job, `aborted${why === undefined ? "" : `: ${why instanceof Error ? why.message : String(why)}`}`);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      job.releaseSignal = () => signal.removeEventListener("abort", onAbort);
    }
    job.handle = new PoolRequest(job, this.#control);
    this.#queue.push(job);
    this.getTree()?.queueProcess(this); // during a step (a listener), it may start in this one
    return job.handle;
  }

  /** The handle of a request `request()` refused: state `refused`, its `err` and reason set. */
  #refused(
    seq: number,
    url: string,
    headers: readonly string[],
    method: Method | string,
    body: string | Uint8Array | BodySource,
    options: PoolRequestOptions,
    err: Err,
    reason: string,
  ): PoolRequest {
    const job = new PoolJob(seq, "", url, headers, method, body, options, 0, err);
    job.state = "refused";
    job.reason = reason;
    this.#reason = reason;
    return (job.handle = new PoolRequest(job, this.#control));
  }

  /** Requests waiting to start. */
  getQueuedCount(): number {
    return this.#queue.size;
  }

  /** Requests running on a connection. */
  getRunningCount(): number {
    return this.#runningCount;
  }

  /**
   * The pool's connections (each an `HTTPRequest` node holding at most one open connection), busy
   * or idle.
   *
   * @param origin - Only those opened for this origin (as WHATWG `URL.origin`, e.g. `http://127.0.0.1:8080`).
   * @returns The count.
   */
  getConnectionCount(origin?: string): number {
    return origin === undefined ? this.#workerCount : (this.#origins.get(origin)?.all.length ?? 0);
  }

  /** Why the last call was refused or the last setting ignored; `""` if none. */
  getErrorReason(): string {
    return this.#reason;
  }

  /**
   * Sets the TLS options for `https://` requests, as `HTTPRequest.setTlsOptions`; connections opened
   * with other options are not reused.
   *
   * @param options - The options.
   */
  setTlsOptions(options: TLSOptions): void {
    this.#tlsOptions = options;
  }

  /**
   * Sets the proxy for `http://` requests, as `HTTPRequest.setHttpProxy`.
   *
   * @param host - The proxy host, optionally `user:pass@host`; `""` clears it.
   * @param port - The proxy port; -1 clears it.
   * @param credentials - Basic credentials for the proxy.
   * @returns `OK`, or `ERR_INVALID_PARAMETER` for a malformed setting.
   */
  setHttpProxy(host: string, port: number, credentials?: ProxyCredentials): Err {
    const parsed = parseProxySetting(host, port, credentials);
    if (parsed !== null && "invalid" in parsed) return this.#refuse(Err.ERR_INVALID_PARAMETER, parsed.invalid);
    this.#httpProxy = [host, port, credentials];
    return Err.OK;
  }

  /**
   * Sets the proxy for `https://` requests, as `HTTPRequest.setHttpsProxy`.
   *
   * @param host - The proxy host, optionally `user:pass@host`; `""` clears it.
   * @param port - The proxy port; -1 clears it.
   * @param credentials - Basic credentials for the proxy.
   * @returns `OK`, or `ERR_INVALID_PARAMETER` for a malformed setting.
   */
  setHttpsProxy(host: string, port: number, credentials?: ProxyCredentials): Err {
    const parsed = parseProxySetting(host, port, credentials);
    if (parsed !== null && "invalid" in parsed) return this.#refuse(Err.ERR_INVALID_PARAMETER, parsed.invalid);
    this.#httpsProxy = [host, port, credentials];
    return Err.OK;
  }

  /**
   * Starts queued requests as the limits and the frame budget allow, stepping each one's connection
   * at once, so it goes out in this tick. Connections freed later in the tick (their request ended
   * in their own pass, after the pool's) take queued requests in an extra pass the pool asks the
   * tree for; the budgets are per tick, over both passes.
   *
   * @param delta - Seconds since the last tick (unused: the requests count their own time).
   */
  override _process(delta: number): void {
    void delta;
    const tree = this.getTree();
    const processing = tree?.isProcessing() === true;
    const frame = processing ? (tree?.getFrame() ?? -1) : -1;
    const regular = frame !== this.#frame || !processing;
    if (regular) {
      // A new tick: the budgets start again. An idle pool reads no clock.
      this.#frame = frame;
      this.#openedThisTick = 0;
      this.#startsThisTick = 0;
      this.#deferred = false;
      this.#tickStartedAt = -1;
    }
    if (this.#queue.size === 0) return;
    const clock = this.#budgetClock();
    if (clock !== null) {
      if (this.#tickStartedAt < 0) this.#tickStartedAt = clock(); // the connections' pass counts
      if (regular && processing) {
        // With a time budget, every start waits for the pass after the connections': the time they
        // take to read what arrived counts first, and the connections they free are taken first
        // (rather than new ones opened for requests a freed connection would have taken).
        tree?.queueProcess(this);
        return;
      }
    }
    this.#endedInDispatch = false;
    this.#dispatch();
    // Another step at once when the budget held requests back (a runner that is not paced by frames
    // goes on without sleeping), or when a request that ended at once (a cache hit, a refusal) was
    // emitted in this pass, maybe after the nodes that watch for it were processed.
    if (this.#deferred || this.#endedInDispatch) tree?.wake();
  }

  /**
   * Asks for the next tick at once while the frame budget held back requests that could start.
   *
   * @returns 0 or null.
   */
  override _nextDeadline(): number | null {
    return this.#deferred ? 0 : null;
  }

  /** Leaving the tree: the connections (children) left first and closed theirs; every request still queued or running is cancelled. */
  override _exitTree(): void {
    for (const job of this.#queue.drain()) this.#endCancelled(job, "the pool left the tree");
    for (const origin of this.#origins.values()) {
      for (const worker of origin.all) {
        const job = worker.job;
        if (job === null) continue;
        worker.node.cancelRequest();
        this.#release(worker);
        this.#endCancelled(job, "the pool left the tree");
      }
    }
    this.#deferred = false;
  }

  /** Starts queued requests, best first, until none can start or the tick's budget is spent. */
  #dispatch(): void {
    const open = (origin: string): boolean => this.#room(origin) !== "none";
    for (;;) {
      const job = this.#queue.best(open);
      if (job === undefined) return;
      if (!this.#withinBudget()) return;
      if (this.#room(job.origin) === "evict") {
        // Close an idle connection of another origin now and open the new one next tick, so the
        // count of open connections never exceeds maxConnections, at the servers either.
        this.#evictIdle(job.origin);
        this.#deferred = true;
        return;
      }
      this.#queue.take(job.origin); // the best job is the head of its origin's queue
      this.#start(job, this.#takeWorker(job.origin));
    }
  }

  /** The clock of the time budget, or null without one. */
  #budgetClock(): (() => number) | null {
    return this.#tickBudgetMs > 0 ? this.#clock : null;
  }

  /**
   * Whether another request may start in this tick: fewer than `maxStartsPerTick` started, and the
   * time budget (if any) not spent since the tick reached the pool (the first start of a tick is
   * always allowed). When not, the pool asks for the next tick at once.
   */
  #withinBudget(): boolean {
    let ok = this.#startsThisTick < this.#maxStartsPerTick;
    const clock = ok ? this.#budgetClock() : null;
    if (clock !== null) {
      if (this.#tickStartedAt < 0) this.#tickStartedAt = clock();
      else if (this.#startsThisTick > 0 && clock() - this.#tickStartedAt >= this.#tickBudgetMs) ok = false;
    }
    if (!ok) this.#deferred = true;
    return ok;
  }

  /**
   * Whether a request of `origin` could start now: on an idle connection, or a new one within the
   * limits and this tick's budget (`new`), or one once an idle connection of another origin is
   * closed (`evict`).
   */
  #room(origin: string): "idle" | "new" | "evict" | "none" {
    const workers = this.#origins.get(origin);
    const idle = workers?.idle[workers.idle.length - 1];
    if (idle !== undefined && idle.node.getHttpClientStatus() === Status.STATUS_CONNECTED) return "idle";
    if (this.#openedThisTick >= this.#maxNewPerTick) {
      if ((workers?.all.length ?? 0) < this.#maxPerOrigin || idle !== undefined) this.#deferred = true;
      return "none";
    }
    if (idle !== undefined) return "idle";
    if ((workers?.all.length ?? 0) >= this.#maxPerOrigin) return "none";
    if (this.#workerCount < this.#maxConnections) return "new";
    return this.#hasIdleElsewhere(origin) ? "evict" : "none";
  }

  #hasIdleElsewhere(origin: string): boolean {
    for (const [key, workers] of this.#origins) if (key !== origin && workers.idle.length > 0) return true;
    return false;
  }

  /** An idle connection of `origin`, or a new one (closing an idle one of another origin when `maxConnections` is reached). */
  #takeWorker(origin: string): Worker {
    let workers = this.#origins.get(origin);
    const idle = workers?.idle.pop();
    if (idle !== undefined) {
      if (idle.node.getHttpClientStatus() !== Status.STATUS_CONNECTED) this.#openedThisTick++;
      return idle;
    }
    if (workers === undefined) this.#origins.set(origin, (workers = { all: [], idle: [] }));
    const node = new HTTPRequest({
      name: `${this.name}-connection-${this.#nextWorkerId++}`,
      ...(this.#network !== undefined ? { network: this.#network } : {}),
    });
    const worker: Worker = {
      node,
      origin,
      home: workers,
      job: null,
      lastJob: null,
      tls: null,
      httpProxy: null,
      httpsProxy: null,
      forwarding: 0,
      forwarders: [],
    };
    (worker as { forwarders: readonly Forwarder[] }).forwarders = forwardersOf(worker);
    node.requestCompleted.connect((result, code, headers, body) => this.#completed(worker, result, code, headers, body));
    workers.all.push(worker);
    this.#workerCount++;
    this.#openedThisTick++;
    this.addChild(node);
    return worker;
  }

  /** Closes the least recently used idle connection of another origin (the oldest origin first). */
  #evictIdle(origin: string): void {
    for (const [key, workers] of this.#origins) {
      const victim = key === origin ? undefined : workers.idle.shift();
      if (victim === undefined) continue;
      workers.all.splice(workers.all.indexOf(victim), 1);
      if (workers.all.length === 0) this.#origins.delete(key);
      this.#workerCount--;
      this.removeChild(victim.node); // its _exitTree closes the connection
      return;
    }
  }

  /**
   * Connects the forwarders the handle of `job` wants and disconnects the others: a signal the
   * handle made (it was read, to connect to it), and `bodyData` only with listeners, since a
   * listener there changes how the node hands out the body. A node signal without listeners is not
   * emitted at all, so a request whose caller only waits for `requestCompleted` costs no forwarding.
   */
  #forward(worker: Worker, job: PoolJob): void {
    const handle = job.handle;
    let wanted = 0;
    for (let i = 0; i < FORWARDED.length; i++) {
      const name = FORWARDED[i] as Forwarded;
      const made = handle?.made(name);
      if (made !== undefined && (name !== "bodyData" || made.getConnectionCount() > 0)) wanted |= 1 << i;
    }
    const change = wanted ^ worker.forwarding;
    if (change === 0) return;
    worker.forwarding = wanted;
    for (let i = 0; i < FORWARDED.length; i++) {
      if ((change & (1 << i)) === 0) continue;
      const forwarder = worker.forwarders[i] as Forwarder;
      if ((wanted & (1 << i)) !== 0) forwarder.connect();
      else forwarder.disconnect();
    }
  }

  /** Sets the node up for `job`, starts it, and steps it. */
  #start(job: PoolJob, worker: Worker): void {
    const node = worker.node;
    const last = worker.lastJob;
    if (last !== null) {
      // The node's figures are about to be those of the new request: keep the last one's.
      last.outcome = {
        timings: node.getTimings(),
        downloaded: node.getDownloadedBytes(),
        bodySize: node.getBodySize(),
        resumedFrom: node.getResumedFrom(),
        cacheOutcome: node.getCacheOutcome(),
      };
      last.ranOn = null;
      worker.lastJob = null;
    }
    const options = job.options;
    // TLS and proxies: the request's own, else the pool's; set only when they change (a proxy change closes the kept connection).
    const tls = options.tlsOptions ?? this.#tlsOptions;
    if (worker.tls !== tls) node.setTlsOptions((worker.tls = tls));
    const httpProxy = options.httpProxy === undefined ? this.#httpProxy : proxyArgs(options.httpProxy);
    if (!sameProxy(worker.httpProxy, httpProxy)) node.setHttpProxy(...(worker.httpProxy = httpProxy));
    const httpsProxy = options.httpsProxy === undefined ? this.#httpsProxy : proxyArgs(options.httpsProxy);
    if (!sameProxy(worker.httpsProxy, httpsProxy)) node.setHttpsProxy(...(worker.httpsProxy = httpsProxy));
    node.proxyLoginHandler = this.proxyLoginHandler;
    node.cookieJar = this.cookieJar;
    node.httpCache = this.httpCache;
    node.authLoginHandler = this.authLoginHandler;
    node.acceptGzip = options.acceptGzip ?? this.acceptGzip;
    node.maxRedirects = options.maxRedirects ?? this.maxRedirects;
    node.redirectMode = options.redirectMode ?? this.redirectMode;
    // Setters that check their value (and the phase timeouts', which copy the node's timeouts): only when it changes.
    const timeout = options.timeout ?? this.timeout;
    if (node.timeout !== timeout) node.timeout = timeout;
    const connectTimeout = options.connectTimeout ?? this.connectTimeout;
    if (node.connectTimeout !== connectTimeout) node.connectTimeout = connectTimeout;
    const headTimeout = options.headTimeout ?? this.headTimeout;
    if (node.headTimeout !== headTimeout) node.headTimeout = headTimeout;
    const idleTimeout = options.idleTimeout ?? this.idleTimeout;
    if (node.idleTimeout !== idleTimeout) node.idleTimeout = idleTimeout;
    node.retryPolicy = this.retryPolicy;
    node.useEnvironmentProxy = this.useEnvironmentProxy;
    const limit = options.bodySizeLimit ?? this.bodySizeLimit;
    if (node.bodySizeLimit !== limit) node.bodySizeLimit = limit;
    const chunkSize = options.downloadChunkSize ?? this.downloadChunkSize;
    if (node.downloadChunkSize !== chunkSize) node.downloadChunkSize = chunkSize;
    const file = options.downloadFile ?? "";
    if (node.downloadFile !== file) node.downloadFile = file;
    node._bodyDataViews = job.handle?._bodyDataViews === true;
    job.state = "running";
    job.worker = node;
    worker.job = job;
    this.#runningCount++;
    const err = node.request(job.url, job.headers, job.method, job.body, job.requestOptions);
    if (err !== Err.OK) {
      // Checked when queued; only a change between then and now (a file option, a setting) gets here.
      const reason = node.getErrorReason();
      this.#release(worker);
      job.state = "done";
      job.err = err;
      job.reason = reason;
      job.releaseSignal();
      this.#endedInDispatch = true;
      job.handle?.made("requestCompleted")?.emit(Result.RESULT_REQUEST_FAILED, 0, [], EMPTY);
      return;
    }
    this.#startsThisTick++;
    job.handle?.made("started")?.emit();
    if (worker.job === job) this.#forward(worker, job); // after `started`: its listeners may connect to the others
    // Step the node now, so its connect (a new connection) or its request (a kept one) goes out in
    // this tick, inside the time the frame budget measures: the budget sees what each start costs.
    if (this.getTree()?.isProcessing() === true && worker.job === job) node._process(0);
  }

  /** The node's request ended: the handle emits it; the pool's pass after its connections' gives the connection the next request. */
  #completed(worker: Worker, result: Result, code: number, headers: string[], body: Uint8Array): void {
    const job = worker.job;
    if (job === null) return;
    this.#release(worker);
    job.state = "done";
    job.releaseSignal();
    this.#endedInDispatch = true;
    job.handle?.made("requestCompleted")?.emit(result, code, headers, body);
    // The connection is free: the pool's pass after its connections' starts the next request.
    if (this.#queue.size > 0) this.getTree()?.queueProcess(this);
  }

  /**
   * The connection is free: the request keeps its reason (its figures stay readable from the node
   * until the node starts another request) and the connection goes back in the idle list.
   */
  #release(worker: Worker): void {
    const job = worker.job;
    if (job === null) return;
    const node = worker.node;
    job.reason = node.getErrorReason();
    job.ranOn = node;
    worker.lastJob = job;
    job.worker = null;
    worker.job = null;
    this.#runningCount--;
    worker.home.idle.push(worker);
  }

  #cancel(job: PoolJob, reason: string): void {
    if (job.state === "queued") {
      this.#queue.remove(job);
    } else if (job.state === "running") {
      const worker = this.#workerOf(job);
      if (worker !== undefined) {
        worker.node.cancelRequest();
        this.#release(worker);
      }
      if (this.#queue.size > 0) this.getTree()?.queueProcess(this); // a connection is free for the queue
    } else {
      return;
    }
    this.#endCancelled(job, reason);
  }

  #endCancelled(job: PoolJob, reason: string): void {
    job.state = "cancelled";
    job.reason = reason;
    job.worker = null;
    job.releaseSignal();
  }

  #workerOf(job: PoolJob): Worker | undefined {
    return this.#origins.get(job.origin)?.all.find((w) => w.job === job);
  }

  #reprioritize(job: PoolJob, priority: RequestPriority): Err {
    const rank = priorityRank(priority);
    if (rank === null)
      return this.#refuse(
        Err.ERR_INVALID_PARAMETER,
        `priority must be a whole number from 1 to 1000 or "high", "auto", "low"; got ${String(priority)}`,
      );
    if (job.state !== "queued")
      return this.#refuse(Err.ERR_UNAVAILABLE, `the request is ${job.state}: only a queued request changes priority`);
    this.#queue.remove(job);
    job.rank = rank;
    this.#queue.push(job);
    return Err.OK;
  }

  #validCount(value: number, min: number, name: string): boolean {
    if (Number.isInteger(value) && value >= min) return true;
    this.#reason = `${name} must be a whole number from ${min}, got ${String(value)}`;
    return false;
  }

  #refuse(err: Err, reason: string): Err {
    this.#reason = reason;
    return err;
  }
}

/** The forwarders of a connection's node signals to the handle of the request it runs, in the order of {@link FORWARDED}. */
function forwardersOf(worker: Worker): Forwarder[] {
  const node = worker.node;
  const handle = (): PoolRequest | null | undefined => worker.job?.handle;
  const headers = (code: number, lines: string[]): void => handle()?.made("headersReceived")?.emit(code, lines);
  const redirect = (code: number, method: string, url: string, lines: string[]): void =>
    handle()?.made("redirectReceived")?.emit(code, method, url, lines);
  const body = (chunk: Uint8Array): void => handle()?.made("bodyData")?.emit(chunk);
  const download = (received: number, total: number): void => handle()?.made("downloadProgress")?.emit(received, total);
  const upload = (sent: number, total: number): void => handle()?.made("uploadProgress")?.emit(sent, total);
  const retrying = (attempt: number, delay: number, reason: string): void => handle()?.made("retrying")?.emit(attempt, delay, reason);
  return [
    {
      name: "headersReceived",
      connect: () => node.headersReceived.connect(headers),
      disconnect: () => node.headersReceived.disconnect(headers),
    },
    {
      name: "redirectReceived",
      connect: () => node.redirectReceived.connect(redirect),
      disconnect: () => node.redirectReceived.disconnect(redirect),
    },
    { name: "bodyData", connect: () => node.bodyData.connect(body), disconnect: () => node.bodyData.disconnect(body) },
    {
      name: "downloadProgress",
      connect: () => node.downloadProgress.connect(download),
      disconnect: () => node.downloadProgress.disconnect(download),
    },
    {
      name: "uploadProgress",
      connect: () => node.uploadProgress.connect(upload),
      disconnect: () => node.uploadProgress.disconnect(upload),
    },
    { name: "retrying", connect: () => node.retrying.connect(retrying), disconnect: () => node.retrying.disconnect(retrying) },
  ];
}

/** A per-request proxy as the node's setters take it. */
function proxyArgs(proxy: PoolProxy): ProxyArgs {
  return [proxy.host, proxy.port, proxy.credentials];
}

/** Whether two proxy settings are the same (credentials compared as given). */
function sameProxy(a: ProxyArgs | null, b: ProxyArgs): boolean {
  return a !== null && a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}
