import type { BodySource } from "../client/body-source.ts";
import type { HTTPClient } from "../client/http-client.ts";
import type { ProxyCredentials } from "../client/proxy-settings.ts";
import { SocketPeer } from "../client/peer/socket-peer.ts";
import { ThreadedPeer } from "../client/threaded/threaded-peer.ts";
import type { TLSOptions } from "../client/tls-options.ts";
import { Err } from "../status/err.ts";
import { Method } from "../status/method.ts";
import { Result } from "../status/result.ts";
import type { Status } from "../status/status.ts";
import { HTTPRequestSignals } from "./request-signals.ts";
import { RequestPlanCache } from "./request-plan.ts";
import { RequestRun } from "./request-run.ts";
import type { RedirectMode } from "./request-settings.ts";
import type { RequestRunHost } from "./run-host.ts";
import type { HTTPRequestOptions, RequestOptions } from "./request-options.ts";
import type { TickEmissions } from "./tick-emissions.ts";
import type { TimingSnapshot } from "./timings.ts";
import { TimingObserver } from "./timing-observer.ts";
import type { SceneTree } from "./scene-tree.ts";

export type { HTTPRequestOptions, RequestOptions } from "./request-options.ts";

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
/** Slack when comparing summed deltas with the timeout, so 10 ticks of 0.1 s reach 1 s despite float rounding. */
const TIME_EPSILON = 1e-9;
/** Makes the {@link RequestRunHost} of a node; set by {@link HTTPRequest}'s static block, which may read its protected state. */
let runHostOf!: (node: HTTPRequest) => RequestRunHost;

/**
 * A node that performs one HTTP request at a time, ticked by its {@link SceneTree}, with the API
 * of Godot's `HTTPRequest`: `request()` starts it, each `process(delta)` advances it, and
 * {@link HTTPRequest.requestCompleted} is emitted once at the end of the tick that finished it.
 *
 * Each tick drains every body byte that has arrived (the frame rate never caps throughput),
 * redirects follow RFC 9110, `gzip`/`deflate` bodies are decoded as they stream in, and
 * `downloadFile` is written through a temporary file renamed over the target on success.
 * The connection is kept for the next request to the same origin; while it waits idle it does not
 * keep the Node process alive, so a script that is done exits without `queueFree()`.
 *
 * @example
 * ```ts
 * const tree = new SceneTree();
 * const req = new HTTPRequest();
 * tree.root.addChild(req);
 * req.requestCompleted.connect((result, code, headers, body) => console.log(result, code, body.length));
 * req.request("http://127.0.0.1:8080/data.json");
 * tree.process(1 / 60); // once per frame
 * ```
 */
export class HTTPRequest extends HTTPRequestSignals {
  /** The last request planned, reused by an identical `request()`. */
  private readonly plans = new RequestPlanCache();
  /** The running (or last) request's phases, and the connection kept for the next one. */
  private readonly run: RequestRun;
  /** True from `request()` until the request ends or is cancelled (the run's own state, kept here for the tick). */
  private active = false;
  private elapsed = 0;
  private peakBuffered = 0;
  /** Activity notices of the client (bytes, close, drain, connect, body source), counted by its listener. */
  private activity = 0;
  /**
   * `activity` as it was when a tick found the request fully sent and nothing to do but wait for
   * the response head; -1 otherwise (a new request or a cancel resets it). While it still equals
   * `activity`, nothing can have changed, so an idle tick only counts time.
   */
  private quietAt = -1;
  private abortSignal: AbortSignal | null = null;
  /** `setBodyPaused`: while true, the body is left in the connection. */
  private bodyHeld = false;
  private readonly clock: (() => number) | undefined;
  private readonly timings = new TimingObserver(() => this.now());
  private readonly onAbort = (): void => {
    const reason: unknown = this.abortSignal?.reason;
    this.cancelRequest();
    this.reason = `aborted${reason === undefined ? "" : `: ${reason instanceof Error ? reason.message : String(reason)}`}`;
  };

  /** @param options - The network to use and a node name. */
  constructor(options: HTTPRequestOptions = {}) {
    super(options.name ?? "HTTPRequest");
    this.clock = options.clock;
    this.run = new RequestRun(options.network, this.timings, runHostOf(this));
  }

  /**
   * Godot's `use_threads`: when true, the node's connections go through the process-wide
   * `ThreadedNetwork` (sockets on a worker thread, bytes through shared memory), so a synchronous
   * loop over `tree.process(delta)` that never yields completes requests. Takes effect from the
   * next connection (a kept connection of the other kind is not reused). Default false.
   */
  get useThreads(): boolean {
    return this.run.connection.usesThreads();
  }

