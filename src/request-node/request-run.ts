/**
 * One request of an `HTTPRequest`, from `request()` to its end: connect, send, response head,
 * redirects, body and completion, hop after hop, and what each tick of it has to emit.
 *
 * @module
 */
import type { HTTPClient } from "../client/http-client.ts";
import { Err } from "../status/err.ts";
import { Method } from "../status/method.ts";
import { Result } from "../status/result.ts";
import { Status } from "../status/status.ts";
import type { CollectFailure } from "./body-collector.ts";
import { createIntegrityCheck, type IntegrityCheck } from "./integrity.ts";
import type { KeptConnection } from "./kept-connection.ts";
import { askProxyLogin, MAX_PROXY_LOGIN_ATTEMPTS, proxyRealm } from "./proxy-login.ts";
import { decideRedirect, FINAL } from "./redirect-decision.ts";
import { isRedirectStatus } from "./redirect-policy.ts";
import type { Hop, RequestPlan } from "./request-plan.ts";
import type { RequestProxies } from "./request-proxies.ts";
import { writeCachedFile, type RequestSession } from "./request-session.ts";
import type { RequestSettings } from "./request-settings.ts";
import { ResponseBody } from "./response-body.ts";
import type { Signal } from "./signal.ts";
import { TickEmissions } from "./tick-emissions.ts";
import type { TimingObserver } from "./timing-observer.ts";
import { PhaseTimer, type TimedPhase } from "./phase-timer.ts";
import { RetryState } from "./retry-state.ts";
import { discardPartial, heldPartialBytes } from "./download-sink.ts";
import { getHeaderValue } from "../client/wire/headers.ts";
import { verbOf } from "../status/method.ts";

const EMPTY = new Uint8Array(0);
/** Methods that may be sent again on a fresh connection when a reused one closed before answering. */
const IDEMPOTENT = new Set<Method | string>([
  Method.METHOD_GET,
  Method.METHOD_HEAD,
  Method.METHOD_PUT,
  Method.METHOD_DELETE,
  Method.METHOD_OPTIONS,
  Method.METHOD_TRACE,
]);

/** Where a run is: see the table on {@link RequestRun}. */
type Phase = "connect" | "head" | "body" | "drain" | "wait" | "backoff" | "ended";

/** What a run is given when `request()` starts it. */
export interface RequestRunInit {
  /** The planned request: first hop, range, integrity. */
  readonly plan: RequestPlan;
  /** The node's settings, frozen at `request()`. */
  readonly settings: RequestSettings;
  /** The node's kept client. */
  readonly connection: KeptConnection;
  /** The node's proxies, to which a proxy login adds credentials. */
  readonly proxies: RequestProxies;
  /** The node's timings, marked as phases pass. */
  readonly timings: TimingObserver;
  /** The node's `bodyData` signal: with listeners as the body starts, the body is streamed through it. */
  readonly bodyData: Signal<[chunk: Uint8Array]>;
  /** The request's cookies, cache and logins; null when none is attached. */
  readonly session: RequestSession | null;
}

/**
 * One request of an `HTTPRequest`. {@link RequestRun.step} advances it as far as the client allows
 * in one tick; what the tick has to emit is collected in the run and taken by the node at the end
 * of the tick. A run is made by `request()` and never restarted: a new request is a new run.
 *
 * | Phase | Event | Next |
 * | --- | --- | --- |
 * | connect | client CONNECTED (a new or a kept connection) | head (the request is handed to the client) |
 * | connect | a kept connection closed or failed while idle | connect (on a new connection) |
 * | connect | CANT_RESOLVE, CANT_CONNECT, TLS error | ended (the matching result) |
 * | connect | the HTTPS proxy asks for credentials (407) and `proxyLoginHandler` gives some | connect (new connection) |
 * | head | final response head, not a redirect | body |
 * | head | a redirect to follow, `redirectMode` `"follow"` | drain (its body is read and dropped) or connect |
 * | head | a redirect, `redirectMode` `"manual"` | wait (`redirectReceived` is emitted) |
 * | head | a redirect over `maxRedirects`, or `"error"`; an invalid response | ended (failure) |
 * | head | a kept connection closed before any byte, idempotent request | connect (once, on a new connection) |
 * | body | the body is complete | ended (`RESULT_SUCCESS`) |
 * | body | limit, decoding, integrity or connection failure | ended (failure) |
 * | drain | the redirect's body is read | connect (the next hop) |
 * | wait | `followRedirect()` | drain or connect |
 * | connect, head, body | a phase timeout (`connectTimeout`, `headTimeout`, `idleTimeout`) | ended (`RESULT_TIMEOUT`), or backoff |
 * | connect, head, body | a failure or a status the retry policy retries | backoff (`retrying` is emitted) |
 * | backoff | the policy's delay passed in ticks | connect (the same hop on a new connection; a download with `Range`) |
 * | any | timeout, or an error thrown inside (a bug) | ended (`RESULT_TIMEOUT`, `RESULT_REQUEST_FAILED`) |
 * | any | `cancelRequest()` | ended (nothing is emitted) |
 *
 * @internal
 */
