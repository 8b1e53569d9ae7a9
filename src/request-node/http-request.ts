import { HTTPClient } from "../client/http-client.ts";
import type { BodySource } from "../client/body-source.ts";
import type { Network } from "../client/network.ts";
import type { ProxyCredentials } from "../client/proxy-settings.ts";
import { SocketPeer } from "../client/peer/socket-peer.ts";
import { TLSOptions } from "../client/tls-options.ts";
import { sameOrigin, type HttpUrl } from "../client/url.ts";
import { Err } from "../status/err.ts";
import { Method } from "../status/method.ts";
import { Result } from "../status/result.ts";
import { Status } from "../status/status.ts";
import { BodyCollector, type CollectFailure } from "./body-collector.ts";
import { DownloadSink } from "./download-sink.ts";
import { HTTPRequestSignals } from "./request-signals.ts";
import { RequestPlanCache, type Hop } from "./request-plan.ts";
import { createIntegrityCheck, type IntegrityCheck } from "./integrity.ts";
import type { TimingSnapshot } from "./timings.ts";
import { TimingObserver } from "./timing-observer.ts";
import { decideRedirect } from "./redirect-decision.ts";
import { startBody } from "./body-start.ts";
import type { RangeRequest } from "./resume.ts";
import type { SceneTree } from "./scene-tree.ts";

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
/** The most bytes of a redirect response's body read (and dropped) to keep its connection for the next hop. */
const REDIRECT_DRAIN_LIMIT = 64 * 1024;
/** Slack when comparing summed deltas with the timeout, so 10 ticks of 0.1 s reach 1 s despite float rounding. */
const TIME_EPSILON = 1e-9;
/** Methods that may be sent again on a fresh connection when a reused one closed before answering. */
const IDEMPOTENT = new Set<number>([Method.METHOD_GET, Method.METHOD_HEAD, Method.METHOD_PUT, Method.METHOD_DELETE, Method.METHOD_OPTIONS, Method.METHOD_TRACE]);

/** Options for a new {@link HTTPRequest}. */
export interface HTTPRequestOptions {
  /** How host names are resolved and connections opened (e.g. a `ScriptedNetwork` in tests). */
  readonly network?: Network;
  /** A name for the node. */
  readonly name?: string;
  /**
   * The clock {@link HTTPRequest.getTimings} reads, in milliseconds (e.g. `() => performance.now()`).
   * Without one, timings are in the node's own time: the sum of the deltas it was given, so a
   * request stepped in virtual time has exact, repeatable timings.
   */
  readonly clock?: () => number;
}