  /** Chooses the threaded network or not for the next connection (see the getter). */
  set useThreads(enabled: boolean) {
    this.run.connection.setThreads(enabled);
  }

  /**
   * Sets {@link HTTPRequest.useThreads}.
   *
   * @param enabled - True for the threaded network.
   */
  setUseThreads(enabled: boolean): void {
    this.run.connection.setThreads(enabled);
  }

  /** @returns {@link HTTPRequest.useThreads}. */
  isUsingThreads(): boolean {
    return this.run.connection.usesThreads();
  }

  static {
    /** The node as its run sees it: a view of the settings and state the run reads, made once per node. */
    class NodeRunHost implements RequestRunHost {
      private readonly node: HTTPRequest;
      constructor(node: HTTPRequest) {
        this.node = node;
      }
      chunkSize(): number {
        return this.node.chunkSize;
      }
      acceptGzip(): boolean {
        return this.node.acceptGzip;
      }
      limit(): number {
        return this.node.limit;
      }
      file(): string {
        return this.node.file;
      }
      maxRedirects(): number {
        return this.node.maxRedirects;
      }
      redirectMode(): RedirectMode {
        return this.node.redirectMode;
      }
      tlsOptions(): TLSOptions {
        return this.node.tlsOptions;
      }
      hasProxyLoginHandler(): boolean {
        return this.node.proxyLoginHandler !== null;
      }
      emissions(): TickEmissions {
        return this.node.emissions;
      }
      serial(): number {
        return this.node.serial;
      }
      streamsBody(): boolean {
        return this.node.bodyData.getConnectionCount() > 0;
      }
      bodyPaused(): boolean {
        return this.node.bodyHeld;
      }
      setReason(reason: string): void {
        this.node.reason = reason;
      }
      applyProxies(client: HTTPClient): void {
        client.setHttpProxy(...this.node.proxies.http);
        client.setHttpsProxy(...this.node.proxies.https);
      }
      loginToProxy(kind: "http" | "https", headers: readonly string[]): { readonly retry: true } | { readonly retry: false; readonly note: string } {
        return this.node.loginToProxy(kind, headers);
      }
      onActivity(): void {
        this.node.activity++;
        this.node.getTree()?.wake(); // the tree the node is in now, not when the client was made
      }
      ended(): void {
        this.node.active = false;
        this.node.releaseAbortSignal();
      }
    }
    runHostOf = (node) => new NodeRunHost(node);
  }

  /**
   * Starts a request. Returns at once. Called during a tick (from a `requestCompleted` listener,
   * another node's `_process`, anywhere), the request goes out in that tick: the node asks its tree
   * for another pass ({@link SceneTree.queueProcess}), so a chained keep-alive request costs one
   * frame. Called between ticks, it wakes the node's tree ({@link SceneTree.wake}), so a sleeping
   * as-fast-as-possible `TreeRunner` ticks it at once.
   *
   * @param url - An `http://` or `https://` URL.
   * @param customHeaders - Header lines `"Name: value"`.
   * @param method - The {@link Method}, or any other method by name as sent (e.g. `"PROPFIND"`;
   * case-sensitive, a token; `"GET"` … `"PATCH"` count as their {@link Method} value).
   * @param body - The body: a string (sent as UTF-8), bytes, or a {@link BodySource} streamed as
   * the connection takes it (a `StreamingBodySource` written across ticks, a `FileBodySource`, a
   * multipart body). A streamed body is not sent again: a 307/308 redirect of it fails the request.
   * @param options - An `AbortSignal` and other per-request options.
   * @returns `OK`; `ERR_UNCONFIGURED` outside a tree; `ERR_BUSY` while a request runs;
   * `ERR_INVALID_PARAMETER` for a bad URL, method or header, or an aborted signal. Nothing is
   * emitted for a refused call.
   */
  request(
    url: string,
    customHeaders: readonly string[] = [],
    method: Method | string = Method.METHOD_GET,
    body: string | Uint8Array | BodySource = "",
    options: RequestOptions = {},
  ): Err {
    return this.requestRaw(url, customHeaders, method, typeof body === "string" ? (body === "" ? EMPTY : encoder.encode(body)) : body, options);
  }