export class RequestRun {
  /** The current response's body and the progress counts. */
  readonly body: ResponseBody = new ResponseBody();
  readonly #settings: RequestSettings;
  readonly #connection: KeptConnection;
  readonly #proxies: RequestProxies;
  readonly #timings: TimingObserver;
  readonly #bodyData: Signal<[chunk: Uint8Array]>;
  readonly #integrity: string | null;
  /** The range the request asks for; a retried download changes it to continue where it stopped. */
  #range: RequestPlan["range"];
  /** What the current tick will emit. */
  #emissions = new TickEmissions();
  #phase: Phase = "connect";
  #cancelled = false;
  /** Why the request failed, set as it fails, or `""`; see {@link RequestRun.takeReason}. */
  #reason: string | null = null;
  #hop: Hop | null = null;
  #nextHop: Hop | null = null;
  #redirects = 0;
  #reused = false;
  #retried = false;
  #code = 0;
  #headers: string[] = [];
  #waitingRedirect: { readonly hop: Hop; readonly drain: boolean } | null = null;
  /** How many times `proxyLoginHandler` was asked during this request. */
  #loginAttempts = 0;
  /** `HTTPRequest.setBodyPaused`: while true, the body is left in the connection. */
  #bodyHeld = false;
  /** Cookies, cache and logins of this request; null when none is attached. */
  readonly session: RequestSession | null;
  /** The method of the first hop (a stored answer is delivered before any hop starts). */
  readonly #requestMethod: Method | string;
  /** The retries of this request, or null without a policy. */
  readonly #retries: RetryState | null;
  /** The phase timeouts of this request; null when none is set (fixed at `request()`). */
  readonly #timer: PhaseTimer | null;
  /** Seconds of ticks since the request started, as told by {@link RequestRun.advanceTime}. */
  #elapsed = 0;
  /** The hop to send again once the retry wait is over. */
  #retryHop: Hop | null = null;
  /**
   * True for a `downloadFile` download with a retry policy (and no range, resume or integrity of
   * its own): its bytes go to the partial file, so a retry continues with `Range` where the last
   * attempt stopped; the target is only replaced, by a rename, once complete.
   */
  readonly #resumeOnRetry: boolean;
  /** The validator (`ETag`, else `Last-Modified`) of the last body taken, for `If-Range`; `""` for none. */
  #resumeValidator = "";
  /** Whether the last body taken had a content coding (its bytes on disk are then not the wire's: no `Range`). */
  #resumeCoded = false;

