/**
 * The per-request phase machine of an `HTTPRequest`: connect, send, response head, redirects, body
 * and completion, hop after hop. The node keeps the public surface (settings, signals, the tick);
 * the connection it keeps is a `KeptConnection`, the body being taken a `ResponseBody`.
 *
 * @module
 */
import type { HTTPClient } from "../client/http-client.ts";
import type { Network } from "../client/network.ts";
import { Err } from "../status/err.ts";
import { Method } from "../status/method.ts";
import { Result } from "../status/result.ts";
import { Status } from "../status/status.ts";
import type { CollectFailure } from "./body-collector.ts";
import { createIntegrityCheck, type IntegrityCheck } from "./integrity.ts";
import { KeptConnection } from "./kept-connection.ts";
import { decideRedirect } from "./redirect-decision.ts";
import type { Hop, RequestPlan } from "./request-plan.ts";
import { ResponseBody } from "./response-body.ts";
import type { RangeRequest } from "./resume.ts";
import type { RequestRunHost } from "./run-host.ts";
import type { TimingObserver } from "./timing-observer.ts";

const EMPTY = new Uint8Array(0);
/** Methods that may be sent again on a fresh connection when a reused one closed before answering. */
const IDEMPOTENT = new Set<Method | string>([Method.METHOD_GET, Method.METHOD_HEAD, Method.METHOD_PUT, Method.METHOD_DELETE, Method.METHOD_OPTIONS, Method.METHOD_TRACE]);

type Phase = "connect" | "head" | "body" | "drain" | "wait";

/**
 * The state and phases of the running (or last) request of one `HTTPRequest`: connect, send,
 * response head, redirects, body and completion, hop after hop. {@link RequestRun.step} advances it
 * as far as the client allows in one tick; the end of a request is put into the tick's emissions.
 *
 * @internal
 */
export class RequestRun {
  /** The client kept between requests. */
  readonly connection: KeptConnection;
  /** The current response's body and the progress counts. */
  readonly body: ResponseBody = new ResponseBody();
  private readonly timings: TimingObserver;
  private readonly host: RequestRunHost;
  private active = false;
  private phase: Phase = "connect";
  private hop: Hop | null = null;
  private nextHop: Hop | null = null;
  private redirects = 0;
  private reused = false;
  private retried = false;
  private code = 0;
  private headers: string[] = [];
  private waitingRedirect: { readonly hop: Hop; readonly drain: boolean } | null = null;
  private integrityMetadata: string | null = null;
  /** The range the running request asked for (`resumeFrom`/`resumeTo`/`resume`), or null. */
  private rangeRequest: RangeRequest | null = null;

  /**
   * @param network - How the client resolves and connects; undefined for Node's.
   * @param timings - The node's timings, marked as phases pass.
   * @param host - The node.
   */
  constructor(network: Network | undefined, timings: TimingObserver, host: RequestRunHost) {
    this.connection = new KeptConnection(network, host);
    this.timings = timings;
    this.host = host;
  }

  /**
   * Starts a planned request: forgets the last one's response and starts the first hop (which
   * may end the request at once when it cannot connect).
   *
   * @param plan - The plan.
   */
  start(plan: RequestPlan): void {
    this.integrityMetadata = plan.integrity;
    this.rangeRequest = plan.range;
    this.body.restart();
    this.active = true;
    this.waitingRedirect = null;
    this.redirects = 0;
    this.code = 0;
    this.headers = [];
    this.startHop(plan.hop);
  }

  /** Stops the running request at once and closes the connection; nothing is emitted. */
  cancel(): void {
    this.body.abort();
    this.connection.close();
    this.active = false;
    this.waitingRedirect = null;
    this.hop = null;
    this.nextHop = null;
  }

  /**
   * Follows a redirect waiting in `redirectMode` `"manual"`.
   *
   * @returns false when none is waiting.
   */
  followRedirect(): boolean {
    const waiting = this.waitingRedirect;
    if (waiting === null || !this.active) return false;
    this.waitingRedirect = null;
    this.beginNextHop(waiting.hop, waiting.drain);
    return true;
  }

  /**
   * Advances the request as far as the client allows in this tick (a bounded number of steps).
   *
   * @returns true when the request is fully sent and only waits for the response head: until the
   * client reports activity, a tick has nothing to do.
   */
  step(): boolean {
    this.body.startTick();
    for (let steps = 0; steps < 32 && this.active && this.advance(); steps++);
    return this.active && this.phase === "head" && this.connection.waitsForHeadOnly();
  }

  /**
   * Ends the request with a failure: drops what was received and closes the connection.
   *
   * @param result - The result to emit.
   * @param reason - Why.
   * @returns false (nothing more to step).
   */
  fail(result: Result, reason: string): boolean {
    this.host.setReason(reason);
    this.body.abort();
    this.connection.close();
    this.complete(result, EMPTY);
    return false;
  }

  /**
   * True when the body has decoded work waiting for the next tick (and is not paused): the node
   * needs a tick even if no byte arrives.
   */
  hasPendingWork(): boolean {
    return this.active && !this.host.bodyPaused() && this.body.hasPending();
  }

  /** Notes download and upload progress made in this tick. */
  collectProgress(): void {
    this.body.collectProgress(this.connection.getClient(), this.phase !== "connect", this.phase === "body", this.host.emissions());
  }