/** Per-request options of {@link HTTPRequest.request}, beyond Godot's arguments. */
export interface RequestOptions {
  /**
   * Cancels the request when aborted, as {@link HTTPRequest.cancelRequest} does (nothing is
   * emitted). A signal that is already aborted makes `request()` refuse with `ERR_INVALID_PARAMETER`.
   */
  readonly signal?: AbortSignal;
  /**
   * Subresource Integrity metadata (Fetch's `integrity`), e.g. `"sha256-…"`; several hashes may be
   * given, the strongest algorithm counts. A body that matches none ends the request with
   * `RESULT_REQUEST_FAILED` and a reason; with `downloadFile` no file is written. Metadata with no
   * usable hash makes `request()` refuse with `ERR_INVALID_PARAMETER`.
   */
  readonly integrity?: string;
  /**
   * The first byte wanted (OpenHarmony's `resumeFrom`): sends `Range: bytes=resumeFrom-[resumeTo]`.
   * The response is handled as any other: a 206 and its partial body come back with code 206 (or,
   * with `downloadFile`, the range's bytes become the file, as for any 2xx). Not a whole number from
   * 0, a `resumeTo` before it, a `Range` header among the custom headers, or `resume` as well make
   * `request()` refuse with `ERR_INVALID_PARAMETER`. No `Accept-Encoding` is added then.
   */
  readonly resumeFrom?: number;
  /** The last byte wanted, inclusive (OpenHarmony's `resumeTo`); `resumeFrom` defaults to 0 with it. */
  readonly resumeTo?: number;
  /**
   * Makes a `downloadFile` download resumable. The bytes go to `<downloadFile>.partial` (not the
   * target, which is only replaced, by a rename, on success). An interrupted or failed download
   * keeps that file; the next request with `resume` sends `Range: bytes=N-` for its N bytes and:
   * - 206 with `Content-Range: bytes N-(total-1)/total` → the body is appended, then the file is
   *   renamed over the target;
   * - 200 (the range was ignored) or another 2xx → the download restarts from byte 0;
   * - 416 with `Content-Range: bytes *\/N` → the partial file was already complete: it is renamed
   *   over the target and `RESULT_SUCCESS` is emitted with code 416 and an empty body;
   * - a 206 for another range → `RESULT_REQUEST_FAILED` with the reason; files untouched;
   * - any other status → delivered as usual (body in the signal), files untouched. Delete the
   *   partial file to start over.
   *
   * The target's own content is never resumed from. `getDownloadedBytes()` and
   * `downloadProgress` count this response's bytes; {@link HTTPRequest.getResumedFrom} tells the
   * bytes kept before them. No `Accept-Encoding` is added. Without `downloadFile`, with
   * `resumeFrom`/`resumeTo`, with `integrity` or a `Range` header, `request()` refuses with
   * `ERR_INVALID_PARAMETER`.
   */
  readonly resume?: boolean;
}

