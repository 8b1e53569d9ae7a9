import { Err } from "../../status/err.ts";
import type { CacheOutcome } from "../request-session.ts";
import { Signal } from "../signal.ts";
import type { RequestCompletedArgs } from "../tick-emissions.ts";
import type { TimingSnapshot } from "../timings.ts";
import type { PoolJob, PoolRequestState } from "./pool-job.ts";
import type { RequestPriority } from "./priority.ts";

/** The signals of a {@link PoolRequest} that were made (read) so far. @internal */
export interface PoolRequestEmitters {
  readonly started: Signal<[]> | undefined;
  readonly requestCompleted: Signal<RequestCompletedArgs> | undefined;
  readonly headersReceived: Signal<[responseCode: number, headers: string[]]> | undefined;
  readonly bodyData: Signal<[chunk: Uint8Array]> | undefined;
  readonly downloadProgress: Signal<[received: number, total: number]> | undefined;
  readonly uploadProgress: Signal<[sent: number, total: number]> | undefined;
  readonly redirectReceived: Signal<[responseCode: number, method: string, url: string, headers: string[]]> | undefined;
  readonly retrying: Signal<[attempt: number, delay: number, reason: string]> | undefined;
}

/** The timings of a request that has not started: every phase -1. */
const NO_TIMINGS: TimingSnapshot = Object.freeze({
  dns: -1,
  tcp: -1,
  tls: -1,
  firstSend: -1,
  firstReceive: -1,
  headers: -1,
  body: -1,
  redirect: -1,
  total: -1,
  redirects: 0,
  attempts: 0,
});

/** What a {@link PoolRequest} asks of its pool. @internal */
export interface PoolRequestControl {
  /** Cancels the job (queued or running). */
  cancel(job: PoolJob, reason: string): void;
  /** Changes the priority of a queued job; returns the outcome for `setPriority`. */
  reprioritize(job: PoolJob, priority: RequestPriority): Err;
}

/**
 * One request of an {@link HTTPRequestPool}, returned at once by `pool.request()`. It carries the
 * signals of an `HTTPRequest`, emitted the same way (at the end of the tick, in the same order,
 * with the same arguments), plus {@link PoolRequest.started} when it leaves the queue.
 *
 * Connect to its signals before it starts: right after `request()`, or at the latest in a
 * `started` listener (a signal first read later is not forwarded for this request). `bodyData`
 * follows `HTTPRequest`'s rule: with listeners, the body comes in pieces instead of in
 * `requestCompleted`.
 *
 * @example
 * ```ts
 * declare const pool: HTTPRequestPool;
 * const job = pool.request("http://127.0.0.1:8080/level1.bin", [], Method.METHOD_GET, "", { priority: "high" });
 * if (job.err !== Err.OK) console.log(job.getErrorReason());
 * job.requestCompleted.connect((result, code, headers, body) => console.log(result, code, body.length));
 * ```
 */
export class PoolRequest {
  // The signals are made when first read: a queue of thousands of requests whose callers connect to
  // one or two of them does not carry eight signals each.
  #started: Signal<[]> | undefined;
  #requestCompleted: Signal<RequestCompletedArgs> | undefined;
  #headersReceived: Signal<[responseCode: number, headers: string[]]> | undefined;
  #bodyData: Signal<[chunk: Uint8Array]> | undefined;
  #downloadProgress: Signal<[received: number, total: number]> | undefined;
  #uploadProgress: Signal<[sent: number, total: number]> | undefined;
  #redirectReceived: Signal<[responseCode: number, method: string, url: string, headers: string[]]> | undefined;
  #retrying: Signal<[attempt: number, delay: number, reason: string]> | undefined;

  /**
   * As `HTTPRequest._bodyDataViews`: `bodyData` hands out the tick's pieces as views valid only
   * during the emission. Set before the request starts.
   *
   * @internal
   */
  _bodyDataViews = false;

