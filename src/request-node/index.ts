export { HTTPRequest, type HTTPRequestOptions, type RequestOptions } from "./http-request.ts";
export type { HeaderRecord, RequestHeaders } from "./request-arguments.ts";
export type { RequestCompletedArgs } from "./tick-emissions.ts";
export type { RedirectMode } from "./request-settings.ts";
export { MAX_PROXY_LOGIN_ATTEMPTS, type ProxyLoginInfo, type ProxyLoginHandler } from "./proxy-login.ts";
export { MAX_AUTH_LOGIN_ATTEMPTS, type AuthLoginInfo, type AuthLoginHandler } from "./auth-login.ts";
export type { CacheOutcome, CredentialsMode } from "./request-session.ts";
export { Signal, type ConnectOptions, type SignalListener, type ListenerErrorHandler } from "./signal.ts";
export { Node } from "./node.ts";
export { SceneTree, MAX_EXTRA_PASSES, type NodeCallback, type SceneTreeOptions } from "./scene-tree.ts";
export { TreeRunner, type TreeRunnerOptions, type RunMode, type TreeScheduler } from "./runner.ts";
export { createMultipartBody, type MultipartPart, type MultipartOptions, type MultipartResult } from "./multipart.ts";
export {
  createIntegrityCheck,
  parseIntegrity,
  type IntegrityAlgorithm,
  type IntegrityCheck,
  type IntegrityCheckResult,
  type IntegrityMetadata,
  type IntegrityVerdict,
} from "./integrity.ts";
export { partialPathOf, PARTIAL_SUFFIX } from "./download-sink.ts";
export {
  RetryPolicy,
  seededRandom,
  parseRetryAfter,
  type RetryPolicyInit,
  type AttemptOutcome,
  type RetryDecision,
} from "./retry-policy.ts";
export { RequestTimings, type TimingEvent, type TimingSnapshot } from "./timings.ts";
export {
  formatRangeHeader,
  parseContentRange,
  planResume,
  type ContentRange,
  type RangeHeaderResult,
  type ResumeResponse,
  type ResumePlan,
} from "./range.ts";
export { HTTPRequestPool, type HTTPRequestPoolOptions, type PoolProxy, type PoolRequestOptions } from "./pool/request-pool.ts";
export { PoolRequest } from "./pool/pool-request.ts";
export type { PoolRequestState } from "./pool/pool-job.ts";
export {
  priorityRank,
  PRIORITY_AUTO,
  PRIORITY_HIGH,
  PRIORITY_LOW,
  PRIORITY_MAX,
  PRIORITY_MIN,
  type RequestPriority,
} from "./pool/priority.ts";
export {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_ORIGIN,
  DEFAULT_MAX_NEW_CONNECTIONS_PER_TICK,
  DEFAULT_MAX_QUEUED,
  DEFAULT_MAX_STARTS_PER_TICK,
  DEFAULT_TICK_BUDGET_MS,
} from "./pool/pool-options.ts";