  /**
   * Starts the request's first hop (which may end the request at once when it cannot connect).
   *
   * @param init - The plan, the frozen settings and the node's collaborators.
   */
  constructor(init: RequestRunInit) {
    this.#settings = init.settings;
    this.#connection = init.connection;
    this.#proxies = init.proxies;
    this.#timings = init.timings;
    this.#bodyData = init.bodyData;
    this.#integrity = init.plan.integrity;
    this.#range = init.plan.range;
    const retry = init.settings.retry;
    this.#retries = retry === null ? null : new RetryState(retry);
    this.#timer = PhaseTimer.of(init.settings.timeouts);
    this.#resumeOnRetry = retry !== null && init.settings.downloadFile !== "" && init.plan.range === null && init.plan.integrity === null;
    // Written to the partial file from byte 0 (a stale partial file is truncated), kept on failure.
    if (this.#resumeOnRetry) this.#range = { header: null, from: 0, resume: true };
    this.session = init.session;
    this.#requestMethod = init.plan.hop.method;
    const begun = init.session === null ? null : init.session.start();
    if (begun === null || begun.kind === "network") {
      this.#startHop(init.plan.hop);
    } else if (begun.kind === "cached") {
      this.#completeFromCache(begun.code, begun.headers, begun.body);
    } else {
      // only-if-cached with nothing stored: nothing is sent
      this.#reason = begun.reason;
      this.#complete(Result.RESULT_REQUEST_FAILED, EMPTY);
    }
    this.#observePhase(); // the first tick's time counts towards the connect phase, as towards the timeout
  }

  /** True from `request()` until the request ends or is cancelled. */
  isActive(): boolean {
    return this.#phase !== "ended";
  }

  /** True once {@link RequestRun.cancel} was called. */
  isCancelled(): boolean {
    return this.#cancelled;
  }

  /** True when the request ended in this tick and its `requestCompleted` is still to be emitted. */
  hasCompletion(): boolean {
    return this.#emissions.completion !== null;
  }

  /** True when the run has something to emit. */
  hasEmissions(): boolean {
    return !this.#emissions.isEmpty();
  }

  /**
   * Takes what the tick collected; later emissions go to a new collection, for the next tick.
   *
   * @returns The emissions, in a collection of their own.
   */
  takeEmissions(): TickEmissions {
    const batch = this.#emissions;
    this.#emissions = new TickEmissions();
    return batch;
  }

  /**
   * The reason the request failed (or a note it ended with), once: null when nothing new was set
   * since the last call.
   */
  takeReason(): string | null {
    const reason = this.#reason;
    this.#reason = null;
    return reason;
  }

  /**
   * Holds the response body back, or reads it again (`HTTPRequest.setBodyPaused`).
   *
   * @param held - True to leave body bytes in the connection.
   */
  holdBody(held: boolean): void {
    this.#bodyHeld = held;
  }

  /** Stops the request at once and closes the connection; nothing more is emitted. */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.body.abort();
    if (this.#phase !== "ended" && this.#resumeOnRetry) discardPartial(this.#settings.downloadFile);
    this.#connection.close();
    this.#phase = "ended";
    this.#waitingRedirect = null;
    this.#hop = null;
    this.#nextHop = null;
    this.#emissions.clear();
  }

  /**
   * Follows a redirect waiting in `redirectMode` `"manual"`.
   *
   * @returns false when none is waiting.
   */
  followRedirect(): boolean {
    const waiting = this.#waitingRedirect;
    if (waiting === null || this.#phase !== "wait") return false;
    this.#waitingRedirect = null;
    this.#beginNextHop(waiting.hop, waiting.drain);
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
    for (let steps = 0; steps < 32 && this.isActive() && this.#advance(); steps++);
    this.#observePhase();
    return this.#phase === "head" && this.#connection.waitsForHeadOnly();
  }

  /**
   * True when a tick's time matters to the request by itself: a phase timeout is set, or a retry
   * policy counts time (its wait and its budget). A quiet tick of a run that is not timed needs no
   * {@link RequestRun.advanceTime}.
   */
  isTimed(): boolean {
    return this.#retries !== null || this.#timer !== null;
  }

  /**
   * Counts a tick's time before it steps: the wait before a retry, and the phase timeouts.
   *
   * @param seconds - The tick's delta.
   * @returns true when the request moved (the next attempt started, or a phase timed out): the
   * tick must step it even if no byte arrived.
   */
  advanceTime(seconds: number): boolean {
    if (!this.isActive()) return false;
    this.#elapsed += seconds;
    if (this.#phase === "backoff") {
      const hop = this.#retryHop;
      if (this.#retries === null || hop === null || !this.#retries.advance(seconds)) return false;
      this.#retryHop = null;
      this.#reason = ""; // the reason is the last attempt's
      this.#timings.countAttempt();
      this.#hop = hop;
      this.#retried = false;
      this.#connectFresh(hop);
      return true;
    }
    const expired = this.#timer?.advance(seconds) ?? null;
    if (expired === null) return false;
    const reason =
      expired.phase === "connect"
        ? `connectTimeout: not connected to ${this.#hop?.url.host ?? "the host"} after ${expired.limit} s`
        : expired.phase === "head"
          ? `headTimeout: no complete response head ${expired.limit} s after the request was sent`
          : `idleTimeout: no body byte for ${expired.limit} s`;
    this.fail(Result.RESULT_TIMEOUT, reason, true);
    return true;
  }

  /** Seconds of ticks until the run has something timed to do (a retry, a phase timeout), or null. */
  nextDeadline(): number | null {
    if (!this.isActive()) return null;
    if (this.#phase === "backoff") return this.#retries?.nextDeadline() ?? null;
    return this.#timer?.nextDeadline() ?? null;
  }

  /** Tells the phase timer where the request is now (nothing to tell without phase timeouts). */
  #observePhase(): void {
    const timer = this.#timer;
    if (timer === null) return;
    let phase: TimedPhase = null;
    let progress = 0;
    if (this.#phase === "connect" && !this.#reused) {
      phase = "connect";
    } else if (this.#phase === "head") {
      phase = "head";
      progress = this.#connection.getClient()?.getRequestBodyBytesSent() ?? 0;
    } else if ((this.#phase === "body" && !this.#bodyHeld) || this.#phase === "drain") {
      phase = "body"; // a body held back by the application is not a stall
      progress = this.body.downloaded;
    }
    timer.observe(phase, progress);
  }

  /**
   * Ends the request with a failure: drops what was received and closes the connection.
   *
   * @param result - The result to emit.
   * @param reason - Why.
   * @param phaseTimeout - True for a phase timeout (which a retry policy may retry).
   * @returns false (nothing more to step).
   */
  fail(result: Result, reason: string, phaseTimeout = false): boolean {
    this.#reason = reason;
    this.body.abort();
    this.#connection.close();
    if (this.#retryAfter(result, phaseTimeout, reason)) return false;
    this.#complete(result, EMPTY);
    return false;
  }

  /**
   * Asks the retry policy about the attempt that just ended; when it says so, waits (phase
   * `backoff`) before sending the same hop again on a new connection, and notes the `retrying`
   * emission.
   *
   * @returns true when a retry is scheduled.
   */
  #retryAfter(result: Result, phaseTimeout: boolean, reason: string): boolean {
    const retries = this.#retries;
    const hop = this.#hop;
    if (retries === null || hop === null || this.#cancelled) return false;
    // A body handed out through bodyData as it arrives cannot be taken back: not sent again.
    const toFile = this.#settings.downloadFile !== "" && this.#code >= 200 && this.#code < 300;
    if (this.#phase === "body" && this.#bodyData.getConnectionCount() > 0 && !toFile) {
      if (retries.policy.results.has(result)) this.#reason = `${reason} (not retried: the body was being streamed through bodyData)`;
      return false;
    }
    const date = getHeaderValue(this.#headers, "date");
    const decision = retries.decide({
      method: verbOf(hop.method) ?? "GET",
      result,
      phaseTimeout,
      responseCode: this.#code,
      headers: this.#headers,
      elapsed: this.#elapsed,
      now: date === undefined ? Number.NaN : Date.parse(date),
      bodyReplayable: hop.body instanceof Uint8Array || typeof hop.body.replay === "function",
    });
    if (!decision.retry) {
      if (decision.reason !== "" && retries.attempt > 1) this.#reason = `${reason} (attempt ${retries.attempt}; ${decision.reason})`;
      return false;
    }
    let again = hop;
    if (!(hop.body instanceof Uint8Array)) {
      const body = hop.body.replay?.() ?? null;
      if (body === null) {
        this.#reason = `${reason} (not retried: the request body cannot be read again)`;
        return false;
      }
      again = { ...hop, body };
    }
    this.#reason = reason;
    this.#emissions.retrying = [retries.attempt + 1, decision.delay, decision.reason];
    retries.wait(decision.delay);
    this.#retryHop = this.#resumeOnRetry ? this.#resumingHop(again) : again;
    this.#code = 0;
    this.#headers = [];
    this.#phase = "backoff";
    return true;
  }

  /**
   * The hop a retried download sends: with `Range: bytes=N-` for the N bytes the partial file holds
   * (and `If-Range` with the last body's validator, so a changed resource comes whole), or from
   * byte 0 when nothing is held or the bytes held were decoded from a content coding.
   */
  #resumingHop(hop: Hop): Hop {
    const headers = hop.headers.filter((line) => !/^\s*(range|if-range)\s*:/i.test(line));
    const held = this.#resumeCoded ? 0 : heldPartialBytes(this.#settings.downloadFile);
    this.#range = { header: held > 0 ? `Range: bytes=${held}-` : null, from: held, resume: true };
    if (held === 0) return { ...hop, headers };
    const validator = this.#resumeValidator === "" ? [] : [`If-Range: ${this.#resumeValidator}`];
    return { ...hop, headers: [...headers, `Range: bytes=${held}-`, ...validator] };
  }

  /**
   * True when the body has decoded work waiting for the next tick (and is not paused): the node
   * needs a tick even if no byte arrives.
   */
  hasPendingWork(): boolean {
    return this.isActive() && !this.#bodyHeld && this.body.hasPending();
  }

  /** Notes download and upload progress made in this tick. */
  collectProgress(): void {
    const sending = this.#phase !== "connect";
    this.body.collectProgress(this.#connection.getClient(), sending, this.#phase === "body", this.#emissions);
  }

  /** @returns true when something changed and another step may make progress. */
  #advance(): boolean {
    const client = this.#connection.getClient();
    if (client === null) return false;
    client.poll();
    const status = client.getStatus();
    this.#timings.observe(client, status, this.#phase === "head");
    switch (this.#phase) {
      case "connect":
        return this.#advanceConnect(client, status);
      case "head":
        return this.#advanceHead(client, status);
      case "body":
        return this.#advanceBody(client);
      case "drain":
        return this.#advanceDrain(client);
      case "wait":
      case "backoff":
      case "ended":
        return false;
    }
  }

  #advanceConnect(client: HTTPClient, status: Status): boolean {
    const hop = this.#hop;
    if (hop === null) return false;
    switch (status) {
      case Status.STATUS_RESOLVING:
      case Status.STATUS_CONNECTING:
        return false;
      case Status.STATUS_CONNECTED: {
        const headers = this.session === null ? hop.headers : this.session.headersFor(hop);
        const err = client.request(hop.method, hop.url.path, headers, hop.body);
        if (err === Err.ERR_CONNECTION_ERROR) {
          // The connection closed or failed before the request went out.
          if (this.#reused && client.getStatus() === Status.STATUS_DISCONNECTED) {
            this.#connectFresh(hop);
            return true;
          }
          return this.#failFromClient(client, client.getStatus());
        }
        if (err !== Err.OK) return this.fail(Result.RESULT_REQUEST_FAILED, `cannot send the request: ${client.getErrorReason()}`);
        this.#phase = "head";
        return true;
      }
      case Status.STATUS_DISCONNECTED: // a kept connection was closed by the server meanwhile
        this.#connectFresh(hop);
        return true;
      case Status.STATUS_CONNECTION_ERROR: // a kept connection failed while idle (e.g. reset): nothing was sent on it
        if (!this.#reused || client.getFailure()?.code === "internal") return this.#failFromClient(client, status);
        this.#connectFresh(hop);
        return true;
      default:
        if (status === Status.STATUS_CANT_CONNECT && client.getProxyResponseCode() === 407) {
          const retried = this.#retryProxyLogin(client, "https");
          if (retried !== null) return retried;
        }
        return this.#failFromClient(client, status);
    }
  }

  /**
   * A proxy answered 407: asks `proxyLoginHandler` and sends the hop again on a new connection with
   * its credentials.
   *
   * @returns Whether to step on, as `#advance()`; null to end the hop as without a handler.
   */
  #retryProxyLogin(client: HTTPClient, kind: "http" | "https"): boolean | null {
    const hop = this.#hop;
    const handler = this.#settings.proxyLoginHandler;
    if (hop === null || handler === null) return null;
    const proxy = this.#proxies.get(kind);
    if (proxy === null) return null;
    if (this.#loginAttempts >= MAX_PROXY_LOGIN_ATTEMPTS) {
      return this.#endLogin(client, kind, `proxyLoginHandler was asked ${MAX_PROXY_LOGIN_ATTEMPTS} times`);
    }
    this.#loginAttempts++;
    const headers = kind === "https" ? client.getProxyResponseHeaders() : this.#headers;
    const info = { host: proxy.host, port: proxy.port, scheme: kind, realm: proxyRealm(headers), attempt: this.#loginAttempts };
    const answer = askProxyLogin(handler, info);
    if (this.#cancelled) return false; // the handler cancelled the request
    if (answer.kind === "declined") return this.#endLogin(client, kind, answer.note);
    const [givenHost, givenPort] = proxy.given;
    const invalid = this.#proxies.set(kind, givenHost, givenPort, answer.credentials);
    if (invalid !== null) return this.#endLogin(client, kind, `proxyLoginHandler gave unusable credentials: ${invalid}`);
    this.#connection.onProxyChanged(kind, true);
    if (!(hop.body instanceof Uint8Array) && kind === "http") {
      return this.fail(
        Result.RESULT_REQUEST_FAILED,
        "the proxy asked for authentication (407): proxyLoginHandler's credentials are set for the next request, " +
          "but a streamed body cannot be sent again",
      );
    }
    this.#code = 0;
    this.#headers = [];
    this.#connectFresh(hop);
    return true;
  }

  /** No (more) credentials from the login handler: the hop ends as without one, with `note` as the reason. */
  #endLogin(client: HTTPClient, kind: "http" | "https", note: string): boolean | null {
    if (note === "") return null;
    if (kind === "https") return this.fail(Result.RESULT_CANT_CONNECT, `${client.getErrorReason()} (${note})`);
    this.#reason = note;
    return null;
  }

  #advanceHead(client: HTTPClient, status: Status): boolean {
    if (status === Status.STATUS_REQUESTING) return false;
    if (client.hasResponse()) return this.#onHead(client);
    const hop = this.#hop;
    if (
      hop !== null &&
      this.#reused &&
      !this.#retried &&
      client.getResponseWireBytes() === 0 &&
      IDEMPOTENT.has(hop.method) &&
      hop.body instanceof Uint8Array &&
      client.getFailure()?.code !== "internal"
    ) {
      this.#retried = true; // the kept connection was closed by the server before it answered: try once on a new one
      this.#connectFresh(hop);
      return true;
    }
    // Closed before any byte of the response (a reset or a write error is a connection error).
    if (status === Status.STATUS_CONNECTION_ERROR && client.getResponseWireBytes() === 0 && client.getResponseErrorCode() === "truncated") {
      return this.fail(Result.RESULT_NO_RESPONSE, client.getErrorReason());
    }
    return this.#failFromClient(client, status);
  }

  #onHead(client: HTTPClient): boolean {
    const hop = this.#hop;
    if (hop === null) return false;
    this.#code = client.getResponseCode();
    this.#headers = client.getResponseHeaders();
    this.#timings.mark("headersReceived");
    this.body.newResponse();
    if (this.#code === 407 && hop.url.scheme === "http") {
      const retried = this.#retryProxyLogin(client, "http");
      if (retried !== null) return retried;
    }
    const verdict = this.session?.onHead(hop, this.#code, this.#headers);
    if (verdict !== undefined && verdict.kind !== "final") {
      if (verdict.kind === "cached") {
        this.#completeFromCache(verdict.code, verdict.headers, verdict.body);
        return false;
      }
      this.#beginNextHop(hop, client.getResponseBodyLength() >= 0 || client.isResponseChunked(), false); // a login: the same hop again
      return true;
    }
    const { redirectMode, maxRedirects } = this.#settings;
    // A status that is no redirect has nothing to decide.
    const decision = !isRedirectStatus(this.#code)
      ? FINAL
      : decideRedirect({
          code: this.#code,
          headers: this.#headers,
          hop,
          redirects: this.#redirects,
          maxRedirects,
          mode: redirectMode,
          bodyFramed: client.getResponseBodyLength() >= 0 || client.isResponseChunked(),
        });
    if (decision.kind === "fail") return this.fail(decision.result, decision.reason);
    if (decision.kind === "follow") {
      this.#redirects++;
      if (redirectMode === "manual") {
        this.#waitingRedirect = { hop: decision.next, drain: decision.drain };
        this.#emissions.redirect = [this.#code, decision.method, decision.url, this.#headers];
        this.#phase = "wait";
        return false;
      }
      this.#beginNextHop(decision.next, decision.drain);
      return true;
    }
    // A status the policy retries: the response is dropped and the hop sent again after the wait;
    // when it is not retried (no attempts left, not allowed), it is delivered as any response.
    if (
      this.#retries?.policy.statuses.has(this.#code) &&
      this.#retryAfter(Result.RESULT_SUCCESS, false, `the server answered ${this.#code}`)
    ) {
      this.body.abort();
      this.#connection.close();
      return false;
    }
    return this.#startBody(client);
  }

  #startBody(client: HTTPClient): boolean {
    const settings = this.#settings;
    if (this.#resumeOnRetry && this.#code >= 200 && this.#code < 300) {
      const etag = getHeaderValue(this.#headers, "etag")?.trim() ?? "";
      this.#resumeValidator = etag !== "" && !etag.startsWith("W/") ? etag : (getHeaderValue(this.#headers, "last-modified")?.trim() ?? "");
      const coding = getHeaderValue(this.#headers, "content-encoding")?.trim().toLowerCase() ?? "";
      this.#resumeCoded = coding !== "" && coding !== "identity";
    }
    const failure = this.body.begin({
      length: client.getResponseBodyLength(),
      chunked: client.isResponseChunked(),
      code: this.#code,
      headers: this.#headers,
      content: this.#code !== 204 && this.#code !== 205 && this.#hop?.method !== Method.METHOD_HEAD,
      acceptGzip: settings.acceptGzip,
      limit: settings.bodySizeLimit,
      file: settings.downloadFile,
      range: this.#range,
      onData: this.#bodyListener(),
      integrity: this.#integrityCheck(),
    });
    if (failure !== null) return this.#failWith(failure);
    this.#emissions.headers = [this.#code, this.#headers];
    this.#phase = "body";
    return true;
  }

  #advanceBody(client: HTTPClient): boolean {
    const body = this.body;
    if (!body.isTaking() || this.#bodyHeld) return false;
    const failure = body.read(client, this.#settings.downloadChunkSize);
    if (failure !== null) return this.#failWith(failure);
    if (body.hasPending()) return false; // decoded bytes wait for the next tick's budget
    const status = client.getStatus();
    if (status === Status.STATUS_BODY) return false;
    if (status !== Status.STATUS_CONNECTED && status !== Status.STATUS_DISCONNECTED) return this.#failFromClient(client, status);
    const finished = body.finish();
    if (!finished.ok) return this.#failWith(finished);
    if (this.#hop !== null) this.session?.succeeded(this.#hop, this.#code, this.#headers, finished.body, this.#settings.downloadFile);
    this.#complete(Result.RESULT_SUCCESS, finished.body);
    return false;
  }

  /** Reads and drops a redirect's body so the connection can carry the next hop, then starts it. */
  #advanceDrain(client: HTTPClient): boolean {
    const next = this.#nextHop;
    if (next === null || !this.body.drain(client, this.#settings.downloadChunkSize)) return false;
    this.#nextHop = null;
    this.#startHop(next);
    return true;
  }

  #startHop(hop: Hop): void {
    this.#hop = hop;
    this.#retried = false;
    this.#code = 0; // the signal reports the response of the hop that ended the request, not an earlier 3xx
    this.#headers = [];
    if (this.#connection.canReuse(hop.url, this.#settings.tlsOptions, this.#settings.useEnvironmentProxy)) {
      this.#reused = true;
      this.#phase = "connect";
      return;
    }
    this.#connectFresh(hop);
  }

  #connectFresh(hop: Hop): void {
    this.#reused = false;
    const connection = this.#connection;
    const err = connection.open(hop.url, this.#settings.tlsOptions, this.#settings.useEnvironmentProxy);
    this.#timings.connectStarted(connection.getStatus());
    this.#phase = "connect";
    if (err !== Err.OK) this.fail(Result.RESULT_CANT_CONNECT, connection.getClient()?.getErrorReason() ?? "");
  }

  #failFromClient(client: HTTPClient, status: Status): boolean {
    const reason = client.getErrorReason();
    switch (status) {
      case Status.STATUS_CANT_RESOLVE:
        return this.fail(Result.RESULT_CANT_RESOLVE, reason);
      case Status.STATUS_CANT_CONNECT:
        return this.fail(Result.RESULT_CANT_CONNECT, reason);
      case Status.STATUS_TLS_HANDSHAKE_ERROR:
        return this.fail(Result.RESULT_TLS_HANDSHAKE_ERROR, reason);
      default:
        // A bug inside the client is not a connection error: the reason names it.
        if (client.getFailure()?.code === "internal") return this.fail(Result.RESULT_REQUEST_FAILED, reason);
        if (client.getResponseErrorCode() === "length-with-transfer-encoding") {
          return this.fail(Result.RESULT_CHUNKED_BODY_SIZE_MISMATCH, reason);
        }
        return this.fail(Result.RESULT_CONNECTION_ERROR, reason || "connection lost");
    }
  }

  #failWith(failure: CollectFailure): boolean {
    return this.fail(failure.result, failure.reason);
  }

  #complete(result: Result, body: Uint8Array): void {
    // The partial file is the retries' own: renamed over the target on success, removed otherwise.
    if (this.#resumeOnRetry) discardPartial(this.#settings.downloadFile);
    this.#phase = "ended";
    this.#hop = null;
    this.#nextHop = null;
    const client = this.#connection.getClient();
    if (client !== null && client.getStatus() !== Status.STATUS_CONNECTED) this.#connection.close();
    if (result === Result.RESULT_SUCCESS) this.#timings.mark("bodyEnd");
    this.#timings.mark("end");
    this.#emissions.completion = [result, this.#code, this.#headers, body];
  }

  #beginNextHop(next: Hop, drain: boolean, redirect = true): void {
    if (redirect) this.#timings.mark("redirectStart");
    if (!drain) {
      this.#startHop(next);
      return;
    }
    this.#nextHop = next;
    this.body.startDrain();
    this.#phase = "drain";
  }

  /** True when the current response's body goes to `downloadFile` (a 2xx with content), as the body's start decides. */
  #bodyGoesToFile(): boolean {
    const code = this.#code;
    return (
      this.#settings.downloadFile !== "" &&
      code >= 200 &&
      code < 300 &&
      code !== 204 &&
      code !== 205 &&
      (this.#hop?.method ?? this.#requestMethod) !== Method.METHOD_HEAD
    );
  }

  /** Where decoded body pieces go besides the body: `bodyData` listeners and the cache's copy (unless the file has it). */
  #bodyListener(): ((piece: Uint8Array) => void) | undefined {
    if (this.#bodyData.getConnectionCount() === 0) return undefined; // kept in memory: the cache takes the finished body
    const session = this.session?.wantsBody() && !this.#bodyGoesToFile() ? this.session : null;
    // The collection changes at each tick's end: each piece goes to the current one.
    if (session === null) return (piece) => this.#emissions.data.push(piece);
    return (piece) => {
      session.capture(piece);
      this.#emissions.data.push(piece);
    };
  }

  /**
   * Ends the request with a stored response (a cache hit, or a 304 or a 5xx that let the stored
   * one be used), delivered through the same emissions as a response from the network. With
   * `downloadFile` a 2xx body goes to the file (left untouched when it already holds these bytes).
   */
  #completeFromCache(code: number, headers: string[], body: Uint8Array): void {
    this.#code = code;
    this.#headers = headers;
    this.#timings.mark("headersReceived");
    this.body.newResponse();
    this.body.size = body.length;
    const limit = this.#settings.bodySizeLimit;
    if (limit >= 0 && body.length > limit) {
      this.#failFromCache(Result.RESULT_BODY_SIZE_LIMIT_EXCEEDED, `the stored body is larger than bodySizeLimit (${limit} bytes)`);
      return;
    }
    const check = this.#integrityCheck();
    if (check !== undefined) {
      check.update(body);
      const verdict = check.verify();
      if (!verdict.ok) {
        this.#failFromCache(Result.RESULT_REQUEST_FAILED, `integrity check failed: ${verdict.reason}`);
        return;
      }
    }
    this.#emissions.headers = [code, headers];
    const file = this.#settings.downloadFile;
    if (this.#bodyGoesToFile()) {
      // a stored error page is delivered, never written over the file
      const failure = writeCachedFile(file, body);
      if (failure !== null) {
        this.#failFromCache(Result.RESULT_DOWNLOAD_FILE_WRITE_ERROR, `cannot write ${file}: ${failure}`);
        return;
      }
      this.#complete(Result.RESULT_SUCCESS, EMPTY);
      return;
    }
    if (this.#bodyData.getConnectionCount() > 0) {
      if (body.length > 0) this.#emissions.data.push(body);
      this.#complete(Result.RESULT_SUCCESS, EMPTY);
      return;
    }
    this.#complete(Result.RESULT_SUCCESS, body.slice());
  }

  /** Ends a request answered from the cache with a failure; a kept connection stays (it carried nothing of it). */
  #failFromCache(result: Result, reason: string): void {
    this.#reason = reason;
    this.#complete(result, EMPTY);
  }

  /** A fresh check for the current final response, when the request asked for integrity. */
  #integrityCheck(): IntegrityCheck | undefined {
    if (this.#integrity === null) return undefined;
    const created = createIntegrityCheck(this.#integrity);
    return created.ok ? created.check : undefined;
  }
}
