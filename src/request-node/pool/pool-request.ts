import { Err } from "../../status/err.ts";
import { Signal } from "../signal.ts";
import type { RequestCompletedArgs } from "../tick-emissions.ts";
import type { TimingSnapshot } from "../timings.ts";
import type { PoolJob, PoolRequestState } from "./pool-job.ts";
import type { RequestPriority } from "./priority.ts";

/** The timings of a request that has not started: every phase -1. */
const NO_TIMINGS: TimingSnapshot = Object.freeze({ dns: -1, tcp: -1, tls: -1, firstSend: -1, firstReceive: -1, headers: -1, body: -1, redirect: -1, total: -1, redirects: 0 });

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
 * `bodyData` follows `HTTPRequest`'s rule: connect to it before the request starts (right after
 * `request()`) to receive the body in pieces instead of in `requestCompleted`.
 *
 * @example
 * ```ts
 * const job = pool.request("http://127.0.0.1:8080/level1.bin", [], Method.METHOD_GET, "", { priority: "high" });
 * if (job.err !== Err.OK) console.log(job.getErrorReason());
 * job.requestCompleted.connect((result, code, headers, body) => console.log(result, code, body.length));
 * ```
 */
export class PoolRequest {
  /** Emitted when the request leaves the queue and starts on a connection. */
  readonly started: Signal<[]> = new Signal<[]>("started");
  /** As `HTTPRequest.requestCompleted`: once, at the end of the tick that finished the request. */
  readonly requestCompleted: Signal<RequestCompletedArgs> = new Signal<RequestCompletedArgs>("request_completed");
  /** As `HTTPRequest.headersReceived`. */
  readonly headersReceived: Signal<[responseCode: number, headers: string[]]> = new Signal();
  /** As `HTTPRequest.bodyData`; connect before the request starts. */
  readonly bodyData: Signal<[chunk: Uint8Array]> = new Signal();
  /** As `HTTPRequest.downloadProgress`. */
  readonly downloadProgress: Signal<[received: number, total: number]> = new Signal();
  /** As `HTTPRequest.uploadProgress`. */
  readonly uploadProgress: Signal<[sent: number, total: number]> = new Signal();
  /** As `HTTPRequest.redirectReceived` (`redirectMode: "manual"`); answer with {@link PoolRequest.followRedirect} or `cancel()`. */
  readonly redirectReceived: Signal<[responseCode: number, method: string, url: string, headers: string[]]> = new Signal();

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

  /** Why the request was refused or failed, or `""`. */
  getErrorReason(): string {
    return this.#job.worker?.getErrorReason() ?? this.#job.reason;
  }

  /** As `HTTPRequest.getTimings()`, measured from the request's start (its time in the queue is not counted); all -1 while queued. */
  getTimings(): TimingSnapshot {
    return this.#job.worker?.getTimings() ?? this.#job.outcome?.timings ?? NO_TIMINGS;
  }

  /** As `HTTPRequest.getDownloadedBytes()`; 0 while queued. */
  getDownloadedBytes(): number {
    return this.#job.worker?.getDownloadedBytes() ?? this.#job.outcome?.downloaded ?? 0;
  }

  /** As `HTTPRequest.getBodySize()`; -1 while queued. */
  getBodySize(): number {
    return this.#job.worker?.getBodySize() ?? this.#job.outcome?.bodySize ?? -1;
  }

  /** As `HTTPRequest.getResumedFrom()`; 0 while queued. */
  getResumedFrom(): number {
    return this.#job.worker?.getResumedFrom() ?? this.#job.outcome?.resumedFrom ?? 0;
  }
}