type Phase = "connect" | "head" | "body" | "drain" | "wait";

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
  private readonly network: Network | undefined;
  /** The last request planned, reused by an identical `request()`. */
  private readonly plans = new RequestPlanCache();
  private client: HTTPClient | null = null;
  private clientOrigin: HttpUrl | null = null;
  /** The TLS options the kept connection was opened (and its certificate verified) with. */
  private clientTls: TLSOptions | null = null;
  private active = false;
  private phase: Phase = "connect";
  private hop: Hop | null = null;
  private nextHop: Hop | null = null;
  private redirects = 0;
  private elapsed = 0;
  private reused = false;
  private retried = false;
  private drained = 0;
  private code = 0;
  private headers: string[] = [];
  private bodySize = -1;
  private downloaded = 0;
  private peakBuffered = 0;
  private collector: BodyCollector | null = null;
  private waitingRedirect: { readonly hop: Hop; readonly drain: boolean } | null = null;
  private abortSignal: AbortSignal | null = null;
  private lastProgress = -1;
  private lastUpload = 0;
  private integrityMetadata: string | null = null;
  /** The range the running request asked for (`resumeFrom`/`resumeTo`/`resume`), or null. */
  private rangeRequest: RangeRequest | null = null;
  private resumedFrom = 0;
  /** A complete partial file (416 `bytes *\/N`) renamed over the target once the response ends. */
  private pendingCommit: DownloadSink | null = null;
  private readonly clock: (() => number) | undefined;
  private readonly timings = new TimingObserver(() => this.now());
  /** Activity notices of the client (bytes, close, drain, connect, body source), counted by its listener. */
  private activity = 0;
  /**
   * `activity` as it was when a tick found the request fully sent and nothing to do but wait for
   * the response head; -1 otherwise. While it still equals `activity` (and the request is the
   * same), nothing can have changed, so an idle tick only counts time.
   */
  private quietAt = -1;
  private quietSerial = -1;
  private readonly onAbort = (): void => {
    const reason: unknown = this.abortSignal?.reason;
    this.cancelRequest();
    this.reason = `aborted${reason === undefined ? "" : `: ${reason instanceof Error ? reason.message : String(reason)}`}`;
  };

  /** @param options - The network to use and a node name. */
  constructor(options: HTTPRequestOptions = {}) {
    super(options.name ?? "HTTPRequest");
    this.network = options.network;
    this.clock = options.clock;
  }

  /**
   * Starts a request. Returns at once; the work happens in the following ticks. It wakes the
   * node's tree ({@link SceneTree.wake}), so a sleeping as-fast-as-possible `TreeRunner` ticks it
   * at once, also when it is called from a `requestCompleted` listener on a kept connection.
   *
   * @param url - An `http://` or `https://` URL.
   * @param customHeaders - Header lines `"Name: value"`.
   * @param method - The {@link Method}.
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
    method: Method = Method.METHOD_GET,
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
   * @param method - The {@link Method}.
   * @param body - The body bytes.
   * @param options - As for {@link HTTPRequest.request}.
   * @returns As {@link HTTPRequest.request}.
   */
  requestRaw(
    url: string,
    customHeaders: readonly string[] = [],
    method: Method = Method.METHOD_GET,
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
    this.integrityMetadata = plan.integrity;
    this.rangeRequest = plan.range;
    this.resumedFrom = 0;
    this.active = true;
    this.serial++;
    this.emissions.clear();
    this.waitingRedirect = null;
    this.lastProgress = -1;
    this.lastUpload = 0;
    this.timings.start();
    if (options.signal !== undefined) {
      this.abortSignal = options.signal;
      options.signal.addEventListener("abort", this.onAbort, { once: true });
    }
    this.reason = "";
    this.redirects = 0;
    this.proxyLoginAttempts = 0;
    this.elapsed = 0;
    this.code = 0;
    this.headers = [];
    this.bodySize = -1;
    this.downloaded = 0;
    this.peakBuffered = 0;
    this.startHop(plan.hop);
    this.getTree()?.wake(); // the request needs a tick even if no byte arrives (a kept connection is quiet)
    return Err.OK;
  }

  /** True while a request runs (settings that shape it cannot change then). */
  protected override isRequestActive(): boolean {
    return this.active;
  }

  /** Passes a proxy change to the client; a kept connection may go the old way, so it is closed. */
  protected override onProxyChanged(kind: "http" | "https", host: string, port: number, credentials: ProxyCredentials | undefined): void {
    if (this.client === null) return;
    if (kind === "http") this.client.setHttpProxy(host, port, credentials);
    else this.client.setHttpsProxy(host, port, credentials);
    if (!this.active) this.closeClient();
  }

  /** Stops the running request at once. Nothing is emitted; a new `request()` may follow in the same tick. */
  cancelRequest(): void {
    this.serial++;
    this.releaseAbortSignal();
    if (!this.active && this.emissions.isEmpty()) return;
    this.collector?.abort();
    this.collector = null;
    this.pendingCommit?.abort();
    this.pendingCommit = null;
    this.closeClient();
    this.active = false;
    this.emissions.clear();
    this.waitingRedirect = null;
    this.hop = null;
    this.nextHop = null;
  }

  /**
   * Follows the redirect announced by {@link HTTPRequest.redirectReceived} (`redirectMode`
   * `"manual"`). The next hop starts at once; `maxRedirects` still applies.
   *
   * @returns `OK`, or `ERR_UNCONFIGURED` when no redirect is waiting.
   */
  followRedirect(): Err {
    const waiting = this.waitingRedirect;
    if (waiting === null || !this.active) return this.refuse(Err.ERR_UNCONFIGURED, "no redirect is waiting for followRedirect()");
    this.waitingRedirect = null;
    this.beginNextHop(waiting.hop, waiting.drain);
    this.getTree()?.wake();
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

  /** The Content-Length of the current final response, or -1 when unknown. */
  getBodySize(): number {
    return this.bodySize;
  }

  /** Body bytes received for the current response as sent on the wire (before decoding, after de-chunking). */
  getDownloadedBytes(): number {
    return this.downloaded;
  }

  /**
   * For a resumable download (`RequestOptions.resume`) of the current (or last) request: the bytes
   * of `<downloadFile>.partial` kept before this response's body (the `N` of a 206 answering
   * `Range: bytes=N-`); 0 otherwise. The whole file's progress is this plus
   * {@link HTTPRequest.getDownloadedBytes}, of this plus {@link HTTPRequest.getBodySize}.
   */
  getResumedFrom(): number {
    return this.resumedFrom;
  }

  /**
   * The most received but not yet read bytes the connection of the current (or last) request held
   * at once: the memory the transport used, which the peer's read bound keeps at about
   * `DEFAULT_READ_BUFFER_BYTES` (4 MiB) plus one socket read whatever the body size. Sampled at the
   * start of each tick (bytes only arrive between ticks, so no peak is missed); a reused keep-alive
   * connection also counts what it held for earlier requests. 0 for in-memory peers.
   */
  getPeakBufferedBytes(): number {
    return this.peakBuffered;
  }

  /** The status of the underlying {@link HTTPClient}. */
  getHttpClientStatus(): Status {
    return this.client?.getStatus() ?? Status.STATUS_DISCONNECTED;
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
      // Waiting for the response head and no activity since: poll() would find nothing new.
      if (!timedOut && this.quietAt === this.activity && this.quietSerial === this.serial && this.phase === "head") return;
      this.quietAt = -1;
      try {
        const peer = this.client?.getConnection();
        if (peer instanceof SocketPeer) this.peakBuffered = Math.max(this.peakBuffered, peer.getPeakBufferedBytes());
        if (timedOut) {
          this.fail(Result.RESULT_TIMEOUT, `timed out after ${this.timeoutSeconds} s`);
        } else {
          const seen = this.activity;
          for (let steps = 0; steps < 32 && this.active && this.advance(); steps++);
          if (this.active && this.phase === "head" && this.waitsForHeadOnly()) {
            this.quietAt = seen;
            this.quietSerial = this.serial;
          }
        }
      } catch (error) {
        this.fail(Result.RESULT_REQUEST_FAILED, `internal error: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (this.active || this.emissions.completion !== null) this.collectProgress();
    this.flushEmissions();
  }

  /** True when the whole request is sent and the client only waits for the response head. */
  private waitsForHeadOnly(): boolean {
    const client = this.client;
    if (client === null || client.getStatus() !== Status.STATUS_REQUESTING) return false;
    const length = client.getRequestBodyLength();
    return length >= 0 && client.getRequestBodyBytesSent() === length;
  }

  /**
   * Tells a runner when this node next needs a tick even if no byte arrives: the timeout, or at
   * once when something is waiting to be emitted. (Bytes, connections and lookups wake the
   * runner by themselves.)
   *
   * @returns Seconds from now, or null when nothing is due.
   */
  override _nextDeadline(): number | null {
    if (!this.emissions.isEmpty()) return 0;
    if (!this.active) return null;
    const left = this.timeoutSeconds > 0 ? Math.max(0, this.timeoutSeconds - this.elapsed) : null;
    return left;
  }

  /** Leaving the tree cancels the running request (nothing is emitted) and closes the connection. */
  override _exitTree(): void {
    this.cancelRequest();
    this.closeClient();
  }

  /** @returns true when something changed and another step may make progress. */
  private advance(): boolean {
    const client = this.client;
    if (client === null) return false;
    client.poll();
    const status = client.getStatus();
    this.timings.observe(client, status, this.phase === "head");
    switch (this.phase) {
      case "connect":
        return this.advanceConnect(client, status);
      case "head":
        return this.advanceHead(client, status);
      case "body":
        return this.advanceBody(client);
      case "drain":
        return this.advanceDrain(client);
      case "wait":
        return false;
    }
  }

  private advanceConnect(client: HTTPClient, status: Status): boolean {
    switch (status) {
      case Status.STATUS_RESOLVING:
      case Status.STATUS_CONNECTING:
        return false;
      case Status.STATUS_CONNECTED: {
        const hop = this.hop;
        if (hop === null) return false;
        const err = client.request(hop.method, hop.url.path, hop.headers, hop.body);
        if (err !== Err.OK) return this.fail(Result.RESULT_REQUEST_FAILED, `cannot send the request: ${client.getErrorReason()}`);
        this.phase = "head";
        return true;
      }
      case Status.STATUS_DISCONNECTED: // a kept connection was closed by the server meanwhile
        if (this.hop === null) return false;
        this.connectFresh(this.hop);
        return true;
      case Status.STATUS_CONNECTION_ERROR: // a kept connection failed while idle (e.g. reset): nothing was sent on it
        if (!this.reused || this.hop === null) return this.failFromClient(client, status);
        this.connectFresh(this.hop);
        return true;
      default:
        if (status === Status.STATUS_CANT_CONNECT && client.getProxyResponseCode() === 407) {
          const retried = this.retryProxyLogin(client, "https");
          if (retried !== null) return retried;
        }
        return this.failFromClient(client, status);
    }
  }

  /**
   * A proxy answered 407: asks `proxyLoginHandler` and sends the hop again on a new connection with
   * its credentials.
   *
   * @returns Whether to step on, as `advance()`; null to end the hop as without a handler.
   */
  private retryProxyLogin(client: HTTPClient, kind: "http" | "https"): boolean | null {
    const hop = this.hop;
    if (hop === null || this.proxyLoginHandler === null) return null;
    const serial = this.serial;
    const login = this.loginToProxy(kind, kind === "https" ? client.getProxyResponseHeaders() : this.headers);
    if (this.serial !== serial || !this.active) return false; // the handler cancelled or restarted the request
    if (!login.retry) {
      if (login.note === "") return null;
      if (kind === "https") return this.fail(Result.RESULT_CANT_CONNECT, `${client.getErrorReason()} (${login.note})`);
      this.reason = login.note;
      return null;
    }
    if (!(hop.body instanceof Uint8Array) && kind === "http") {
      return this.fail(Result.RESULT_REQUEST_FAILED,
        "the proxy asked for authentication (407): proxyLoginHandler's credentials are set for the next request, but a streamed body cannot be sent again");
    }
    this.code = 0;
    this.headers = [];
    this.connectFresh(hop);
    return true;
  }

  private advanceHead(client: HTTPClient, status: Status): boolean {
    if (status === Status.STATUS_REQUESTING) return false;
    if (client.hasResponse()) return this.onHead(client);
    const hop = this.hop;
    if (hop !== null && this.reused && !this.retried && client.getResponseWireBytes() === 0 && IDEMPOTENT.has(hop.method) &&
      hop.body instanceof Uint8Array) {
      this.retried = true; // the kept connection was closed by the server before it answered: try once on a new one
      this.connectFresh(hop);
      return true;
    }
    // Closed before any byte of the response (a reset or a write error is a connection error).
    if (status === Status.STATUS_CONNECTION_ERROR && client.getResponseWireBytes() === 0 && client.getResponseErrorCode() === "truncated") {
      return this.fail(Result.RESULT_NO_RESPONSE, client.getErrorReason());
    }
    return this.failFromClient(client, status);
  }

  private onHead(client: HTTPClient): boolean {
    const hop = this.hop;
    if (hop === null) return false;
    this.code = client.getResponseCode();
    this.headers = client.getResponseHeaders();
    this.timings.mark("headersReceived");
    this.downloaded = 0;
    this.bodySize = -1;
    if (this.code === 407 && hop.url.scheme === "http") {
      const retried = this.retryProxyLogin(client, "http");
      if (retried !== null) return retried;
    }
    const decision = decideRedirect({
      code: this.code, headers: this.headers, hop, redirects: this.redirects, maxRedirects: this.maxRedirects,
      mode: this.redirectMode, bodyFramed: client.getResponseBodyLength() >= 0 || client.isResponseChunked(),
    });
    if (decision.kind === "fail") return this.fail(decision.result, decision.reason);
    if (decision.kind === "follow") {
      this.redirects++;
      if (this.redirectMode === "manual") {
        this.waitingRedirect = { hop: decision.next, drain: decision.drain };
        this.emissions.redirect = [this.code, decision.method, decision.url, this.headers];
        this.phase = "wait";
        return false;
      }
      this.beginNextHop(decision.next, decision.drain);
      return true;
    }
    return this.startBody(client);
  }

  private startBody(client: HTTPClient): boolean {
    const length = client.getResponseBodyLength();
    this.bodySize = client.isResponseChunked() ? -1 : length;
    const streaming = this.bodyData.getConnectionCount() > 0;
    const started = startBody({
      length, chunked: client.isResponseChunked(), code: this.code, headers: this.headers,
      content: this.code !== 204 && this.code !== 205 && this.hop?.method !== Method.METHOD_HEAD,
      acceptGzip: this.acceptGzip, limit: this.limit, file: this.file, range: this.rangeRequest,
      onData: streaming ? (piece) => this.emissions.data.push(piece) : undefined, integrity: this.integrityCheck(),
    });
    if (!started.ok) return this.fail(started.result, started.reason);
    this.collector = started.collector;
    this.pendingCommit = started.pendingCommit;
    this.resumedFrom = started.resumedFrom;
    this.emissions.headers = [this.code, this.headers];
    this.phase = "body";
    return true;
  }

  private advanceBody(client: HTTPClient): boolean {
    const collector = this.collector;
    if (collector === null) return false;
    for (;;) {
      const piece = client.readResponseBodyPiece(this.chunkSize);
      if (piece.length === 0) break;
      this.downloaded += piece.length;
      const failure = collector.push(piece);
      if (failure !== null) return this.failWith(failure);
    }
    const status = client.getStatus();
    if (status === Status.STATUS_BODY) return false;
    if (status !== Status.STATUS_CONNECTED && status !== Status.STATUS_DISCONNECTED) return this.failFromClient(client, status);
    const finished = collector.finish();
    this.collector = null;
    if (!finished.ok) return this.failWith(finished);
    const pending = this.pendingCommit;
    this.pendingCommit = null;
    const committed = pending?.commit();
    if (committed !== undefined && !committed.ok) return this.fail(Result.RESULT_DOWNLOAD_FILE_WRITE_ERROR, committed.reason);
    this.complete(Result.RESULT_SUCCESS, finished.body);
    return false;
  }

  /** Reads and drops a redirect's body so the connection can carry the next hop, then starts it. */
  private advanceDrain(client: HTTPClient): boolean {
    const next = this.nextHop;
    if (next === null) return false;
    for (;;) {
      const piece = client.readResponseBodyPiece(this.chunkSize);
      if (piece.length === 0) break;
      this.drained += piece.length;
      if (this.drained > REDIRECT_DRAIN_LIMIT) break;
    }
    const status = client.getStatus();
    if (status === Status.STATUS_BODY && this.drained <= REDIRECT_DRAIN_LIMIT) return false;
    this.nextHop = null;
    this.startHop(next);
    return true;
  }

  private startHop(hop: Hop): void {
    this.hop = hop;
    this.retried = false;
    this.code = 0; // the signal reports the response of the hop that ended the request, not an earlier 3xx
    this.headers = [];
    const client = this.client;
    const origin = this.clientOrigin;
    // A kept connection is reused only if it was verified with the TLS options in force now.
    const sameTls = hop.url.scheme !== "https" || this.clientTls === this.tlsOptions;
    if (client !== null && origin !== null && sameOrigin(origin, hop.url) && sameTls && client.getStatus() === Status.STATUS_CONNECTED) {
      this.reused = true;
      this.phase = "connect";
      return;
    }
    this.connectFresh(hop);
  }

  private connectFresh(hop: Hop): void {
    this.reused = false;
    const client = this.client ?? this.createClient();
    const tls = hop.url.scheme === "https" ? this.tlsOptions : null;
    const err = client.connectToHost(hop.url.host, hop.url.port, tls);
    const started = client.getStatus();
    this.timings.connectStarted(started);
    this.clientOrigin = hop.url;
    this.clientTls = tls;
    this.phase = "connect";
    if (err !== Err.OK) this.fail(Result.RESULT_CANT_CONNECT, client.getErrorReason());
  }

  private createClient(): HTTPClient {
    const client = new HTTPClient(this.network === undefined ? {} : { network: this.network });
    client.setHttpProxy(...this.proxies.http);
    client.setHttpsProxy(...this.proxies.https);
    client.setActivityListener(() => {
      this.activity++;
      this.getTree()?.wake(); // the tree the node is in now, not when the client was made
    });
    this.client = client;
    return client;
  }

  private failFromClient(client: HTTPClient, status: Status): boolean {
    const reason = client.getErrorReason();
    switch (status) {
      case Status.STATUS_CANT_RESOLVE:
        return this.fail(Result.RESULT_CANT_RESOLVE, reason);
      case Status.STATUS_CANT_CONNECT:
        return this.fail(Result.RESULT_CANT_CONNECT, reason);
      case Status.STATUS_TLS_HANDSHAKE_ERROR:
        return this.fail(Result.RESULT_TLS_HANDSHAKE_ERROR, reason);
      default:
        if (client.getResponseErrorCode() === "length-with-transfer-encoding") {
          return this.fail(Result.RESULT_CHUNKED_BODY_SIZE_MISMATCH, reason);
        }
        return this.fail(Result.RESULT_CONNECTION_ERROR, reason || "connection lost");
    }
  }

  private failWith(failure: CollectFailure): boolean {
    return this.fail(failure.result, failure.reason);
  }

  private fail(result: Result, reason: string): boolean {
    this.reason = reason;
    this.collector?.abort();
    this.collector = null;
    this.pendingCommit?.abort();
    this.pendingCommit = null;
    this.closeClient();
    this.complete(result, EMPTY);
    return false;
  }

  private complete(result: Result, body: Uint8Array): void {
    this.active = false;
    this.hop = null;
    this.nextHop = null;
    if (this.client !== null && this.client.getStatus() !== Status.STATUS_CONNECTED) this.closeClient();
    this.releaseAbortSignal();
    if (result === Result.RESULT_SUCCESS) this.timings.mark("bodyEnd");
    this.timings.mark("end");
    this.emissions.completion = [result, this.code, this.headers, body];
  }

  private beginNextHop(next: Hop, drain: boolean): void {
    this.timings.mark("redirectStart");
    if (!drain) {
      this.startHop(next);
      return;
    }
    this.nextHop = next;
    this.drained = 0;
    this.phase = "drain";
  }

  /** Notes download and upload progress made in this tick. */
  private collectProgress(): void {
    const client = this.client;
    if (client !== null && this.phase !== "connect" && client.getRequestBodyLength() !== 0) {
      const sent = client.getRequestBodyBytesSent();
      if (sent !== this.lastUpload) {
        this.lastUpload = sent;
        this.emissions.upload = [sent, client.getRequestBodyLength()];
      }
    }
    if (this.phase === "body" || this.emissions.completion !== null) {
      if (this.downloaded !== this.lastProgress && (this.downloaded > 0 || this.emissions.headers !== null)) {
        this.lastProgress = this.downloaded;
        this.emissions.download = [this.downloaded, this.bodySize];
      }
    }
  }

  private releaseAbortSignal(): void {
    this.abortSignal?.removeEventListener("abort", this.onAbort);
    this.abortSignal = null;
  }

  /** The node's time in milliseconds: the injected clock, or the deltas it was given since the request started. */
  private now(): number {
    return this.clock !== undefined ? this.clock() : this.elapsed * 1000;
  }

  /** A fresh check for the current final response, when the request asked for integrity. */
  private integrityCheck(): IntegrityCheck | undefined {
    if (this.integrityMetadata === null) return undefined;
    const created = createIntegrityCheck(this.integrityMetadata);
    return created.ok ? created.check : undefined;
  }

  private closeClient(): void {
    this.client?.close();
    this.clientOrigin = null;
  }
}
