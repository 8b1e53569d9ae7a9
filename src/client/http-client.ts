import { Err } from "../status/err.ts";
import { Method, methodVerb } from "../status/method.ts";
import { Status } from "../status/status.ts";
import { Connector } from "./connector.ts";
import { Exchange, type ExchangeOutcome } from "./exchange.ts";
import type { BodySource } from "./body-source.ts";
import { planRequestBody } from "./request-body.ts";
import { HTTPUploadProgress } from "./upload-progress.ts";
import type { Network } from "./network.ts";
import { NodeNetwork } from "./node-network.ts";
import { PeerState, type StreamPeer } from "./peer/stream-peer.ts";
import { formatHostValue, planConnection } from "./connection-plan.ts";
import type { ProxyTunnel } from "./proxy-tunnel.ts";
import { parseProxySetting, type ProxyCredentials, type ProxySettings } from "./proxy-settings.ts";
import { TLSOptions } from "./tls-options.ts";
import { queryStringFromDict, type QueryValue } from "./wire/query-string.ts";
import { RequestHeadCache } from "./wire/request-head-cache.ts";
import { validateRequestTarget } from "./wire/request-writer.ts";
import { ResponseParser } from "./wire/response-parser.ts";
import { concatBytes } from "./bytes.ts";

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
}

/**
 * A low-level HTTP/1.1 client driven by {@link HTTPClient.poll}, with the API of Godot 4's
 * `HTTPClient`. Nothing happens between calls: each `poll()` advances the connection as far as the
 * bytes already received allow (several phases in one call when it can) and writes what the socket
 * accepts. No method throws; failures are returned as {@link Err} codes and explained by
 * {@link HTTPClient.getErrorReason}.
 *
 * Status moves RESOLVING → CONNECTING → CONNECTED → REQUESTING → BODY → CONNECTED (keep-alive) or
 * DISCONNECTED (close-delimited body or a connection that cannot be reused), or to CANT_RESOLVE,
 * CANT_CONNECT, CONNECTION_ERROR or TLS_HANDSHAKE_ERROR.
 *
 * A connection keeps the Node process alive while it is being opened and while a request is in
 * flight (REQUESTING, BODY), as a socket does. Idle in CONNECTED, kept for the next request, it does
 * not: a script that is done exits without `close()`.
 *
 * @example
 * ```ts
 * const client = new HTTPClient();
 * client.connectToHost("example.com", 80);
 * // once per frame:
 * client.poll();
 * if (client.getStatus() === Status.STATUS_CONNECTED && !sent) sent = client.request(Method.METHOD_GET, "/", []) === Err.OK;
 * if (client.getStatus() === Status.STATUS_BODY) body.push(client.readResponseBodyChunk());
 * ```
 */
export class HTTPClient extends HTTPUploadProgress {
  private readonly network: Network;
  private readonly maxHeadBytes: number;
  private readonly maxHeaderCount: number;
  private status: Status = Status.STATUS_DISCONNECTED;
  private reason = "";
  private chunkSize = 65536;
  private connector: Connector | null = null;
  private peer: StreamPeer | null = null;
  private host = "";
  private port = -1;
  private tls: TLSOptions | null = null;
  private httpProxy: ProxySettings | null = null;
  private httpsProxy: ProxySettings | null = null;
  private viaHttpProxy: ProxySettings | null = null;
  /** The CONNECT tunnel of the last {@link HTTPClient.connectToHost}, kept for its answer. */
  private tunnel: ProxyTunnel | null = null;
  private parser: ResponseParser;
  /** The last request head written, reused by identical requests. */
  private readonly heads = new RequestHeadCache();
  private activity: (() => void) | null = null;
  private readonly onOutcome = (outcome: ExchangeOutcome): void => this.applyOutcome(outcome);

  /**
   * Creates a disconnected client.
   *
   * @param options - The network to use and limits.
   */
  constructor(options: HTTPClientOptions = {}) {
    super();
    this.network = options.network ?? new NodeNetwork();
    this.maxHeadBytes = options.maxHeadBytes ?? 65536;
    this.maxHeaderCount = options.maxHeaderCount ?? 100;
    if (options.readChunkSize !== undefined) this.setReadChunkSize(options.readChunkSize);
    this.parser = this.newParser();
  }

