import { Err } from "../status/err.ts";
import { Status, statusName } from "../status/status.ts";
import { type Method, verbOf } from "../status/method.ts";
import type { BodySource } from "./body-source.ts";
import { type ConnectionFailure, connectionFailure, internalFailure } from "./connection-failure.ts";
import { formatHostValue, planConnection } from "./connection-plan.ts";
import { DEFAULT_CONNECT_ATTEMPT_DELAY } from "./connect-attempt-delay.ts";
import { Connector } from "./connector.ts";
import { environmentProxySettings, type ProxyEnvironment } from "./environment-proxy.ts";
import { Exchange, type ExchangeOutcome, type InformationalResponse } from "./exchange.ts";
import type { Network } from "./network.ts";
import { NodeNetwork } from "./node-network.ts";
import { type PolledConnection, PollWait } from "./poll-wait.ts";
import { PeerState, type StreamPeer } from "./peer/stream-peer.ts";
import { type ProxyCredentials, type ProxySettings, parseProxySetting } from "./proxy-settings.ts";
import type { ProxyTunnel } from "./proxy-tunnel.ts";
import { planRequestBody } from "./request-body.ts";
import { TLSOptions } from "./tls-options.ts";
import { concatBytes } from "./wire/bytes.ts";
import { hasField, headerFieldsToLines, headersToDictionary } from "./wire/headers.ts";
import { queryStringFromDict, type QueryValue } from "./wire/query-string.ts";
import { RequestHeadCache } from "./wire/request-head-cache.ts";
import { requestTargetOf } from "./wire/request-target.ts";
import type { RequestHeadResult } from "./wire/request-writer.ts";
import type { ResponseErrorCode } from "./wire/response-events.ts";
import { ResponseParser } from "./wire/response-parser.ts";

const MIN_READ_CHUNK = 256;
const MAX_READ_CHUNK = 16 * 1024 * 1024;
const EMPTY = new Uint8Array(0);

/** Options for a new {@link HTTPClient}. */
export interface HTTPClientOptions {
  /** How host names are resolved and connections opened; default a {@link NodeNetwork}. */
  readonly network?: Network;
  /** Initial {@link HTTPClient.readChunkSize}; default 65536. */
  readonly readChunkSize?: number;
  /** Largest accepted response head (status line and headers) in bytes; default 65536. */
  readonly maxHeadBytes?: number;
  /** Most header fields accepted in a response head; default 100. */
  readonly maxHeaderCount?: number;
  /**
   * Seconds a connect to one address may go unanswered before the next address of the host is
   * tried beside it (RFC 8305 "Happy Eyeballs" connection attempt delay); default 0.25. Counted in
   * the time given to {@link HTTPClient.advanceTime}. `Infinity` tries the addresses strictly one
   * after another.
   */
  readonly connectAttemptDelay?: number;
  /** Initial {@link HTTPClient.useEnvironmentProxy}; default false. */
  readonly useEnvironmentProxy?: boolean;
  /**
   * The variables environment proxies are read from, instead of `process.env` (read at each
   * {@link HTTPClient.connectToHost}); for a sandbox or a test.
   */
  readonly proxyEnvironment?: ProxyEnvironment;
}

/**
 * A low-level HTTP/1.1 client driven by {@link HTTPClient.poll}, with the API of Godot 4's
 * `HTTPClient`. Nothing happens between calls: each `poll()` advances the connection as far as the
 * bytes already received allow (several phases in one call when it can) and writes what the socket
 * accepts. No method throws; failures are returned as {@link Err} codes and explained by
 * {@link HTTPClient.getErrorReason}.
 *
 * Its {@link Status} moves as this table says; nothing else changes it.
 *
 * | From | Event | To |
 * | --- | --- | --- |
 * | DISCONNECTED, any | `connectToHost()` accepted | RESOLVING (a host name) or CONNECTING (an IP literal) |
 * | any | `setConnection(peer)` accepted | CONNECTED (open peer) or CONNECTING (peer still connecting) |
 * | RESOLVING | addresses found | CONNECTING |
 * | RESOLVING | lookup failed | CANT_RESOLVE |
 * | CONNECTING | TCP (and proxy tunnel, and TLS) open | CONNECTED |
 * | CONNECTING | no address accepts, or the proxy refuses the tunnel | CANT_CONNECT |
 * | CONNECTING | TLS handshake failed | TLS_HANDSHAKE_ERROR |
 * | CONNECTED | `request()` accepted | REQUESTING |
 * | CONNECTED | the server closed the idle connection, or sent bytes nobody asked for | DISCONNECTED |
 * | REQUESTING | final response head received (1xx heads are kept and skipped) | BODY |
 * | BODY | body complete, connection reusable | CONNECTED |
 * | BODY | body complete, connection not reusable (close-delimited, `Connection: close`, early answer) | DISCONNECTED |
 * | CONNECTING … BODY | connection lost, invalid response, failed upload, or an internal error | CONNECTION_ERROR |
 * | any | `close()` | DISCONNECTED |
 *
 * Each failure is typed: {@link HTTPClient.getFailure} gives its code, its reason and who is at
 * fault (the server, the network, the caller, or a bug in the library).
 *
 * A connection keeps the Node process alive while it is being opened and while a request is in
 * flight (REQUESTING, BODY), as a socket does. Idle in CONNECTED, kept for the next request, it does
 * not: a script that is done exits without `close()`.
 *
 * @example
 * ```ts
 * const client = new HTTPClient();
 * const body: Uint8Array[] = [];
 * let sent = false;
 * client.connectToHost("example.com", 80);
 * // once per frame:
 * client.poll();
 * if (client.getStatus() === Status.STATUS_CONNECTED && !sent) sent = client.request(Method.METHOD_GET, "/", []) === Err.OK;
 * if (client.getStatus() === Status.STATUS_BODY) body.push(client.readResponseBodyChunk());
 * ```
 */