  /** @returns true when something changed and another step may make progress. */
  private advance(): boolean {
    const client = this.connection.getClient();
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
        if (err === Err.ERR_CONNECTION_ERROR) {
          // The connection closed or failed before the request went out.
          if (this.reused && client.getStatus() === Status.STATUS_DISCONNECTED) {
            this.connectFresh(hop);
            return true;
          }
          return this.failFromClient(client, client.getStatus());
        }
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
    if (hop === null || !this.host.hasProxyLoginHandler()) return null;
    const serial = this.host.serial();
    const login = this.host.loginToProxy(kind, kind === "https" ? client.getProxyResponseHeaders() : this.headers);
    if (this.host.serial() !== serial || !this.active) return false; // the handler cancelled or restarted the request
    if (!login.retry) {
      if (login.note === "") return null;
      if (kind === "https") return this.fail(Result.RESULT_CANT_CONNECT, `${client.getErrorReason()} (${login.note})`);
      this.host.setReason(login.note);
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
    this.body.newResponse();
    if (this.code === 407 && hop.url.scheme === "http") {
      const retried = this.retryProxyLogin(client, "http");
      if (retried !== null) return retried;
    }
    const redirectMode = this.host.redirectMode();
    const decision = decideRedirect({
      code: this.code, headers: this.headers, hop, redirects: this.redirects, maxRedirects: this.host.maxRedirects(),
      mode: redirectMode, bodyFramed: client.getResponseBodyLength() >= 0 || client.isResponseChunked(),
    });
    if (decision.kind === "fail") return this.fail(decision.result, decision.reason);
    if (decision.kind === "follow") {
      this.redirects++;
      if (redirectMode === "manual") {
        this.waitingRedirect = { hop: decision.next, drain: decision.drain };
        this.host.emissions().redirect = [this.code, decision.method, decision.url, this.headers];
        this.phase = "wait";
        return false;
      }
      this.beginNextHop(decision.next, decision.drain);
      return true;
    }
    return this.startBody(client);
  }

  private startBody(client: HTTPClient): boolean {
    const host = this.host;
    const failure = this.body.begin({
      length: client.getResponseBodyLength(), chunked: client.isResponseChunked(), code: this.code, headers: this.headers,
      content: this.code !== 204 && this.code !== 205 && this.hop?.method !== Method.METHOD_HEAD,
      acceptGzip: host.acceptGzip(), limit: host.limit(), file: host.file(), range: this.rangeRequest,
      onData: host.streamsBody() ? (piece) => host.emissions().data.push(piece) : undefined, integrity: this.integrityCheck(),
    });
    if (failure !== null) return this.failWith(failure);
    host.emissions().headers = [this.code, this.headers];
    this.phase = "body";
    return true;
  }

  private advanceBody(client: HTTPClient): boolean {
    const body = this.body;
    if (!body.isTaking() || this.host.bodyPaused()) return false;
    const failure = body.read(client, this.host.chunkSize());
    if (failure !== null) return this.failWith(failure);
    if (body.hasPending()) return false; // decoded bytes wait for the next tick's budget
    const status = client.getStatus();
    if (status === Status.STATUS_BODY) return false;
    if (status !== Status.STATUS_CONNECTED && status !== Status.STATUS_DISCONNECTED) return this.failFromClient(client, status);
    const finished = body.finish();
    if (!finished.ok) return this.failWith(finished);
    this.complete(Result.RESULT_SUCCESS, finished.body);
    return false;
  }

  /** Reads and drops a redirect's body so the connection can carry the next hop, then starts it. */
  private advanceDrain(client: HTTPClient): boolean {
    const next = this.nextHop;
    if (next === null || !this.body.drain(client, this.host.chunkSize())) return false;
    this.nextHop = null;
    this.startHop(next);
    return true;
  }

  private startHop(hop: Hop): void {
    this.hop = hop;
    this.retried = false;
    this.code = 0; // the signal reports the response of the hop that ended the request, not an earlier 3xx
    this.headers = [];
    if (this.connection.canReuse(hop.url)) {
      this.reused = true;
      this.phase = "connect";
      return;
    }
    this.connectFresh(hop);
  }

  private connectFresh(hop: Hop): void {
    this.reused = false;
    const connection = this.connection;
    const err = connection.open(hop.url);
    this.timings.connectStarted(connection.getStatus());
    this.phase = "connect";
    if (err !== Err.OK) this.fail(Result.RESULT_CANT_CONNECT, connection.getClient()?.getErrorReason() ?? "");
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

  private complete(result: Result, body: Uint8Array): void {
    this.active = false;
    this.hop = null;
    this.nextHop = null;
    const client = this.connection.getClient();
    if (client !== null && client.getStatus() !== Status.STATUS_CONNECTED) this.connection.close();
    this.host.ended();
    if (result === Result.RESULT_SUCCESS) this.timings.mark("bodyEnd");
    this.timings.mark("end");
    this.host.emissions().completion = [result, this.code, this.headers, body];
  }

  private beginNextHop(next: Hop, drain: boolean): void {
    this.timings.mark("redirectStart");
    if (!drain) {
      this.startHop(next);
      return;
    }
    this.nextHop = next;
    this.body.startDrain();
    this.phase = "drain";
  }

  /** A fresh check for the current final response, when the request asked for integrity. */
  private integrityCheck(): IntegrityCheck | undefined {
    if (this.integrityMetadata === null) return undefined;
    const created = createIntegrityCheck(this.integrityMetadata);
    return created.ok ? created.check : undefined;
  }
}