  /**
   * {@link HTTPRequest.request} with a body of bytes (Godot's `request_raw`).
   *
   * @param url - An `http://` or `https://` URL.
   * @param customHeaders - Header lines `"Name: value"`.
   * @param method - As for {@link HTTPRequest.request}.
   * @param body - The body bytes.
   * @param options - As for {@link HTTPRequest.request}.
   * @returns As {@link HTTPRequest.request}.
   */
  requestRaw(
    url: string,
    customHeaders: readonly string[] = [],
    method: Method | string = Method.METHOD_GET,
    body: Uint8Array | BodySource = EMPTY,
    options: RequestOptions = {},
  ): Err {
    if (!this.isInsideTree()) return this.refuse(Err.ERR_UNCONFIGURED, "request() needs the node to be inside a SceneTree");
    if (this.active) return this.refuse(Err.ERR_BUSY, "a request is already running; cancel it or wait for requestCompleted");
    const plan = this.plans.plan({
      url, customHeaders, method, body, range: options, integrity: options.integrity, acceptGzip: this.acceptGzip, downloadFile: this.file,
    });
    if (!plan.ok) return this.refuse(Err.ERR_INVALID_PARAMETER, plan.reason);
    if (options.signal?.aborted === true) return this.refuse(Err.ERR_INVALID_PARAMETER, "the AbortSignal is already aborted");
    this.serial++;
    this.quietAt = -1;
    this.emissions.clear();
    this.elapsed = 0; // before the timings start: without a clock they read this node's time
    this.timings.start();
    if (options.signal !== undefined) {
      this.abortSignal = options.signal;
      options.signal.addEventListener("abort", this.onAbort, { once: true });
    }
    this.reason = "";
    this.bodyHeld = false;
    this.proxyLoginAttempts = 0;
    this.peakBuffered = 0;
    this.active = true;
    this.run.start(plan);
    // Sent in this tick when one is running (a listener, another node), else in the next: wakes the tree.
    this.getTree()?.queueProcess(this);
    return Err.OK;
  }

  /**
   * Holds the response body back: while paused, ticks read no body byte from the connection, so
   * the peer's read buffer fills to its bound and the socket stops reading (TCP flow control
   * reaches the server). A consumer slower than the network (a `ReadableStream` read by the
   * application) pauses when it has enough and resumes when it wants more; memory stays bounded
   * whatever the body size. Resuming wakes the tree. Every `request()` starts unpaused. Time still
   * counts against {@link HTTPRequest.timeout} while paused.
   *
   * @param paused - True to hold the body back, false to read it again.
   */
  setBodyPaused(paused: boolean): void {
    if (this.bodyHeld === paused) return;
    this.bodyHeld = paused;
    if (!paused && this.active) this.getTree()?.wake();
  }

  /** True while the body is held back ({@link HTTPRequest.setBodyPaused}). */
  isBodyPaused(): boolean {
    return this.bodyHeld;
  }

  /** True while a request runs (settings that shape it cannot change then). */
  protected override isRequestActive(): boolean {
    return this.active;
  }

  /** Passes a proxy change to the client; a kept connection may go the old way, so it is closed. */
  protected override onProxyChanged(kind: "http" | "https", host: string, port: number, credentials: ProxyCredentials | undefined): void {
    this.run.connection.onProxyChanged(kind, host, port, credentials, this.active);
  }

  /** Stops the running request at once. Nothing is emitted; a new `request()` may follow in the same tick. */
  cancelRequest(): void {
    this.serial++;
    this.quietAt = -1;
    this.releaseAbortSignal();
    if (!this.active && this.emissions.isEmpty()) return;
    this.run.cancel();
    this.active = false;
    this.emissions.clear();
  }

  /**
   * Follows the redirect announced by {@link HTTPRequest.redirectReceived} (`redirectMode`
   * `"manual"`). The next hop starts at once; `maxRedirects` still applies.
   *
   * @returns `OK`, or `ERR_UNCONFIGURED` when no redirect is waiting.
   */
  followRedirect(): Err {
    if (!this.run.followRedirect()) return this.refuse(Err.ERR_UNCONFIGURED, "no redirect is waiting for followRedirect()");
    this.getTree()?.queueProcess(this);
    return Err.OK;
  }

  /**
   * How long each phase of the current (or last) request took, in milliseconds of the node's
   * clock (see {@link HTTPRequestOptions.clock}): DNS, TCP, TLS, first byte sent, first byte
   * received, headers, body, time spent in redirects, and total; -1 for a phase not reached. Phases
   * are observed when the node is ticked, so their resolution is the tick.
   *
   * @returns A snapshot.
   */
  getTimings(): TimingSnapshot {
    return this.timings.snapshot();
  }