  /** Emitted when the request leaves the queue and starts on a connection. */
  get started(): Signal<[]> {
    return (this.#started ??= new Signal<[]>("started"));
  }

  /** As `HTTPRequest.requestCompleted`: once, at the end of the tick that finished the request. */
  get requestCompleted(): Signal<RequestCompletedArgs> {
    return (this.#requestCompleted ??= new Signal<RequestCompletedArgs>("request_completed"));
  }

  /** As `HTTPRequest.headersReceived`. */
  get headersReceived(): Signal<[responseCode: number, headers: string[]]> {
    return (this.#headersReceived ??= new Signal("headers_received"));
  }

  /** As `HTTPRequest.bodyData`; connect before the request starts (or in a `started` listener). */
  get bodyData(): Signal<[chunk: Uint8Array]> {
    return (this.#bodyData ??= new Signal("body_data"));
  }

  /** As `HTTPRequest.downloadProgress`. */
  get downloadProgress(): Signal<[received: number, total: number]> {
    return (this.#downloadProgress ??= new Signal("download_progress"));
  }

  /** As `HTTPRequest.uploadProgress`. */
  get uploadProgress(): Signal<[sent: number, total: number]> {
    return (this.#uploadProgress ??= new Signal("upload_progress"));
  }

  /** As `HTTPRequest.redirectReceived` (`redirectMode: "manual"`); answer with {@link PoolRequest.followRedirect} or `cancel()`. */
  get redirectReceived(): Signal<[responseCode: number, method: string, url: string, headers: string[]]> {
    return (this.#redirectReceived ??= new Signal("redirect_received"));
  }

  /** As `HTTPRequest.retrying`: an attempt ended and the retry policy sends the request again after `delay` seconds of ticks. */
  get retrying(): Signal<[attempt: number, delay: number, reason: string]> {
    return (this.#retrying ??= new Signal("retrying"));
  }

  /**
   * A signal the pool emits, or undefined when it was never read (nobody can be connected to it).
   *
   * @internal
   * @param name - The signal.
   * @returns It, if made.
   */
  made<K extends keyof PoolRequestEmitters>(name: K): PoolRequestEmitters[K] {
    switch (name) {
      case "started":
        return this.#started as PoolRequestEmitters[K];
      case "requestCompleted":
        return this.#requestCompleted as PoolRequestEmitters[K];
      case "headersReceived":
        return this.#headersReceived as PoolRequestEmitters[K];
      case "bodyData":
        return this.#bodyData as PoolRequestEmitters[K];
      case "downloadProgress":
        return this.#downloadProgress as PoolRequestEmitters[K];
      case "uploadProgress":
        return this.#uploadProgress as PoolRequestEmitters[K];
      case "retrying":
        return this.#retrying as PoolRequestEmitters[K];
      default:
        return this.#redirectReceived as PoolRequestEmitters[K];
    }
  }

  readonly #job: PoolJob;
  readonly #control: PoolRequestControl;

  /**
   * Made by the pool; use `HTTPRequestPool.request()`.
   *
   * @internal
   * @param job - The pool's record of the request.
   * @param control - The pool's side of `cancel()` and `setPriority()`.
   */
  constructor(job: PoolJob, control: PoolRequestControl) {
    this.#job = job;
    this.#control = control;
  }

  /** `OK` when the request was queued; otherwise why `request()` refused it (`ERR_BUSY`: the queue is full; `ERR_INVALID_PARAMETER`: a bad URL, method, header, priority or option; `ERR_UNCONFIGURED`: the pool is outside a tree). */
  get err(): Err {
    return this.#job.err;
  }

  /** The URL as given. */
  get url(): string {
    return this.#job.url;
  }

  /** The origin the request is queued for and counted against (its first URL's; redirects do not move it). */
  get origin(): string {
    return this.#job.origin;
  }

  /** The file the body is written to, or `""` for in memory. */
  get downloadFile(): string {
    return this.#job.options.downloadFile ?? "";
  }

  /** Where the request stands. */
  getState(): PoolRequestState {
    return this.#job.state;
  }

  /** The rank on the 1–1000 scale (`"high"` 750, `"auto"` 500, `"low"` 250). */
  getPriority(): number {
    return this.#job.rank;
  }

  /**
   * Changes the priority of a request still in the queue. Among requests of the same rank it keeps
   * its place by the time it was queued.
   *
   * @param priority - 1–1000 or `"high"`, `"auto"`, `"low"`.
   * @returns `OK`; `ERR_INVALID_PARAMETER` for a priority out of range; `ERR_UNAVAILABLE` once it left the queue.
   */
  setPriority(priority: RequestPriority): Err {
    return this.#control.reprioritize(this.#job, priority);
  }

  /** Cancels the request: a queued one leaves the queue, a running one is stopped and its connection closed. Nothing is emitted. Does nothing once it ended. */
  cancel(): void {
    this.#control.cancel(this.#job, "cancelled");
  }

  /**
   * Follows a redirect announced by {@link PoolRequest.redirectReceived}.
   *
   * @returns `OK`, or `ERR_UNCONFIGURED` when no redirect is waiting.
   */
  followRedirect(): Err {
    return this.#job.worker?.followRedirect() ?? Err.ERR_UNCONFIGURED;
  }

  /**
   * Holds the response body back while running, as `HTTPRequest.setBodyPaused`: the connection reads
   * no body byte, so back-pressure reaches the server; the request keeps its connection meanwhile.
   * Does nothing unless the request is running (each start is unpaused).
   *
   * @param paused - True to hold the body back, false to read it again.
   */
  setBodyPaused(paused: boolean): void {
    this.#job.worker?.setBodyPaused(paused);
  }

  /** True while the running request's body is held back ({@link PoolRequest.setBodyPaused}). */
  isBodyPaused(): boolean {
    return this.#job.worker?.isBodyPaused() ?? false;
  }

  /** Why the request was refused or failed, or `""`. */
  getErrorReason(): string {
    return this.#job.worker?.getErrorReason() ?? this.#job.reason;
  }

  /** As `HTTPRequest.getTimings()`, measured from the request's start (its time in the queue is not counted); all -1 while queued. */
  getTimings(): TimingSnapshot {
    const job = this.#job;
    return (job.worker ?? job.ranOn)?.getTimings() ?? job.outcome?.timings ?? NO_TIMINGS;
  }

  /** As `HTTPRequest.getDownloadedBytes()`; 0 while queued. */
  getDownloadedBytes(): number {
    const job = this.#job;
    return (job.worker ?? job.ranOn)?.getDownloadedBytes() ?? job.outcome?.downloaded ?? 0;
  }

  /** As `HTTPRequest.getBodySize()`; -1 while queued. */
  getBodySize(): number {
    const job = this.#job;
    return (job.worker ?? job.ranOn)?.getBodySize() ?? job.outcome?.bodySize ?? -1;
  }

  /** As `HTTPRequest.getCacheOutcome()`: `"hit"` when the pool's (or the tree's) HTTP cache answered; `"none"` while queued. */
  getCacheOutcome(): CacheOutcome {
    const job = this.#job;
    return (job.worker ?? job.ranOn)?.getCacheOutcome() ?? job.outcome?.cacheOutcome ?? "none";
  }

  /** As `HTTPRequest.getResumedFrom()`; 0 while queued. */
  getResumedFrom(): number {
    const job = this.#job;
    return (job.worker ?? job.ranOn)?.getResumedFrom() ?? job.outcome?.resumedFrom ?? 0;
  }
}