  /** The most body bytes one {@link HTTPClient.readResponseBodyChunk} returns (256 … 16 MiB; default 65536). */
  get readChunkSize(): number {
    return this.chunkSize;
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
      this.reason = `readChunkSize must be an integer from ${MIN_READ_CHUNK} to ${MAX_READ_CHUNK}, got ${bytes}`;
      return Err.ERR_PARAMETER_RANGE_ERROR;
    }
    this.chunkSize = bytes;
    return Err.OK;
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
    const plan = planConnection(host, port, tlsOptions, this.httpProxy, this.httpsProxy);
    if ("invalid" in plan) {
      this.reason = plan.invalid;
      return Err.ERR_INVALID_PARAMETER;
    }
    this.host = plan.host;
    this.port = plan.port;
    this.tls = plan.tls;
    this.viaHttpProxy = plan.viaHttpProxy;
    this.tunnel = plan.target.tunnel;
    this.connector = new Connector(this.network, plan.target);
    this.connector.setActivityListener(this.activity);
    this.status = this.connector.getPhase() === "resolving" ? Status.STATUS_RESOLVING : Status.STATUS_CONNECTING;
    this.stepConnector();
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
  setConnection(peer: StreamPeer, host: string = this.host, port: number = this.port, tls: boolean = this.tls !== null): Err {
    const state = peer.getState();
    if (state !== PeerState.OPEN && state !== PeerState.CONNECTING) {
      this.reason = "setConnection: the peer is closed or failed";
      return Err.ERR_INVALID_PARAMETER;
    }
    this.close();
    this.tunnel = null;
    this.host = host;
    this.port = port;
    this.tls = tls ? (this.tls ?? TLSOptions.client()) : null;
    this.attachPeer(peer);
    this.status = state === PeerState.OPEN ? Status.STATUS_CONNECTED : Status.STATUS_CONNECTING;
    peer.setIdle?.(state === PeerState.OPEN);
    return Err.OK;
  }

  /** The current connection (also while it is being opened), or null. */
  getConnection(): StreamPeer | null {
    return this.peer ?? this.connector?.getPeer() ?? null;
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
    const parsed = parseProxySetting(host, port, credentials);
    if (parsed !== null && "invalid" in parsed) {
      this.reason = parsed.invalid;
      return Err.ERR_INVALID_PARAMETER;
    }
    this.httpProxy = parsed;
    return Err.OK;
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
    const parsed = parseProxySetting(host, port, credentials);
    if (parsed !== null && "invalid" in parsed) {
      this.reason = parsed.invalid;
      return Err.ERR_INVALID_PARAMETER;
    }
    this.httpsProxy = parsed;
    return Err.OK;
  }

  /**
   * While CONNECTING, whether the TLS handshake is under way (`"tls"`) or the TCP connection and any
   * proxy tunnel are still being opened (`"tcp"`); `""` in other states.
   */
  getConnectStage(): "tcp" | "tls" | "" {
    if (this.status !== Status.STATUS_CONNECTING) return "";
    return this.connector?.isTlsStarted() === true ? "tls" : "tcp";
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
    return this.tunnel?.getStatusCode() ?? 0;
  }

  /**
   * The header fields of the proxy's answer to the `CONNECT` (see
   * {@link HTTPClient.getProxyResponseCode}) as `"Name: value"` lines, duplicates kept, e.g.
   * `Proxy-Authenticate: Basic realm="proxy"`.
   *
   * @returns A copy of the lines; empty when no proxy answer was received.
   */
  getProxyResponseHeaders(): string[] {
    return this.tunnel?.getHeaders() ?? [];
  }

  /** The current status. */
  getStatus(): Status {
    return this.status;
  }

  /** A human-readable reason for the last failure or refused call (with the underlying cause), or `""`. */
  getErrorReason(): string {
    return this.reason;
  }