export class HTTPClient {
  #chunkSize = 65536;
  #status: Status = Status.STATUS_DISCONNECTED;
  /** Why the last failure or refused call happened, or `""`. */
  #reason = "";
  /** The typed failure that put the client in a failure status, or null. */
  #failure: ConnectionFailure | null = null;
  /** The request and response in progress or last finished. */
  #exchange: Exchange | null = null;
  readonly #network: Network;
  readonly #maxHeadBytes: number;
  readonly #maxHeaderCount: number;
  #peer: StreamPeer | null = null;
  #parser: ResponseParser;
  #activity: (() => void) | null = null;
  /** True while the open connection has carried no request yet: a close or reset on it is a connection error. */
  #fresh = false;
  readonly #onOutcome = (outcome: ExchangeOutcome): void => this.#applyOutcome(outcome);
  // The route: the proxies for the next connection, the origin of the last `connectToHost` (or
  // `setConnection`) and the way there.
  #httpProxy: ProxySettings | null = null;
  #httpsProxy: ProxySettings | null = null;
  /** `useEnvironmentProxy`. */
  #environmentProxy = false;
  /** The variables read for environment proxies; null for `process.env` at each connect. */
  readonly #proxyEnvironment: ProxyEnvironment | null;
  /** Seconds before a dual-stack connect tries the next address beside a slow one. */
  readonly #attemptDelay: number;
  /** The origin host (lower-cased, IPv6 without brackets), for `Host`. */
  #host = "";
  /** The origin port, for `Host`; -1 before any connection. */
  #port = -1;
  /** TLS settings for the origin, or null for plain HTTP. */
  #tls: TLSOptions | null = null;
  /** The HTTP proxy requests go through (absolute-form targets), or null. */
  #viaHttpProxy: ProxySettings | null = null;
  /** The CONNECT tunnel of the last `connectToHost`, kept for its answer. */
  #tunnel: ProxyTunnel | null = null;
  /** Opens the connection of the last `connectToHost`, until it is open or failed. */
  #connector: Connector | null = null;
  /** The last request head written, reused by identical requests. */
  readonly #heads = new RequestHeadCache();
  /** Blocking mode, and the diagnosis of a loop that never yields. */
  readonly #pollWait: PollWait;
  /** What the poll wait steps and reads of this client. */
  readonly #polled: PolledConnection = {
    step: () => this.#step(),
    status: () => this.#status,
    hasBufferedBytes: () => this.#parser.getBufferedBytes() > 0 || (this.#peer?.getAvailableBytes() ?? 0) > 0,
    mayHaveUnreadBytes: () => this.#parser.getBufferedBytes() > 0 || (this.#exchange !== null && !this.#exchange.peerDrained),
    reason: () => this.#reason,
    explain: (reason: string) => {
      this.#reason = reason;
    },
  };

  /**
   * Creates a disconnected client.
   *
   * @param options - The network to use and limits.
   */
  constructor(options: HTTPClientOptions = {}) {
    this.#network = options.network ?? new NodeNetwork();
    this.#maxHeadBytes = options.maxHeadBytes ?? 65536;
    this.#maxHeaderCount = options.maxHeaderCount ?? 100;
    this.#parser = this.#newParser();
    this.#pollWait = new PollWait(this.#network);
    if (options.readChunkSize !== undefined) this.setReadChunkSize(options.readChunkSize);
    const attemptDelay = options.connectAttemptDelay;
    this.#attemptDelay = attemptDelay !== undefined && attemptDelay > 0 ? attemptDelay : DEFAULT_CONNECT_ATTEMPT_DELAY;
    this.#environmentProxy = options.useEnvironmentProxy === true;
    this.#proxyEnvironment = options.proxyEnvironment ?? null;
  }

  /** The most body bytes one {@link HTTPClient.readResponseBodyChunk} returns (256 … 16 MiB; default 65536). */
  get readChunkSize(): number {
    return this.#chunkSize;
  }

  /** Values outside 256 … 16 MiB are ignored and explained by {@link HTTPClient.getErrorReason}. */
  set readChunkSize(bytes: number) {
    this.setReadChunkSize(bytes);
  }

  /**
   * Sets {@link HTTPClient.readChunkSize}.
   *
   * @param bytes - 256 … 16 777 216.
   * @returns `OK`, or `ERR_PARAMETER_RANGE_ERROR` (the old value is kept).
   */
  setReadChunkSize(bytes: number): Err {
    if (!Number.isInteger(bytes) || bytes < MIN_READ_CHUNK || bytes > MAX_READ_CHUNK) {
      return this.#refuse(
        Err.ERR_PARAMETER_RANGE_ERROR,
        `readChunkSize must be an integer from ${MIN_READ_CHUNK} to ${MAX_READ_CHUNK}, got ${bytes}`,
      );
    }
    this.#chunkSize = bytes;
    return Err.OK;
  }

  /**
   * Godot 4's `blocking_mode_enabled`: when true, {@link HTTPClient.poll} waits (with
   * `Atomics.wait`, never a spin) until it has news for the caller — the status changes or body
   * bytes wait to be read — or {@link HTTPClient.blockingWaitSeconds} pass, then returns as usual.
   * It needs a network whose sockets run off this thread (`ThreadedNetwork`); on another network
   * `poll()` does not wait and {@link HTTPClient.getErrorReason} says why. Default false.
   */
  get blockingModeEnabled(): boolean {
    return this.#pollWait.blocking;
  }

  /** Turns blocking mode on or off (see the getter). */
  set blockingModeEnabled(enabled: boolean) {
    this.#pollWait.blocking = enabled;
  }

  /**
   * Sets {@link HTTPClient.blockingModeEnabled}.
   *
   * @param enabled - True to make `poll()` wait for news.
   */
  setBlockingMode(enabled: boolean): void {
    this.#pollWait.blocking = enabled;
  }

  /** @returns {@link HTTPClient.blockingModeEnabled}. */
  isBlockingModeEnabled(): boolean {
    return this.#pollWait.blocking;
  }

  /** The most seconds one `poll()` waits in blocking mode (from 0; default 1). Other values are ignored. */
  get blockingWaitSeconds(): number {
    return this.#pollWait.waitSeconds;
  }

  /** Sets the bound of a blocking `poll()`; a negative or non-finite value is ignored. */
  set blockingWaitSeconds(seconds: number) {
    if (Number.isFinite(seconds) && seconds >= 0) this.#pollWait.waitSeconds = seconds;
  }

  /**
   * Starts connecting to a host; {@link HTTPClient.poll} drives the connection. A `https://` prefix
   * on the host turns TLS on (with verifying defaults unless `tlsOptions` is given); `http://`
   * turns it off even when `tlsOptions` is given. IPv6 literals may be written with or without brackets.
   *
   * @param host - Host name or IP literal, optionally prefixed with `http://` or `https://`.
   * @param port - 1–65535, or -1 for 80 (plain) / 443 (TLS).
   * @param tlsOptions - TLS settings; null or omitted for plain HTTP unless the host says `https://`.
   * @returns `OK`, or `ERR_INVALID_PARAMETER` for an empty or malformed host or a bad port.
   */
  connectToHost(host: string, port = -1, tlsOptions: TLSOptions | null = null): Err {
    this.close();
    let plan = planConnection(host, port, tlsOptions, this.#httpProxy, this.#httpsProxy);
    if ("invalid" in plan) return this.#refuse(Err.ERR_INVALID_PARAMETER, plan.invalid);
    const scheme = plan.tls === null ? "http" : "https";
    if (this.#environmentProxy && (scheme === "http" ? this.#httpProxy : this.#httpsProxy) === null) {
      const proxy = environmentProxySettings(scheme, plan.host, this.#proxyEnvironment ?? process.env);
      if (proxy !== null && "invalid" in proxy) return this.#refuse(Err.ERR_INVALID_PARAMETER, proxy.invalid);
      if (proxy !== null) {
        const replanned = planConnection(host, port, tlsOptions, scheme === "http" ? proxy : null, scheme === "https" ? proxy : null);
        if ("invalid" in replanned) return this.#refuse(Err.ERR_INVALID_PARAMETER, replanned.invalid);
        plan = replanned;
      }
    }
    this.#host = plan.host;
    this.#port = plan.port;
    this.#tls = plan.tls;
    this.#viaHttpProxy = plan.viaHttpProxy;
    this.#tunnel = plan.target.tunnel;
    this.#connector = new Connector(this.#network, plan.target, this.#attemptDelay);
    this.#connector.setActivityListener(this.#activity);
    this.#status = this.#connector.getPhase() === "resolving" ? Status.STATUS_RESOLVING : Status.STATUS_CONNECTING;
    try {
      this.#stepConnector(); // a failure at once shows in the status, as after a poll()
    } catch (error) {
      this.#fail(internalFailure(error));
    }
    return Err.OK;
  }

  /**
   * Uses a connection opened elsewhere (for instance a `ScriptedPeer`). The client closes what it
   * had, keeps the host and port of the last {@link HTTPClient.connectToHost} for the `Host` header
   * unless others are given, and becomes CONNECTED (or CONNECTING while the peer still is).
   *
   * @param peer - The connection.
   * @param host - The host name for the `Host` header.
   * @param port - The port for the `Host` header.
   * @param tls - Whether the peer is a TLS connection (decides the default port in `Host`).
   * @returns `OK`, or `ERR_INVALID_PARAMETER` when the peer is closed or failed.
   */
  setConnection(peer: StreamPeer, host: string = this.#host, port: number = this.#port, tls: boolean = this.#tls !== null): Err {
    const state = peer.getState();
    if (state !== PeerState.OPEN && state !== PeerState.CONNECTING) {
      return this.#refuse(Err.ERR_INVALID_PARAMETER, "setConnection: the peer is closed or failed");
    }
    this.close();
    this.#tunnel = null;
    this.#viaHttpProxy = null;
    this.#host = host;
    this.#port = port;
    this.#tls = tls ? (this.#tls ?? TLSOptions.client()) : null;
    this.#attachPeer(peer);
    this.#status = state === PeerState.OPEN ? Status.STATUS_CONNECTED : Status.STATUS_CONNECTING;
    this.#fresh = true;
    peer.setIdle?.(state === PeerState.OPEN);
    return Err.OK;
  }

  /** The current connection (also while it is being opened), or null. */
  getConnection(): StreamPeer | null {
    return this.#peer ?? this.#connector?.getPeer() ?? null;
  }

  /**
   * Sets the proxy for plain `http` connections, used from the next {@link HTTPClient.connectToHost}:
   * requests are sent to it with absolute-form targets. Credentials may be given as
   * `user:pass@host` (sent to the proxy as Basic `Proxy-Authorization`, never to the origin).
   *
   * @param host - The proxy host, optionally `user:pass@host`; `""` clears the setting.
   * @param port - The proxy port; -1 clears the setting.
   * @param credentials - Basic credentials for the proxy, as an alternative to `user:pass@host`.
   * @returns `OK`, or `ERR_INVALID_PARAMETER` for a malformed host, port or credentials.
   */
  setHttpProxy(host: string, port: number, credentials?: ProxyCredentials): Err {
    return this.#setProxy("http", host, port, credentials);
  }

  /**
   * Sets the proxy for TLS (`https`) connections, used from the next
   * {@link HTTPClient.connectToHost}: a `CONNECT` tunnel is opened through it and TLS runs to the
   * origin inside (SNI and verification against the origin). Credentials as for
   * {@link HTTPClient.setHttpProxy}.
   *
   * @param host - The proxy host, optionally `user:pass@host`; `""` clears the setting.
   * @param port - The proxy port; -1 clears the setting.
   * @param credentials - Basic credentials for the proxy, as an alternative to `user:pass@host`.
   * @returns `OK`, or `ERR_INVALID_PARAMETER` for a malformed host, port or credentials.
   */
  setHttpsProxy(host: string, port: number, credentials?: ProxyCredentials): Err {
    return this.#setProxy("https", host, port, credentials);
  }

  /**
   * Opt-in: when true, a connection whose scheme has no proxy set (see
   * {@link HTTPClient.setHttpProxy} and {@link HTTPClient.setHttpsProxy}, which win) goes through
   * the proxy the environment names, read at each {@link HTTPClient.connectToHost} as curl reads
   * it: `http_proxy` for plain connections, `https_proxy` for TLS ones, `all_proxy` for both (the
   * lower-case names before the upper-case ones), values `http://[user:pass@]host[:port]` or
   * `host[:port]`; `no_proxy` lists the hosts that go direct (`*`, names matching themselves and
   * their subdomains, IP literals with optional `/bits`). A variable that cannot be used (another
   * proxy scheme, no host) makes `connectToHost` refuse with `ERR_INVALID_PARAMETER` and the reason,
   * rather than connect directly. Default false: the environment is not read.
   */
  get useEnvironmentProxy(): boolean {
    return this.#environmentProxy;
  }

  /** Turns environment proxies on or off (see the getter), from the next `connectToHost`. */
  set useEnvironmentProxy(enabled: boolean) {
    this.#environmentProxy = enabled;
  }

  /**
   * While CONNECTING, whether the TLS handshake is under way (`"tls"`) or the TCP connection and any
   * proxy tunnel are still being opened (`"tcp"`); `""` in other states.
   */
  getConnectStage(): "tcp" | "tls" | "" {
    if (this.#status !== Status.STATUS_CONNECTING) return "";
    return this.#connector?.isTlsStarted() === true ? "tls" : "tcp";
  }

  /**
   * The status code the HTTPS proxy answered the `CONNECT` of the last
   * {@link HTTPClient.connectToHost} with: 2xx when the tunnel opened, the refusal otherwise (a 407
   * asks for proxy credentials: see {@link HTTPClient.getProxyResponseHeaders} for its
   * `Proxy-Authenticate`, then {@link HTTPClient.setHttpsProxy} with credentials and connect again).
   * Kept after the client fails or closes; reset by the next `connectToHost` or `setConnection`.
   *
   * @returns The code, or 0 when no proxy answer was received (no tunnel, or not answered yet).
   */
  getProxyResponseCode(): number {
    return this.#tunnel?.getStatusCode() ?? 0;
  }

  /**
   * The header fields of the proxy's answer to the `CONNECT` (see
   * {@link HTTPClient.getProxyResponseCode}) as `"Name: value"` lines, duplicates kept, e.g.
   * `Proxy-Authenticate: Basic realm="proxy"`.
   *
   * @returns A copy of the lines; empty when no proxy answer was received.
   */
  getProxyResponseHeaders(): string[] {
    return this.#tunnel?.getHeaders() ?? [];
  }

  /** The current status. */
  getStatus(): Status {
    return this.#status;
  }

  /** A human-readable reason for the last failure or refused call (with the underlying cause), or `""`. */
  getErrorReason(): string {
    return this.#reason;
  }

  /**
   * The failure that put the client in CANT_RESOLVE, CANT_CONNECT, TLS_HANDSHAKE_ERROR or
   * CONNECTION_ERROR: a stable code, who is at fault, and the reason (as {@link HTTPClient.getErrorReason}
   * said it then). A refused call does not set it.
   *
   * @returns The failure; null while the client is not in a failure status.
   */
  getFailure(): ConnectionFailure | null {
    return this.#failure;
  }

  /**
   * Registers a function called from Node's event loop when the connection has news (bytes,
   * close, connect). Runners use it to sleep until there is work. `null` removes it.
   *
   * @param listener - The function, or null.
   */
  setActivityListener(listener: (() => void) | null): void {
    this.#activity = listener;
    this.#exchange?.upload?.setActivityListener(listener);
    this.#connector?.setActivityListener(listener);
    this.#peer?.setActivityListener(listener);
  }

  /**
   * Advances the connection as far as the received bytes allow and writes what the socket
   * accepts. Never throws. In blocking mode it first waits for news (see
   * {@link HTTPClient.blockingModeEnabled}). On a `NodeNetwork`, polls repeated while Node's event
   * loop never turns cannot see any byte: {@link HTTPClient.getErrorReason} then says so and names
   * the ways out (yield between polls, or a `ThreadedNetwork`); the status is not changed by it.
   *
   * @returns `OK` while things are fine; `ERR_UNCONFIGURED` when disconnected; `ERR_CANT_RESOLVE`,
   * `ERR_CANT_CONNECT` (also for a failed TLS handshake, as in Godot) or `ERR_CONNECTION_ERROR` on failure.
   */
  poll(): Err {
    const wait = this.#pollWait;
    if (wait.blocking) return wait.pollBlocking(this.#polled);
    // Not blocking: one step, then the diagnosis of a loop that never yields.
    const before = this.#status;
    const result = this.#step();
    wait.diagnose(this.#polled, before);
    return result;
  }

  /**
   * Tells the client that `seconds` of time passed since the last call. The client reads no clock:
   * this is how it learns time for what it times itself — today the dual-stack connect, which tries
   * the next address of a host beside one that has not answered after
   * {@link HTTPClientOptions.connectAttemptDelay}. `HTTPRequest` calls it with each tick's `delta`;
   * a game loop driving a client by hand calls it with its frame delta before {@link HTTPClient.poll}.
   * A client never told the time tries the addresses one after another, each until it fails.
   *
   * @param seconds - Seconds passed; negative or non-finite values are ignored.
   */
  advanceTime(seconds: number): void {
    this.#connector?.advanceTime(seconds);
  }

  /**
   * How much more time (as told by {@link HTTPClient.advanceTime}) has to pass before the client
   * has something timed to do: while a dual-stack connect waits on a slow address, the moment the
   * next address is due. A loop that sleeps between frames wakes by then even if no byte arrives.
   *
   * @returns Seconds from now (0 when due), or null when nothing is timed.
   */
  getNextDeadline(): number | null {
    return this.#connector?.getNextDeadline() ?? null;
  }

  /**
   * Sends a request on a CONNECTED client; the bytes are written by the following `poll()` calls.
   *
   * @param method - A {@link Method} value other than `METHOD_MAX`, or any other method by name as
   * sent on the wire (e.g. `"PROPFIND"`; case-sensitive; it must be a token).
   * @param url - The request target: `/path?query`, an absolute `http(s)://` URL, `*` for OPTIONS,
   * or `host:port` for CONNECT. A `#fragment` is never sent.
   * @param headers - Header lines `"Name: value"`. Host (written first), Content-Length (or
   * Transfer-Encoding for a source of unknown length), User-Agent and Accept are added unless given.
   * @param body - The body: a string (sent as UTF-8), bytes, or a {@link BodySource} streamed as the
   * connection accepts it (see below).
   * @returns `OK`; `ERR_INVALID_PARAMETER` for a bad method, target or header (CR, LF, NUL, no
   * valid name), a caller's `Transfer-Encoding` or a `Content-Length` that does not match the body
   * (the client owns the framing), or when not CONNECTED; `ERR_CONNECTION_ERROR` when the idle
   * connection turns out closed, reset or holding stray bytes (a new connection that carried no
   * request yet then ends in CONNECTION_ERROR; a kept one is dropped, DISCONNECTED);
   * `ERR_INVALID_DATA` without a connection. Nothing is sent on error, and a refused source is not
   * closed.
   *
   * A {@link BodySource} of known length is sent with `Content-Length`, one of length -1 with
   * `Transfer-Encoding: chunked` (each piece a chunk); a caller's own `Content-Length` is honoured
   * instead (a source of unknown length must then yield exactly that many bytes). Each `poll()` writes as much as
   * the connection accepts, reading the source only when the previous piece was taken, so memory
   * stays bounded whatever the size (pieces of a custom source are copied, so it may reuse its
   * buffer). A source that yields more or fewer bytes than the length, or fails, ends the request in
   * CONNECTION_ERROR before a wrong body could look complete. A final response that arrives
   * before the body is sent stops the upload (the connection is not reused). The client closes the
   * source when the body is sent, when the request fails and on `close()`. Progress:
   * {@link HTTPClient.getRequestBodyBytesSent}.
   */
  request(method: Method | string, url: string, headers: readonly string[], body: string | Uint8Array | BodySource = EMPTY): Err {
    try {
      return this.#request(method, url, headers, body);
    } catch (error) {
      return this.#fail(internalFailure(error));
    }
  }

  /**
   * Reads the body bytes that have arrived, at most {@link HTTPClient.readChunkSize}. When the body
   * is complete the status becomes CONNECTED (or DISCONNECTED when the connection cannot be reused);
   * a body cut short ends in CONNECTION_ERROR. Returns an empty array when no byte is waiting.
   *
   * The array belongs to the caller and may be kept as long as wanted (it is a copy, as in Godot).
   * {@link HTTPClient.readResponseBodyPiece} avoids that copy.
   *
   * @returns The bytes, in an array of their own.
   */
  readResponseBodyChunk(): Uint8Array {
    const first = this.readResponseBodyPiece(this.#chunkSize);
    if (first.length === 0) return first;
    if (first.length === this.#chunkSize) return first.slice();
    const pieces = [first];
    let total = first.length;
    while (total < this.#chunkSize) {
      const piece = this.readResponseBodyPiece(this.#chunkSize - total);
      if (piece.length === 0) break;
      pieces.push(piece);
      total += piece.length;
    }
    return pieces.length === 1 ? first.slice() : concatBytes(pieces);
  }

  /**
   * Reads one contiguous piece of body without copying: a view into received bytes of at most
   * `maxBytes`. Call it until it returns an empty array to drain what has arrived. Same status
   * changes as {@link HTTPClient.readResponseBodyChunk}.
   *
   * **Validity:** the view points into the connection's receive memory, which is reused. It stays
   * valid until the next {@link HTTPClient.poll} of this client; after that call its bytes may be
   * overwritten by later data, of this or another connection. Consume it before (write it, hash
   * it, parse it) or copy it (`piece.slice()`) to keep it. Other calls, `close()` included, do not
   * end its validity.
   *
   * @param maxBytes - The most bytes to return (at least 1).
   * @returns A view of body bytes, or an empty array when none is waiting.
   */
  readResponseBodyPiece(maxBytes: number = this.#chunkSize): Uint8Array {
    const exchange = this.#exchange;
    const peer = this.#peer;
    if (this.#status !== Status.STATUS_BODY || exchange === null || peer === null) return EMPTY;
    try {
      return exchange.nextBodyPiece(peer, Math.max(1, Math.floor(maxBytes)), this.#onOutcome);
    } catch (error) {
      this.#fail(internalFailure(error));
      return EMPTY;
    }
  }

  /** Closes the connection and forgets the response. The client becomes DISCONNECTED. */
  close(): void {
    this.#connector?.cancel();
    this.#connector = null;
    this.#releasePeer();
    this.#exchange?.closeUpload();
    this.#exchange = null;
    this.#failure = null;
    this.#parser = this.#newParser();
    this.#status = Status.STATUS_DISCONNECTED;
  }

  /**
   * Builds a query string with Godot's rules: keys and values percent-encoded (space as `%20`),
   * arrays repeated as `key=a&key=b`, `null` as a bare key.
   *
   * @param fields - The fields, in order.
   * @returns The query string without a leading `?`.
   */
  queryStringFromDict(fields: Readonly<Record<string, QueryValue>>): string {
    return queryStringFromDict(fields);
  }

  /** True once the head of a final response has been received (also when it has no header fields). */
  hasResponse(): boolean {
    return this.#exchange?.head != null;
  }

  /** The status code of the last response, or 0. */
  getResponseCode(): number {
    return this.#exchange?.head?.statusCode ?? 0;
  }

  /** The header fields of the last response as `"Name: value"` lines, in order, duplicates kept. Not destructive. */
  getResponseHeaders(): string[] {
    return this.#exchange?.headerLines.slice() ?? [];
  }

  /**
   * The header fields of the last response as a dictionary with lower-cased names; a name that
   * occurs more than once (Set-Cookie) maps to an array of its values in order. Not destructive.
   *
   * @returns The dictionary.
   */
  getResponseHeadersAsDictionary(): Record<string, string | string[]> {
    return headersToDictionary(this.#exchange?.headerLines ?? []);
  }

  /** The trailer fields of the last chunked response, once its body has been read to the end. */
  getResponseTrailers(): string[] {
    return headerFieldsToLines(this.#exchange?.trailers ?? []);
  }

  /** The interim (1xx) responses that came before the last final response. */
  getInformationalResponses(): readonly InformationalResponse[] {
    return this.#exchange?.interim ?? [];
  }

  /**
   * The length of the body that follows this response's head on the wire, by one rule (the same
   * as `HTTPRequest.getBodySize()`): 0 when the response can have no body (an answer to HEAD, 1xx,
   * 204, 304, a 2xx to CONNECT, `Content-Length: 0`) whatever its headers announce; the
   * `Content-Length` for a length-delimited body; -1 when the length is unknown (chunked or
   * close-delimited), and before a head arrived. Godot returns -1 for a HEAD answer with a
   * `Content-Length` (see docs/differences.md).
   */
  getResponseBodyLength(): number {
    const head = this.#exchange?.head;
    if (head == null) return -1;
    return head.framing === "length" || head.framing === "none" ? head.contentLength : -1;
  }

  /** True when the last response uses chunked transfer coding. */
  isResponseChunked(): boolean {
    return this.#exchange?.head?.chunked ?? false;
  }

  /** Body bytes handed out so far for the last response (after de-chunking). */
  getResponseBodyBytesRead(): number {
    return this.#exchange?.bodyRead ?? 0;
  }

  /** Bytes of the last response taken from the connection so far, head included, as on the wire. 0 means the server sent nothing. */
  getResponseWireBytes(): number {
    return this.#exchange?.wireBytes ?? 0;
  }

  /**
   * Why the last response was rejected, as a stable code: `truncated`, `too-large`,
   * `length-with-transfer-encoding` or `malformed`; `""` when the response was fine or the failure
   * was not about its bytes (see `getErrorReason()` for the words).
   */
  getResponseErrorCode(): ResponseErrorCode | "" {
    return this.#exchange?.errorCode ?? "";
  }

  /**
   * Body bytes of the current (or last) request accepted by the connection so far, without chunk
   * framing. With a {@link BodySource} this grows across polls as the connection takes the body;
   * it stops when the server answers early or the request fails.
   *
   * @returns The byte count; 0 before any request.
   */
  getRequestBodyBytesSent(): number {
    return this.#exchange?.upload?.getBytesSent() ?? 0;
  }

  /**
   * The body length of the current (or last) request: the in-memory body's size, the source's
   * length, or the `Content-Length` the caller gave.
   *
   * @returns The length in bytes; -1 when unknown (a source sent chunked); 0 without a body or request.
   */
  getRequestBodyLength(): number {
    return this.#exchange?.upload?.length ?? 0;
  }
  /** One step of the state machine; an error thrown inside is a bug, reported as one (never as a network fault). */
  #step(): Err {
    try {
      return this.#poll();
    } catch (error) {
      return this.#fail(internalFailure(error));
    }
  }

  #poll(): Err {
    // Body pieces handed out since the last poll() are no longer in use: the peer may reuse their
    // memory, except under the bytes the parser still reads from it.
    this.#peer?.releaseReads?.(this.#parser.getHeldInputBytes());
    switch (this.#status) {
      case Status.STATUS_REQUESTING:
        return this.#stepRequesting();
      case Status.STATUS_BODY:
        return this.#checkBody();
      case Status.STATUS_CONNECTED:
        return this.#checkIdle();
      case Status.STATUS_RESOLVING:
      case Status.STATUS_CONNECTING:
        return this.#stepConnector();
      default:
        return this.#pollStopped();
    }
  }

  /** Polled while not connected or failed: nothing to do but say so. */
  #pollStopped(): Err {
    switch (this.#status) {
      case Status.STATUS_CANT_RESOLVE:
        return Err.ERR_CANT_RESOLVE;
      case Status.STATUS_CANT_CONNECT:
        return Err.ERR_CANT_CONNECT;
      case Status.STATUS_CONNECTION_ERROR:
      case Status.STATUS_TLS_HANDSHAKE_ERROR:
        return Err.ERR_CONNECTION_ERROR;
      default:
        if (this.#reason === "") this.#reason = "poll(): the client is not connected (STATUS_DISCONNECTED); call connectToHost() first";
        return Err.ERR_UNCONFIGURED;
    }
  }

  #request(method: Method | string, url: string, headers: readonly string[], body: string | Uint8Array | BodySource): Err {
    const verb = verbOf(method);
    if (verb === undefined) return this.#refuse(Err.ERR_INVALID_PARAMETER, `invalid method ${String(method)}`);
    // A fragment is never part of a request target (RFC 9110 §7.1): it stays on this side.
    const target = requestTargetOf(verb, url);
    if (typeof target !== "string") return this.#refuse(Err.ERR_INVALID_PARAMETER, target.reason);
    // Bytes or a close that arrived since the last poll() make an idle connection unusable: a
    // stray byte must never be read as the answer to this request. The arguments were fine: the
    // connection failed (a fresh one: STATUS_CONNECTION_ERROR) or was closed (a kept one).
    if (this.#status === Status.STATUS_CONNECTED && this.#peer !== null) {
      this.#checkIdle();
      if (this.#status !== Status.STATUS_CONNECTED) return Err.ERR_CONNECTION_ERROR;
    }
    if (this.#status !== Status.STATUS_CONNECTED) {
      return this.#refuse(Err.ERR_INVALID_PARAMETER, `request() needs STATUS_CONNECTED, the client is in ${statusName(this.#status)}`);
    }
    const peer = this.#peer;
    if (peer === null) return this.#refuse(Err.ERR_INVALID_DATA, "request(): no connection");
    const plan = planRequestBody(headers, body);
    if (!plan.ok) return this.#refuse(Err.ERR_INVALID_PARAMETER, plan.reason);
    const written = this.#writeHead(verb, target, headers, plan.headLength, plan.chunked);
    if (!written.ok) return this.#refuse(Err.ERR_INVALID_PARAMETER, written.reason);
    this.#fresh = false;
    const expect = { headRequest: verb === "HEAD", upgradeRequested: hasField(headers, "upgrade") };
    this.#exchange = new Exchange(this.#parser, [written.bytes], expect, plan.start?.() ?? null);
    this.#exchange.upload?.setActivityListener(this.#activity);
    this.#status = Status.STATUS_REQUESTING;
    peer.setIdle?.(false); // a request in flight keeps the process alive until its response is in
    return Err.OK;
  }

  /**
   * The head of a request to the origin by the route of the last `connectToHost`: through an HTTP
   * proxy, an absolute-form target and the proxy's credentials (for the proxy only).
   */
  #writeHead(verb: string, url: string, headers: readonly string[], bodyLength: number, chunked: boolean): RequestHeadResult {
    const proxy = this.#viaHttpProxy;
    let target = url;
    let allHeaders = headers;
    if (proxy !== null) {
      if (url.startsWith("/")) target = `http://${formatHostValue(this.#host, this.#port, this.#tls !== null)}${url}`;
      if (proxy.authorization !== "") allHeaders = [...headers, `Proxy-Authorization: ${proxy.authorization}`];
    }
    const tls = this.#tls !== null;
    return this.#heads.write({ method: verb, target, host: this.#host, port: this.#port, tls, headers: allHeaders, bodyLength, chunked });
  }

  #stepConnector(): Err {
    const connector = this.#connector;
    if (connector === null) {
      // A peer given to setConnection() while it was still connecting.
      const peer = this.#peer;
      if (peer === null) return this.#broken("CONNECTING without a connector or a connection");
      const state = peer.getState();
      if (state === PeerState.CONNECTING) return Err.OK;
      if (state !== PeerState.OPEN)
        return this.#fail(connectionFailure("connection-lost", peer.getError()?.message ?? "connection closed"));
      this.#markConnected(peer, true);
      return this.#checkIdle();
    }
    connector.step();
    switch (connector.getPhase()) {
      case "resolving":
        return Err.OK;
      case "connecting":
        this.#status = Status.STATUS_CONNECTING;
        connector.getPeer()?.setActivityListener(this.#activity);
        return Err.OK;
      case "open": {
        const peer = connector.takePeer();
        this.#connector = null;
        if (peer === null) return this.#fail(connectionFailure("connection-lost", "connection lost"));
        this.#attachPeer(peer);
        this.#markConnected(peer, true);
        return Err.OK;
      }
      case "cant-resolve":
        return this.#fail(connectionFailure("cant-resolve", connector.getReason()));
      case "cant-connect":
        return this.#fail(connectionFailure("cant-connect", connector.getReason()));
      case "tls-failed":
        return this.#fail(connectionFailure("tls-handshake", connector.getReason()));
    }
  }

  /** Open with no request in flight: CONNECTED, and the peer idle, so it does not keep the process alive. */
  #markConnected(peer: StreamPeer | null, fresh = false): void {
    if (fresh) this.#fresh = true;
    this.#status = Status.STATUS_CONNECTED;
    peer?.setIdle?.(true);
  }

  /** An idle keep-alive connection: notice a close, a failure, or bytes nobody asked for. */
  #checkIdle(): Err {
    const peer = this.#peer;
    if (peer === null) return this.#broken("CONNECTED without a connection");
    const quiet =
      peer.getState() === PeerState.OPEN && !peer.isEnded() && this.#parser.getBufferedBytes() === 0 && peer.getAvailableBytes() === 0;
    return quiet ? Err.OK : this.#idleChanged(peer);
  }

  /** The idle connection failed, was closed, or received bytes: it fails or is dropped. */
  #idleChanged(peer: StreamPeer): Err {
    if (peer.getState() === PeerState.ERROR) {
      return this.#fail(connectionFailure("connection-lost", peer.getError()?.message ?? "connection failed"));
    }
    if (this.#parser.getBufferedBytes() > 0 || peer.getAvailableBytes() > 0) {
      this.#dropConnection("the server sent bytes that belong to no request; connection closed");
    } else if (this.#fresh) {
      // Closed (ended, or no longer open). A kept connection the server closed while idle is an
      // ordinary end; a new one closed before it carried any request is a connection error (as a
      // reset is).
      return this.#fail(connectionFailure("connection-lost", "the server closed the connection before any request was sent on it"));
    } else {
      this.#dropConnection("the server closed the idle connection");
    }
    return Err.OK;
  }

  #stepRequesting(): Err {
    const exchange = this.#exchange;
    const peer = this.#peer;
    if (exchange === null || peer === null) return this.#broken("REQUESTING without an exchange or a connection");
    const outcome = exchange.stepHead(peer);
    if (outcome.kind === "wait") return Err.OK;
    if (outcome.kind === "failed") return this.#fail(outcome.failure);
    this.#status = Status.STATUS_BODY;
    return this.#checkBody();
  }

  /** In BODY: completes a message without body at once, and notices a dead connection. */
  #checkBody(): Err {
    const exchange = this.#exchange;
    const peer = this.#peer;
    if (exchange === null || peer === null) return this.#broken("BODY without an exchange or a connection");
    if (exchange.head?.framing === "none" || exchange.isPeerDead(peer)) {
      // No body byte is left to hand out: the message completes (a body already read in full
      // before the connection failed is still a success), or fails as cut short.
      exchange.nextBodyPiece(peer, 1, this.#onOutcome);
    }
    return this.#status === Status.STATUS_CONNECTION_ERROR ? Err.ERR_CONNECTION_ERROR : Err.OK;
  }

  #applyOutcome(outcome: ExchangeOutcome): void {
    if (outcome.kind === "failed") {
      this.#fail(outcome.failure);
    } else if (outcome.kind === "done") {
      if (outcome.reusable) {
        this.#markConnected(this.#peer);
      } else {
        this.#dropConnection(outcome.reason);
      }
    }
  }

  #attachPeer(peer: StreamPeer): void {
    this.#peer = peer;
    peer.setActivityListener(this.#activity);
  }

  #releasePeer(): void {
    if (this.#peer !== null) {
      this.#peer.setActivityListener(null);
      this.#peer.close();
      this.#peer = null;
    }
  }

  /** Closes the connection without an error: the response (if any) stays readable. */
  #dropConnection(reason: string): void {
    if (reason !== "") this.#reason = reason;
    this.#exchange?.closeUpload();
    this.#releasePeer();
    this.#parser = this.#newParser();
    this.#status = Status.STATUS_DISCONNECTED;
  }

  /** A state the client must never be in (a bug): ends the connection as an internal failure. */
  #broken(what: string): Err {
    return this.#fail(internalFailure(new Error(what)));
  }

  /** Ends the connection in the failure status of `failure`'s code. */
  #fail(failure: ConnectionFailure): Err {
    this.#connector?.cancel();
    this.#connector = null;
    this.#releasePeer();
    this.#exchange?.closeUpload();
    this.#reason = failure.reason;
    this.#failure = failure;
    switch (failure.code) {
      case "cant-resolve":
        this.#status = Status.STATUS_CANT_RESOLVE;
        return Err.ERR_CANT_RESOLVE;
      case "cant-connect":
        this.#status = Status.STATUS_CANT_CONNECT;
        return Err.ERR_CANT_CONNECT;
      case "tls-handshake":
        this.#status = Status.STATUS_TLS_HANDSHAKE_ERROR;
        return Err.ERR_CANT_CONNECT;
      case "internal":
        this.#status = Status.STATUS_CONNECTION_ERROR;
        return Err.ERR_BUG;
      default:
        this.#status = Status.STATUS_CONNECTION_ERROR;
        return Err.ERR_CONNECTION_ERROR;
    }
  }

  #setProxy(kind: "http" | "https", host: string, port: number, credentials: ProxyCredentials | undefined): Err {
    const parsed = parseProxySetting(host, port, credentials);
    if (parsed !== null && "invalid" in parsed) return this.#refuse(Err.ERR_INVALID_PARAMETER, parsed.invalid);
    if (kind === "http") this.#httpProxy = parsed;
    else this.#httpsProxy = parsed;
    return Err.OK;
  }

  /** Records why a call was refused and returns its code. */
  #refuse(err: Err, reason: string): Err {
    this.#reason = reason;
    return err;
  }

  #newParser(): ResponseParser {
    return new ResponseParser({ maxHeadBytes: this.#maxHeadBytes, maxHeaderCount: this.#maxHeaderCount });
  }
}