  /**
   * The body length of the current final response as it comes on the wire, by the rule of
   * `HTTPClient.getResponseBodyLength()`: 0 for a response that can have no body (an answer to
   * HEAD, 204, 304) whatever it announces, its `Content-Length` for a length-delimited body, -1
   * when unknown (chunked, close-delimited, or no final response yet).
   */
  getBodySize(): number {
    return this.run.body.size;
  }

  /** Body bytes received for the current response as sent on the wire (before decoding, after de-chunking). */
  getDownloadedBytes(): number {
    return this.run.body.downloaded;
  }

  /**
   * For a resumable download (`RequestOptions.resume`) of the current (or last) request: the bytes
   * of `<downloadFile>.partial` kept before this response's body (the `N` of a 206 answering
   * `Range: bytes=N-`); 0 otherwise. The whole file's progress is this plus
   * {@link HTTPRequest.getDownloadedBytes}, of this plus {@link HTTPRequest.getBodySize}.
   */
  getResumedFrom(): number {
    return this.run.body.resumedFrom;
  }

  /**
   * The most received but not yet read bytes the connection of the current (or last) request held
   * at once: the memory the transport used, which the peer's read bound keeps under the bound's
   * cap (`DEFAULT_MAX_READ_BUFFER_BYTES`, 8 MiB, by default; the bound starts at 4 MiB and grows
   * only while each tick drains a full buffer) plus one socket read, whatever the body size.
   * Sampled at the start of each tick (bytes only arrive between ticks, so no peak is missed); a
   * reused keep-alive connection also counts what it held for earlier requests. 0 for in-memory
   * peers.
   */
  getPeakBufferedBytes(): number {
    return this.peakBuffered;
  }

  /** The status of the underlying {@link HTTPClient}. */
  getHttpClientStatus(): Status {
    return this.run.connection.getStatus();
  }

  /**
   * Steps the request: polls the client and drains every body byte that has arrived.
   *
   * @param delta - Seconds since the last tick; counted against {@link HTTPRequest.timeout}.
   */
  override _process(delta: number): void {
    if (this.active) {
      this.elapsed += Number.isFinite(delta) && delta > 0 ? delta : 0;
      const timedOut = this.timeoutSeconds > 0 && this.elapsed >= this.timeoutSeconds - TIME_EPSILON;
      // Waiting for the response head and no activity since: poll() would find nothing new. (Only a
      // step, a new request or a cancel moves the run on from waiting for the head.) A threaded
      // network's news is seen by polling, the activity count may not have heard it.
      if (!timedOut && this.quietAt === this.activity && !this.run.connection.isOffThread()) return;
      this.quietAt = -1;
      const run = this.run;
      try {
        const peer = run.connection.getConnection();
        if (peer instanceof SocketPeer || peer instanceof ThreadedPeer) this.peakBuffered = Math.max(this.peakBuffered, peer.getPeakBufferedBytes());
        if (timedOut) {
          run.fail(Result.RESULT_TIMEOUT, `timed out after ${this.timeoutSeconds} s`);
        } else {
          const seen = this.activity;
          if (run.step()) this.quietAt = seen;
        }
      } catch (error) {
        run.fail(Result.RESULT_REQUEST_FAILED, `internal error: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (this.active || this.emissions.completion !== null) this.run.collectProgress();
    this.flushEmissions();
  }

  /**
   * Tells a runner when this node next needs a tick even if no byte arrives: the timeout, or at
   * once when something is waiting to be emitted. (Bytes, connections and lookups wake the
   * runner by themselves.)
   *
   * @returns Seconds from now, or null when nothing is due.
   */
  override _nextDeadline(): number | null {
    if (!this.emissions.isEmpty() || this.run.hasPendingWork()) return 0;
    if (!this.active) return null;
    return this.timeoutSeconds > 0 ? Math.max(0, this.timeoutSeconds - this.elapsed) : null;
  }

  /** Leaving the tree cancels the running request (nothing is emitted) and closes the connection. */
  override _exitTree(): void {
    this.cancelRequest();
    this.run.connection.close();
  }

  private releaseAbortSignal(): void {
    this.abortSignal?.removeEventListener("abort", this.onAbort);
    this.abortSignal = null;
  }

  /** The node's time in milliseconds: the injected clock, or the deltas it was given since the request started. */
  private now(): number {
    return this.clock !== undefined ? this.clock() : this.elapsed * 1000;
  }
}
