import { Err } from "../status/err.ts";
import type { Method } from "../status/method.ts";
import { Status } from "../status/status.ts";
import { ClientConnection } from "./client-connection.ts";
import type { Exchange } from "./exchange.ts";
import type { BodySource } from "./body-source.ts";
import { HTTPUploadProgress } from "./upload-progress.ts";
import type { Network } from "./network.ts";
import { NodeNetwork } from "./node-network.ts";
import { PollWait } from "./poll-wait.ts";
import type { StreamPeer } from "./peer/stream-peer.ts";
import type { ProxyCredentials } from "./proxy-settings.ts";
import type { TLSOptions } from "./tls-options.ts";
import { queryStringFromDict, type QueryValue } from "./wire/query-string.ts";
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
  private chunkSize = 65536;
  /** The status machine, the connection and the route to the origin. */
  private readonly core: ClientConnection;
  /** Blocking mode, and the diagnosis of a loop that never yields. */
  private readonly pollWait: PollWait;

  /**
   * Creates a disconnected client.
   *
   * @param options - The network to use and limits.
   */
  constructor(options: HTTPClientOptions = {}) {
    super();
    const network = options.network ?? new NodeNetwork();
    this.core = new ClientConnection(network, options.maxHeadBytes ?? 65536, options.maxHeaderCount ?? 100);
    this.pollWait = new PollWait(network);
    if (options.readChunkSize !== undefined) this.setReadChunkSize(options.readChunkSize);
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
      this.core.reason = `readChunkSize must be an integer from ${MIN_READ_CHUNK} to ${MAX_READ_CHUNK}, got ${bytes}`;
      return Err.ERR_PARAMETER_RANGE_ERROR;
    }
    this.chunkSize = bytes;
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
    return this.pollWait.blocking;
  }

  /** Turns blocking mode on or off (see the getter). */
  set blockingModeEnabled(enabled: boolean) {
    this.pollWait.blocking = enabled;
  }

  /**
   * Sets {@link HTTPClient.blockingModeEnabled}.
   *
   * @param enabled - True to make `poll()` wait for news.
   */
  setBlockingMode(enabled: boolean): void {
    this.pollWait.blocking = enabled;
  }

  /** @returns {@link HTTPClient.blockingModeEnabled}. */
  isBlockingModeEnabled(): boolean {
    return this.pollWait.blocking;
  }

  /** The most seconds one `poll()` waits in blocking mode (from 0; default 1). Other values are ignored. */
  get blockingWaitSeconds(): number {
    return this.pollWait.waitSeconds;
  }

  /** Sets the bound of a blocking `poll()`; a negative or non-finite value is ignored. */
  set blockingWaitSeconds(seconds: number) {
    if (Number.isFinite(seconds) && seconds >= 0) this.pollWait.waitSeconds = seconds;
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
    return this.core.connectToHost(host, port, tlsOptions);
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
  setConnection(peer: StreamPeer, host: string = this.core.route.host, port: number = this.core.route.port, tls: boolean = this.core.route.tls !== null): Err {
    return this.core.setConnection(peer, host, port, tls);
  }

  /** The current connection (also while it is being opened), or null. */
  getConnection(): StreamPeer | null {
    return this.core.getConnection();
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
    return this.setProxy("http", host, port, credentials);
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
    return this.setProxy("https", host, port, credentials);
  }

  /**
   * While CONNECTING, whether the TLS handshake is under way (`"tls"`) or the TCP connection and any
   * proxy tunnel are still being opened (`"tcp"`); `""` in other states.
   */
  getConnectStage(): "tcp" | "tls" | "" {
    if (this.core.status !== Status.STATUS_CONNECTING) return "";
    return this.core.route.isTlsStarted() ? "tls" : "tcp";
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
    return this.core.route.getProxyResponseCode();
  }

  /**
   * The header fields of the proxy's answer to the `CONNECT` (see
   * {@link HTTPClient.getProxyResponseCode}) as `"Name: value"` lines, duplicates kept, e.g.
   * `Proxy-Authenticate: Basic realm="proxy"`.
   *
   * @returns A copy of the lines; empty when no proxy answer was received.
   */
  getProxyResponseHeaders(): string[] {
    return this.core.route.getProxyResponseHeaders();
  }

  /** The current status. */
  getStatus(): Status {
    return this.core.status;
  }

  /** A human-readable reason for the last failure or refused call (with the underlying cause), or `""`. */
  getErrorReason(): string {
    return this.core.reason;
  }

  /**
   * Registers a function called from Node's event loop when the connection has news (bytes,
   * close, connect). Runners use it to sleep until there is work. `null` removes it.
   *
   * @param listener - The function, or null.
   */
  setActivityListener(listener: (() => void) | null): void {
    this.core.setActivityListener(listener);
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
    return this.pollWait.poll(this.core);
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
    return this.core.request(method, url, headers, body);
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
    return this.core.readResponseBodyPiece(maxBytes);
  }

  /** Closes the connection and forgets the response. The client becomes DISCONNECTED. */
  close(): void {
    this.core.close();
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

  /**
   * The request and response in progress or last finished.
   *
   * @internal
   */
  protected get exchange(): Exchange | null {
    return this.core.exchange;
  }

  private setProxy(kind: "http" | "https", host: string, port: number, credentials: ProxyCredentials | undefined): Err {
    const invalid = this.core.route.setProxy(kind, host, port, credentials);
    if (invalid === null) return Err.OK;
    this.core.reason = invalid;
    return Err.ERR_INVALID_PARAMETER;
  }
}