  /**
   * Registers a function called from Node's event loop when the connection has news (bytes,
   * close, connect). Runners use it to sleep until there is work. `null` removes it.
   *
   * @param listener - The function, or null.
   */
  setActivityListener(listener: (() => void) | null): void {
    this.activity = listener;
    this.exchange?.upload?.setActivityListener(listener);
    this.connector?.setActivityListener(listener);
    this.peer?.setActivityListener(listener);
  }

  /**
   * Advances the connection as far as the received bytes allow and writes what the socket
   * accepts. Never throws.
   *
   * @returns `OK` while things are fine; `ERR_UNCONFIGURED` when disconnected; `ERR_CANT_RESOLVE`,
   * `ERR_CANT_CONNECT` (also for a failed TLS handshake, as in Godot) or `ERR_CONNECTION_ERROR` on failure.
   */
  poll(): Err {
    try {
      // Body pieces handed out since the last poll() are no longer in use: the peer may reuse their
      // memory, except under the bytes the parser still holds.
      this.peer?.releaseReads?.(this.parser.getBufferedBytes());
      switch (this.status) {
        case Status.STATUS_DISCONNECTED:
          return Err.ERR_UNCONFIGURED;
        case Status.STATUS_CANT_RESOLVE:
          return Err.ERR_CANT_RESOLVE;
        case Status.STATUS_CANT_CONNECT:
          return Err.ERR_CANT_CONNECT;
        case Status.STATUS_CONNECTION_ERROR:
        case Status.STATUS_TLS_HANDSHAKE_ERROR:
          return Err.ERR_CONNECTION_ERROR;
        case Status.STATUS_RESOLVING:
        case Status.STATUS_CONNECTING:
          return this.stepConnector();
        case Status.STATUS_CONNECTED:
          return this.checkIdle();
        case Status.STATUS_REQUESTING:
          return this.stepRequesting();
        case Status.STATUS_BODY:
          return this.checkBody();
      }
    } catch (error) {
      return this.failConnection(`internal error: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * Sends a request on a CONNECTED client; the bytes are written by the following `poll()` calls.
   *
   * @param method - A {@link Method} value other than `METHOD_MAX`.
   * @param url - The request target: `/path?query`, an absolute `http(s)://` URL, `*` for OPTIONS,
   * or `host:port` for CONNECT.
   * @param headers - Header lines `"Name: value"`. Host, Content-Length (or Transfer-Encoding for
   * a source of unknown length), User-Agent and Accept are added unless given.
   * @param body - The body: a string (sent as UTF-8), bytes, or a {@link BodySource} streamed as the
   * connection accepts it (see below).
   * @returns `OK`; `ERR_INVALID_PARAMETER` for a bad method, target or header (CR, LF, NUL, no
   * valid name), a framing header that conflicts with the body, or when not CONNECTED (also when
   * the idle connection received stray bytes or was closed since the last `poll()`: it is then
   * dropped, DISCONNECTED); `ERR_INVALID_DATA` without a connection. Nothing is sent on error, and
   * a refused source is not closed.
   *
   * A {@link BodySource} of known length is sent with `Content-Length`, one of length -1 with
   * `Transfer-Encoding: chunked` (each piece a chunk); a caller's own `Content-Length` or
   * `Transfer-Encoding` (ending in `chunked`) is honoured instead. Each `poll()` writes as much as
   * the connection accepts, reading the source only when the previous piece was taken, so memory
   * stays bounded whatever the size (pieces of a custom source are copied, so it may reuse its
   * buffer). A source that yields more or fewer bytes than the length, or fails, ends the request in
   * CONNECTION_ERROR before a wrong body could look complete. A final response that arrives
   * before the body is sent stops the upload (the connection is not reused). The client closes the
   * source when the body is sent, when the request fails and on `close()`. Progress:
   * {@link HTTPClient.getRequestBodyBytesSent}.
   */
  request(method: Method, url: string, headers: readonly string[], body: string | Uint8Array | BodySource = EMPTY): Err {
    const verb = methodVerb(method);
    if (verb === undefined) {
      this.reason = `invalid method ${String(method)}`;
      return Err.ERR_INVALID_PARAMETER;
    }
    const targetProblem = validateRequestTarget(verb, url);
    if (targetProblem !== null) {
      this.reason = targetProblem;
      return Err.ERR_INVALID_PARAMETER;
    }
    // Bytes or a close that arrived since the last poll() make an idle connection unusable: a
    // stray byte must never be read as the answer to this request.
    if (this.status === Status.STATUS_CONNECTED && this.peer !== null) {
      this.checkIdle();
      if (this.status !== Status.STATUS_CONNECTED) return Err.ERR_INVALID_PARAMETER;
    }
    if (this.status !== Status.STATUS_CONNECTED) {
      this.reason = `request() needs STATUS_CONNECTED, the client is in status ${this.status}`;
      return Err.ERR_INVALID_PARAMETER;
    }
    if (this.peer === null) {
      this.reason = "request(): no connection";
      return Err.ERR_INVALID_DATA;
    }
    const proxy = this.viaHttpProxy;
    let target = url;
    let allHeaders = headers;
    if (proxy !== null) {
      // Through an HTTP proxy: absolute-form target, and the proxy's credentials for the proxy only.
      if (url.startsWith("/")) target = `http://${formatHostValue(this.host, this.port, this.tls !== null)}${url}`;
      if (proxy.authorization !== "") allHeaders = [...headers, `Proxy-Authorization: ${proxy.authorization}`];
    }
    const plan = planRequestBody(headers, body);
    if (!plan.ok) {
      this.reason = plan.reason;
      return Err.ERR_INVALID_PARAMETER;
    }
    const written = this.heads.write({
      method: verb, target, host: this.host, port: this.port, tls: this.tls !== null, headers: allHeaders,
      bodyLength: plan.headLength, chunked: plan.chunked,
    });
    if (!written.ok) {
      this.reason = written.reason;
      return Err.ERR_INVALID_PARAMETER;
    }
    this.exchange = new Exchange(this.parser, [written.bytes], method === Method.METHOD_HEAD, plan.start?.() ?? null);
    this.exchange.upload?.setActivityListener(this.activity);
    this.status = Status.STATUS_REQUESTING;
    this.peer.setIdle?.(false); // a request in flight keeps the process alive until its response is in
    return Err.OK;
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
    const first = this.readResponseBodyPiece(this.chunkSize);
    if (first.length === 0) return first;
    if (first.length === this.chunkSize) return first.slice();
    const pieces = [first];
    let total = first.length;
    while (total < this.chunkSize) {
      const piece = this.readResponseBodyPiece(this.chunkSize - total);
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
  readResponseBodyPiece(maxBytes: number = this.chunkSize): Uint8Array {
    const exchange = this.exchange;
    const peer = this.peer;
    if (this.status !== Status.STATUS_BODY || exchange === null || peer === null) return EMPTY;
    try {
      return exchange.nextBodyPiece(peer, Math.max(1, Math.floor(maxBytes)), this.onOutcome);
    } catch (error) {
      this.failConnection(`internal error: ${error instanceof Error ? error.message : String(error)}`);
      return EMPTY;
    }
  }

  /** Closes the connection and forgets the response. The client becomes DISCONNECTED. */
  close(): void {
    this.connector?.cancel();
    this.connector = null;
    this.releasePeer();
    this.exchange?.closeUpload();
    this.exchange = null;
    this.parser = this.newParser();
    this.status = Status.STATUS_DISCONNECTED;
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

  private stepConnector(): Err {
    const connector = this.connector;
    if (connector === null) {
      // A peer given to setConnection() while it was still connecting.
      const peer = this.peer;
      if (peer === null) return this.failConnection("no connection");
      const state = peer.getState();
      if (state === PeerState.CONNECTING) return Err.OK;
      if (state !== PeerState.OPEN) return this.failConnection(peer.getError()?.message ?? "connection closed");
      this.status = Status.STATUS_CONNECTED;
      peer.setIdle?.(true);
      return this.checkIdle();
    }
    connector.step();
    switch (connector.getPhase()) {
      case "resolving":
        return Err.OK;
      case "connecting":
        this.status = Status.STATUS_CONNECTING;
        connector.getPeer()?.setActivityListener(this.activity);
        return Err.OK;
      case "open": {
        const peer = connector.takePeer();
        this.connector = null;
        if (peer === null) return this.failConnection("connection lost");
        this.attachPeer(peer);
        this.status = Status.STATUS_CONNECTED;
        peer.setIdle?.(true); // open with no request in flight: it does not keep the process alive
        return Err.OK;
      }
      case "cant-resolve":
        return this.failWith(Status.STATUS_CANT_RESOLVE, connector.getReason(), Err.ERR_CANT_RESOLVE);
      case "cant-connect":
        return this.failWith(Status.STATUS_CANT_CONNECT, connector.getReason(), Err.ERR_CANT_CONNECT);
      case "tls-failed":
        return this.failWith(Status.STATUS_TLS_HANDSHAKE_ERROR, connector.getReason(), Err.ERR_CANT_CONNECT);
    }
  }

  /** An idle keep-alive connection: notice a close, a failure, or bytes nobody asked for. */
  private checkIdle(): Err {
    const peer = this.peer;
    if (peer === null) return this.failConnection("no connection");
    if (peer.getState() === PeerState.ERROR) return this.failConnection(peer.getError()?.message ?? "connection failed");
    if (this.parser.getBufferedBytes() > 0 || peer.getAvailableBytes() > 0) {
      this.dropConnection("the server sent bytes that belong to no request; connection closed");
    } else if (peer.isEnded() || peer.getState() !== PeerState.OPEN) {
      this.dropConnection("the server closed the idle connection");
    }
    return Err.OK;
  }

  private stepRequesting(): Err {
    const exchange = this.exchange;
    const peer = this.peer;
    if (exchange === null || peer === null) return this.failConnection("no connection");
    const outcome = exchange.stepHead(peer);
    if (outcome.kind === "wait") return Err.OK;
    if (outcome.kind === "failed") return this.failConnection(outcome.reason);
    this.status = Status.STATUS_BODY;
    return this.checkBody();
  }

  /** In BODY: completes a message without body at once, and notices a dead connection. */
  private checkBody(): Err {
    const exchange = this.exchange;
    const peer = this.peer;
    if (exchange === null || peer === null) return this.failConnection("no connection");
    if (exchange.head?.framing === "none" || exchange.isPeerDead(peer)) {
      // No body byte is left to hand out: the message completes (a body already read in full
      // before the connection failed is still a success), or fails as cut short.
      exchange.nextBodyPiece(peer, 1, this.onOutcome);
    }
    return this.status === Status.STATUS_CONNECTION_ERROR ? Err.ERR_CONNECTION_ERROR : Err.OK;
  }

  private applyOutcome(outcome: ExchangeOutcome): void {
    if (outcome.kind === "failed") {
      this.failConnection(outcome.reason);
    } else if (outcome.kind === "done") {
      if (outcome.reusable) {
        this.status = Status.STATUS_CONNECTED;
        this.peer?.setIdle?.(true);
      } else {
        this.dropConnection(outcome.reason);
      }
    }
  }

  private attachPeer(peer: StreamPeer): void {
    this.peer = peer;
    peer.setActivityListener(this.activity);
  }

  private releasePeer(): void {
    if (this.peer !== null) {
      this.peer.setActivityListener(null);
      this.peer.close();
      this.peer = null;
    }
  }

  /** Closes the connection without an error: the response (if any) stays readable. */
  private dropConnection(reason: string): void {
    if (reason !== "") this.reason = reason;
    this.exchange?.closeUpload();
    this.releasePeer();
    this.parser = this.newParser();
    this.status = Status.STATUS_DISCONNECTED;
  }

  private failConnection(reason: string): Err {
    return this.failWith(Status.STATUS_CONNECTION_ERROR, reason, Err.ERR_CONNECTION_ERROR);
  }

  private failWith(status: Status, reason: string, err: Err): Err {
    this.connector?.cancel();
    this.connector = null;
    this.releasePeer();
    this.exchange?.closeUpload();
    this.reason = reason;
    this.status = status;
    return err;
  }

  private newParser(): ResponseParser {
    return new ResponseParser({ maxHeadBytes: this.maxHeadBytes, maxHeaderCount: this.maxHeaderCount });
  }
}
