/**
 * The default delay, in seconds, before a dual-stack connect starts the next address of a host
 * beside a connect that has not answered (RFC 8305's "Connection Attempt Delay", 250 ms): see
 * `HTTPClientOptions.connectAttemptDelay`.
 */
export const DEFAULT_CONNECT_ATTEMPT_DELAY = 0.25;
