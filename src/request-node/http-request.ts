import type { BodySource } from "../client/body-source.ts";
import type { PhaseTimeouts } from "./phase-timer.ts";
import type { RetryPolicy } from "./retry-policy.ts";
import type { Network } from "../client/network.ts";
import type { ProxyCredentials } from "../client/proxy-settings.ts";
import { TLSOptions } from "../client/tls-options.ts";
import type { CookieJar } from "../session/cookie-jar.ts";
import { DigestAuth } from "../session/http-auth.ts";
import type { HTTPCache } from "../session/http-cache.ts";
import { Err } from "../status/err.ts";
import { Method } from "../status/method.ts";
import { Result } from "../status/result.ts";
import type { Status } from "../status/status.ts";
import { KeptConnection } from "./kept-connection.ts";
import { Node } from "./node.ts";
import type { ProxyLoginHandler } from "./proxy-login.ts";
import { bodyRefusal, headerLinesOf, type RequestHeaders, urlRefusal } from "./request-arguments.ts";
import type { HTTPRequestOptions, RequestOptions } from "./request-options.ts";
import { RequestPlanCache } from "./request-plan.ts";
import { RequestProxies } from "./request-proxies.ts";
import { RequestRun } from "./request-run.ts";
import type { AuthLoginHandler } from "./auth-login.ts";
import { CACHE_MODES, CREDENTIALS_MODES, RequestSession, type CacheOutcome, type SessionSettings } from "./request-session.ts";
import type { RedirectMode, RequestSettings } from "./request-settings.ts";
import type { SceneTree } from "./scene-tree.ts";
import { Signal } from "./signal.ts";
import type { RequestCompletedArgs } from "./tick-emissions.ts";
import { BackgroundRevalidator } from "./background-revalidator.ts";
import { TimingObserver } from "./timing-observer.ts";
import type { TimingSnapshot } from "./timings.ts";

export type { HTTPRequestOptions, RequestOptions } from "./request-options.ts";

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** Why `request()`'s options are refused, or null. */
function optionsRefusal(options: unknown): string | null {
  if (typeof options !== "object" || options === null)
    return `options is ${options === null ? "null" : `a ${typeof options}`}; expected an object`;
  const file: unknown = (options as { downloadFile?: unknown }).downloadFile;
  return file === undefined || typeof file === "string"
    ? null
    : 'options.downloadFile must be a string (a file path, or "" to keep the body in memory)';
}
/** The earlier of two deadlines in seconds, either of which may be null (none). */
function earliestOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

/** `request()` without options. */
const NO_OPTIONS: RequestOptions = Object.freeze({});
/** Slack when comparing summed deltas with the timeout, so 10 ticks of 0.1 s reach 1 s despite float rounding. */
const TIME_EPSILON = 1e-9;

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
 * Settings have Godot's names and defaults. Those that shape a request are read once, as
 * `request()` starts it: changing `maxRedirects`, `redirectMode`, the TLS options,
 * `proxyLoginHandler`, `retryPolicy`, `connectTimeout`, `headTimeout`, `idleTimeout` or
 * `useEnvironmentProxy` while it runs applies to the next request; `bodySizeLimit`,
 * `downloadChunkSize` and `downloadFile` cannot change while it runs (as in Godot). `timeout` and
 * the proxies apply at once.
 *
 * What a tick produces is collected and emitted at the end of the tick, each signal at most once,
 * in this order: `headersReceived`, `redirectReceived`, `bodyData`, `downloadProgress`,
 * `uploadProgress`, `retrying`, `requestCompleted`. A listener that cancels or restarts the request stops the
 * rest of that tick's emissions.
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
export class HTTPRequest extends Node {
  /** Emitted once per started request, at the end of the tick that finished it. */
  readonly requestCompleted: Signal<RequestCompletedArgs> = new Signal<RequestCompletedArgs>();
  /** Emitted when the head of the final response arrives, before any body byte: code and headers. */
  readonly headersReceived: Signal<[responseCode: number, headers: string[]]> = new Signal();
  /**
   * Emitted once per tick with the body bytes decoded in that tick. When it has listeners as the
   * body starts, the body is handed out only this way: it is not kept for `requestCompleted`
   * (whose body is then empty). Not emitted for a body written to `downloadFile`. The chunk is a
   * new array each time: listeners may keep it (it never points into reused receive memory).
   */
  readonly bodyData: Signal<[chunk: Uint8Array]> = new Signal();
  /**
   * When true, `bodyData` hands out the tick's decoded pieces as they are, once per piece, instead
   * of one new array per tick: views into the connection's receive memory, valid only during the
   * emission (the listener copies what it keeps). Set by the pool for the `fetch()` facade, whose
   * `response.body` copies straight into the reader's own buffers; false for everyone else.
   *
   * @internal
   */
  _bodyDataViews = false;
  /**
   * Emitted at the end of a tick in which request body bytes went out: bytes sent so far and the
   * total (-1 when streamed without a length).
   */
  readonly uploadProgress: Signal<[sent: number, total: number]> = new Signal();
  /**
   * Bytes of the final response's body received so far (as on the wire, before decoding) and the
   * total (its `Content-Length`, or -1 when unknown). Emitted at the end of the tick in which the
   * response head arrives, with the bytes of that tick (`(0, total)` when none came with the head,
   * so a progress display learns the total first), and then at the end of each tick in which more
   * body bytes arrived; never for a tick in which none did. Redirect bodies are not counted.
   */
  readonly downloadProgress: Signal<[received: number, total: number]> = new Signal();
  /**
   * Emitted in `redirectMode` `"manual"` when a redirect arrives: status code, the method and URL
   * the next hop would use, and the response headers. The request waits until
   * {@link HTTPRequest.followRedirect} or {@link HTTPRequest.cancelRequest}.
   */
  readonly redirectReceived: Signal<[responseCode: number, method: string, url: string, headers: string[]]> = new Signal();
  /**
   * Emitted at the end of a tick in which an attempt ended and the retry policy (see
   * {@link HTTPRequest.retryPolicy}) sends the request again: the number of the attempt to come (2
   * for the first retry), the seconds of ticks it waits for, and why (`"503 with Retry-After: 2"`,
   * `"RESULT_CONNECTION_ERROR"`). {@link HTTPRequest.getErrorReason} tells how the ended attempt
   * failed.
   */
  readonly retrying: Signal<[attempt: number, delay: number, reason: string]> = new Signal();
  /** Adds `Accept-Encoding: gzip, deflate` (unless given) and decodes such bodies. Default true. */
  acceptGzip = true;
  /** Most redirects followed; -1 for no limit. Default 8. */
  maxRedirects = 8;
  /**
   * What a redirect does: `"follow"` (default) follows it; `"error"` ends the request with
   * `RESULT_REDIRECT_LIMIT_REACHED` and a reason naming the target; `"manual"` emits
   * `redirectReceived` and waits for `followRedirect()` or `cancelRequest()`.
   */
  redirectMode: RedirectMode = "follow";
  /**
   * Supplies proxy credentials on demand (Electron's `login` event for a proxy); `null` (default)
   * for none. It is called synchronously inside the tick when the HTTPS proxy refuses the `CONNECT`
   * tunnel with 407, or when a plain `http://` request through the HTTP proxy gets a final 407
   * response, with the proxy's address, the realm of its `Proxy-Authenticate: Basic` challenge and
   * the attempt number.
   *
   * Credentials it returns are set on that proxy as {@link HTTPRequest.setHttpProxy} /
   * {@link HTTPRequest.setHttpsProxy} with credentials would (they stay for later requests),
   * and the same hop is sent again on a new connection. It is asked at most
   * {@link MAX_PROXY_LOGIN_ATTEMPTS} times per request; after that, or when it returns `null` or
   * throws (a throw counts as `null`, with the error in {@link HTTPRequest.getErrorReason}),
   * the request ends as without a handler: `RESULT_CANT_CONNECT` with the proxy's status in the reason
   * for the tunnel, `RESULT_SUCCESS` with code 407 and the proxy's response for plain HTTP. A plain
   * request whose body is a streamed `BodySource` cannot be sent again: once credentials are given
   * it ends with `RESULT_REQUEST_FAILED` (they stay set for the next request). Only a 407 is a
   * challenge: a proxy that answers wrong credentials with another status (tinyproxy sends 401)
   * ends the request with that answer.
   *
   * @example
   * ```ts
   * declare const req: HTTPRequest;
   * declare function secretFor(realm: string): string;
   * req.setHttpsProxy("proxy.lan", 3128);
   * req.proxyLoginHandler = ({ realm, attempt }) => (attempt === 1 ? { user: "me", password: secretFor(realm) } : null);
   * ```
   */
  proxyLoginHandler: ProxyLoginHandler | null = null;
  /**
   * The cookie jar of this node's requests: each hop sends the `Cookie` header the jar builds for
   * its URL (with the `SameSite` site of the request's first URL, so a redirect to another site
   * carries only what RFC 6265bis allows), and the `Set-Cookie` fields of every response, redirects
   * included, are stored in it. `null` (the default): the tree's {@link SceneTree.cookieJar} (a
   * request pool sets its own on its nodes); with neither, nothing is sent or stored. A `Cookie`
   * header among the custom headers is sent as given instead. Expiry is counted in the tree's date
   * ({@link SceneTree.getDateMs}). {@link RequestOptions.credentials} limits the hops it is used on.
   */
  cookieJar: CookieJar | null = null;
  /**
   * The HTTP cache of this node's requests (RFC 9111, private), used as
   * {@link RequestOptions.cache} says. `null` (the default): the tree's {@link SceneTree.httpCache};
   * with neither, nothing is cached. A request with a range, `resume`, or a conditional or `Range`
   * header of its own is not answered from the cache nor stored. A stale answer delivered within
   * `stale-while-revalidate` is validated in the background, on a connection of its own that the
   * node's ticks step and that leaving the tree closes; nothing of it is emitted. See
   * {@link HTTPRequest.getCacheOutcome}.
   */
  httpCache: HTTPCache | null = null;
  /**
   * Answers a server's `401` (Electron's `login` event for a server): asked with the URL, the
   * challenge's scheme and realm; return `{ user, password }` to send the request again with a Basic
   * or Digest (RFC 7616: MD5, SHA-256, their `-sess` forms, `qop=auth`) `Authorization`, or `null`
   * to deliver the 401. Asked at most {@link MAX_AUTH_LOGIN_ATTEMPTS} times per request (a throw
   * counts as `null`). The credentials go to the origin that asked only: a hop redirected to
   * another origin never carries them. A Digest challenge is preferred over Basic when both are
   * offered. A streamed body cannot be sent again, so its 401 is delivered.
   *
   * @example
   * ```ts
   * declare const req: HTTPRequest;
   * declare function passwordFor(host: string, realm: string): string;
   * req.authLoginHandler = ({ host, realm, attempt }) => (attempt === 1 ? { user: "me", password: passwordFor(host, realm) } : null);
   * ```
   */
  authLoginHandler: AuthLoginHandler | null = null;
  /** Digest nonce counts, across this node's requests; made by the first request that may need it. */
  #digest: DigestAuth | null = null;
  /**
   * Opt-in: when true, a URL whose scheme has no proxy set on this node goes through the proxy the
   * environment names (`http_proxy`, `https_proxy`, `all_proxy`, `no_proxy` and their upper-case
   * forms, read at each connection as curl reads them; see `HTTPClient.useEnvironmentProxy`). A
   * proxy set with {@link HTTPRequest.setHttpProxy} / {@link HTTPRequest.setHttpsProxy} wins.
   * `RequestOptions.useEnvironmentProxy` overrides it for one request. Default false.
   */
  useEnvironmentProxy = false;
  /**
   * Sends a request again when an attempt fails in a way worth retrying: see {@link RetryPolicy}
   * for which methods, results and statuses, the backoff with seeded jitter, `Retry-After` and the
   * time budget. `null` (default) makes one attempt. `RequestOptions.retry` overrides it for one
   * request.
   *
   * The wait between attempts is counted in the ticks' deltas, never on a clock: a simulation sees
   * the same attempts at the same virtual instants on every run. Each retry emits `retrying`; the
   * overall {@link HTTPRequest.timeout} spans every attempt and is never retried. A body is sent
   * again when it is bytes or a `BodySource` that can be replayed (`BytesSource`,
   * `FileBodySource`: see `BodySource.replay`); a `StreamingBodySource` cannot, and the attempt's
   * failure ends the request. A body being handed out through `bodyData` is not retried once it
   * started. An HTTP-date `Retry-After` is measured from the response's own `Date`. A
   * `downloadFile` download continues with `Range` from the bytes already written.
   *
   * @example
   * ```ts
   * declare const req: HTTPRequest;
   * declare const playerId: number;
   * declare function log(line: string): void;
   * req.retryPolicy = new RetryPolicy({ attempts: 4, baseDelay: 0.5, budget: 20, seed: playerId });
   * req.retrying.connect((attempt, delay, why) => log(`attempt ${attempt} in ${delay} s: ${why}`));
   * ```
   */
  retryPolicy: RetryPolicy | null = null;
  /** The network new clients use; undefined for Node's. */
  readonly #network: Network | undefined;
  /** The proxy settings as given. */
  readonly #proxies = new RequestProxies();
  /** The client kept between requests. */
  readonly #connection: KeptConnection;
  /** The last request planned, reused by an identical `request()`. */
  readonly #plans = new RequestPlanCache();
  /** The running (or last) request; null before the first. */
  #run: RequestRun | null = null;
  /** TLS options for `https://` URLs. */
  #tlsOptions: TLSOptions = TLSOptions.client();
  /** `bodySizeLimit`. */
  #limit = -1;
  /** `downloadChunkSize`. */
  #chunkSize = 65536;
  /** `downloadFile`. */
  #file = "";
  /** `timeout`. */
  #timeoutSeconds = 0;
  /** `connectTimeout`, `headTimeout`, `idleTimeout`. */
  #phaseTimeouts: PhaseTimeouts = { connect: 0, head: 0, idle: 0 };
  /** Why the last request failed or the last call was refused. */
  #reason = "";
  /** Seconds of ticks since the request started. */
  #elapsed = 0;
  #peakBuffered = 0;
  /** Activity notices of the client (bytes, close, drain, connect, body source), counted by its listener. */
  #activity = 0;
  /**
   * `#activity` as it was when a tick found the request fully sent and nothing to do but wait for
   * the response head; -1 otherwise (a new request or a cancel resets it). While it still equals
   * `#activity`, nothing can have changed, so an idle tick only counts time.
   */
  #quietAt = -1;
  #abortSignal: AbortSignal | null = null;
  /** `setBodyPaused`: while true, the body is left in the connection. */
  #bodyHeld = false;
  readonly #clock: (() => number) | undefined;
  readonly #timings = new TimingObserver(() => this.#now());
  /** The `stale-while-revalidate` validations started by this node's requests. */
  /** Background validations of stale-while-revalidate answers; made when the first one starts. */
  #revalidator: BackgroundRevalidator | null = null;
  /**
   * Whether the running request counts tick time itself (phase timeouts, a retry policy), copied
   * from the run when it starts so an idle tick decides from this node's own fields.
   */
  #runTimed = false;
  /**
   * True once the run has ended and everything it produced has been emitted: a tick has nothing
   * left to do for it (the finished nodes of a big tree cost a field read each per tick).
   */
  #runSettled = true;
  readonly #onAbort = (): void => {
    const reason: unknown = this.#abortSignal?.reason;
    this.cancelRequest();
    this.#reason = `aborted${reason === undefined ? "" : `: ${reason instanceof Error ? reason.message : String(reason)}`}`;
  };

  /** @param options - The network to use and a node name. */
  constructor(options: HTTPRequestOptions = {}) {
    super(options.name ?? "HTTPRequest");
    this.#clock = options.clock;
    this.#network = options.network;
    this.#connection = new KeptConnection(this.#network, this.#proxies, () => {
      this.#activity++;
      this.getTree()?.wake(); // the tree the node is in now, not when the client was made
    });
  }

  /**
   * Godot's `use_threads`: when true, the node's connections go through the process-wide
   * `ThreadedNetwork` (sockets on a worker thread, bytes through shared memory), so a synchronous
   * loop over `tree.process(delta)` that never yields completes requests. Takes effect from the
   * next connection (a kept connection of the other kind is not reused). Default false.
   */
  get useThreads(): boolean {
    return this.#connection.usesThreads();
  }

  /** Chooses the threaded network or not for the next connection (see the getter). */
  set useThreads(enabled: boolean) {
    this.#connection.setThreads(enabled);
  }

  /**
   * Sets {@link HTTPRequest.useThreads}.
   *
   * @param enabled - True for the threaded network.
   */
  setUseThreads(enabled: boolean): void {
    this.#connection.setThreads(enabled);
  }

  /** @returns {@link HTTPRequest.useThreads}. */
  isUsingThreads(): boolean {
    return this.#connection.usesThreads();
  }

  /** Most decoded body bytes accepted; -1 for no limit (default). Changes are ignored while a request runs. */
  get bodySizeLimit(): number {
    return this.#limit;
  }

  /** Sets the limit; -1 or any negative value removes it. */
  set bodySizeLimit(bytes: number) {
    if (this.#guardSetter("bodySizeLimit") && Number.isInteger(bytes)) this.#limit = bytes < 0 ? -1 : bytes;
  }

  /** Bytes read from the connection per read (256 … 16 MiB, default 65536); each tick still drains everything that arrived. */
  get downloadChunkSize(): number {
    return this.#chunkSize;
  }

  /** Sets the read size; values outside 256 … 16 MiB are ignored (see {@link HTTPRequest.getErrorReason}). */
  set downloadChunkSize(bytes: number) {
    if (!this.#guardSetter("downloadChunkSize")) return;
    if (Number.isInteger(bytes) && bytes >= 256 && bytes <= 16 * 1024 * 1024) this.#chunkSize = bytes;
    else this.#reason = `downloadChunkSize must be 256-16777216, got ${bytes}`;
  }

  /**
   * A file path to write the body to instead of memory; `""` (default) keeps it in memory. The body
   * goes to a temporary file beside it, renamed over it once complete; on any failure the file is
   * left as it was. Only a 2xx response with content (not 204, 205 or an answer to HEAD) is written:
   * for any other status (404, 304, …) the file is left untouched and the body is delivered in
   * `requestCompleted` as without `downloadFile`.
   *
   * Lifetime: it is a setting of the node, like Godot's `download_file`. It stays set for every
   * later request of the node until it is changed (it cannot change while a request runs): a node
   * reused for another request writes that body over the same file too. For a path that belongs to
   * one request, pass `RequestOptions.downloadFile` to `request()` instead, or set this back to `""`.
   */
  get downloadFile(): string {
    return this.#file;
  }

  /** Sets the download path; `""` keeps bodies in memory. */
  set downloadFile(path: string) {
    if (this.#guardSetter("downloadFile")) this.#file = path;
  }

  /** Seconds of ticks (the deltas given to this node) before the request fails with `RESULT_TIMEOUT`; 0 (default) never. */
  get timeout(): number {
    return this.#timeoutSeconds;
  }

  /** Sets the timeout; negative or non-finite values are ignored. */
  set timeout(seconds: number) {
    if (Number.isFinite(seconds) && seconds >= 0) this.#timeoutSeconds = seconds;
    else this.#reason = `timeout must be a number >= 0, got ${seconds}`;
  }

  /**
   * Seconds of ticks a connection may take to be ready — name lookup, TCP connect (every address
   * tried), proxy tunnel and TLS handshake — before the attempt ends with `RESULT_TIMEOUT` and a
   * reason starting `connectTimeout:` (OpenHarmony's `connectTimeout`). Counted per connection, so
   * a redirect or a retry has its own. 0 (default) for no limit; negative or non-finite values are
   * ignored. Read as `request()` starts a request. A retry policy may retry it.
   */
  get connectTimeout(): number {
    return this.#phaseTimeouts.connect;
  }

  /** Sets the connect timeout (see the getter). */
  set connectTimeout(seconds: number) {
    this.#setPhaseTimeout("connect", "connectTimeout", seconds);
  }

  /**
   * Seconds of ticks from the last byte of the request sent to the complete response head before
   * the attempt ends with `RESULT_TIMEOUT` and a reason starting `headTimeout:`: a server that
   * accepted the request but does not answer. 0 (default) for no limit.
   */
  get headTimeout(): number {
    return this.#phaseTimeouts.head;
  }

  /** Sets the head timeout (see the getter). */
  set headTimeout(seconds: number) {
    this.#setPhaseTimeout("head", "headTimeout", seconds);
  }

  /**
   * Stall detection: seconds of ticks without a body byte, from the complete head on, before the
   * attempt ends with `RESULT_TIMEOUT` and a reason starting `idleTimeout:` (OpenHarmony's
   * `readTimeout`). Each arriving byte restarts the count; a body paused with
   * {@link HTTPRequest.setBodyPaused} is not counted. 0 (default) for no limit.
   */
  get idleTimeout(): number {
    return this.#phaseTimeouts.idle;
  }

  /** Sets the idle timeout (see the getter). */
  set idleTimeout(seconds: number) {
    this.#setPhaseTimeout("idle", "idleTimeout", seconds);
  }

  #setPhaseTimeout(phase: "connect" | "head" | "idle", name: string, seconds: number): void {
    if (Number.isFinite(seconds) && seconds >= 0) this.#phaseTimeouts = { ...this.#phaseTimeouts, [phase]: seconds };
    else this.#reason = `${name} must be a number >= 0, got ${seconds}`;
  }

  /** Why the last request failed or the last call was refused, with the underlying cause; `""` if nothing failed. */
  getErrorReason(): string {
    return this.#reason;
  }

  /**
   * Sets the TLS options used for `https://` URLs (including redirects to them). A kept connection
   * opened with other options is not reused.
   *
   * @param options - The options.
   */
  setTlsOptions(options: TLSOptions): void {
    this.#tlsOptions = options;
  }

  /**
   * Sets the proxy for `http://` URLs (see {@link HTTPClient.setHttpProxy}); it applies to every
   * later connection, including redirects to `http://`.
   *
   * @param host - The proxy host, optionally `user:pass@host`; `""` clears it.
   * @param port - The proxy port; -1 clears it.
   * @param credentials - Basic credentials for the proxy, as an alternative to `user:pass@host`.
   * @returns `OK`, or `ERR_INVALID_PARAMETER` for a malformed host, port or credentials.
   */
  setHttpProxy(host: string, port: number, credentials?: ProxyCredentials): Err {
    return this.#setProxy("http", host, port, credentials);
  }

  /**
   * Sets the proxy for `https://` URLs (see {@link HTTPClient.setHttpsProxy}); it applies to every
   * later connection, including redirects to `https://`.
   *
   * @param host - The proxy host, optionally `user:pass@host`; `""` clears it.
   * @param port - The proxy port; -1 clears it.
   * @param credentials - Basic credentials for the proxy, as an alternative to `user:pass@host`.
   * @returns `OK`, or `ERR_INVALID_PARAMETER` for a malformed host, port or credentials.
   */
  setHttpsProxy(host: string, port: number, credentials?: ProxyCredentials): Err {
    return this.#setProxy("https", host, port, credentials);
  }

  /**
   * Starts a request. Returns at once. Called during a tick (from a `requestCompleted` listener,
   * another node's `_process`, anywhere), the request goes out in that tick: the node asks its tree
   * for another pass ({@link SceneTree.queueProcess}), so a chained keep-alive request costs one
   * frame. Called between ticks, it wakes the node's tree ({@link SceneTree.wake}), so a sleeping
   * as-fast-as-possible `TreeRunner` ticks it at once.
   *
   * Never throws: an argument of the wrong type (from JavaScript, or through a cast) is refused
   * with `ERR_INVALID_PARAMETER` and {@link HTTPRequest.getErrorReason} says what was expected.
   *
   * @param url - An `http://` or `https://` URL.
   * @param customHeaders - Header lines `"Name: value"` (sent in order, repeated names included),
   * or a record `{ Name: "value" }` as `fetch` takes (an array value sends the field once per element);
   * none when omitted.
   * @param method - The {@link Method}, or any other method by name as sent (e.g. `"PROPFIND"`;
   * case-sensitive, a token; `"GET"` … `"PATCH"` count as their {@link Method} value).
   * @param body - The body: a string (sent as UTF-8), bytes, or a {@link BodySource} streamed as
   * the connection takes it (a `StreamingBodySource` written across ticks, a `FileBodySource`, a
   * multipart body). A streamed body is not sent again: a 307/308 redirect of it fails the request.
   * A plain object is refused: send JSON as `JSON.stringify(value)`.
   * @param options - An `AbortSignal`, a download path for this request, and other per-request options;
   * none when omitted.
   * @returns `OK`; `ERR_UNCONFIGURED` outside a tree; `ERR_BUSY` while a request runs;
   * `ERR_INVALID_PARAMETER` for a bad URL, method, header or body, or an aborted signal. Nothing is
   * emitted for a refused call.
   */
  request(
    url: string,
    customHeaders?: RequestHeaders,
    method: Method | string = Method.METHOD_GET,
    body: string | Uint8Array | BodySource = "",
    options?: RequestOptions,
  ): Err {
    return this.requestRaw(
      url,
      customHeaders,
      method,
      typeof body === "string" ? (body === "" ? EMPTY : encoder.encode(body)) : body,
      options,
    );
  }

  /**
   * {@link HTTPRequest.request} with a body of bytes (Godot's `request_raw`).
   *
   * @param url - An `http://` or `https://` URL.
   * @param customHeaders - Header lines `"Name: value"`, or a record (see {@link HTTPRequest.request}).
   * @param method - As for {@link HTTPRequest.request}.
   * @param body - The body bytes.
   * @param options - As for {@link HTTPRequest.request}.
   * @returns As {@link HTTPRequest.request}.
   */
  requestRaw(
    url: string,
    customHeaders?: RequestHeaders,
    method: Method | string = Method.METHOD_GET,
    body: Uint8Array | BodySource = EMPTY,
    options?: RequestOptions,
  ): Err {
    // Without headers or options, one shared empty value each (no allocation per call).
    const opts = options === undefined ? NO_OPTIONS : options;
    if (!this.isInsideTree()) return this.#refuse(Err.ERR_UNCONFIGURED, "request() needs the node to be inside a SceneTree");
    if (this.#isActive()) return this.#refuse(Err.ERR_BUSY, "a request is already running; cancel it or wait for requestCompleted");
    const refused = urlRefusal(url) ?? bodyRefusal(body) ?? optionsRefusal(opts);
    if (refused !== null) return this.#refuse(Err.ERR_INVALID_PARAMETER, refused);
    const headers = headerLinesOf(customHeaders);
    if (typeof headers === "string") return this.#refuse(Err.ERR_INVALID_PARAMETER, headers);
    // Read once here: the run never sees a later change of the node's settings.
    const settings: RequestSettings = {
      acceptGzip: this.acceptGzip,
      maxRedirects: this.maxRedirects,
      redirectMode: this.redirectMode,
      tlsOptions: this.#tlsOptions,
      bodySizeLimit: this.#limit,
      downloadChunkSize: this.#chunkSize,
      downloadFile: opts.downloadFile ?? this.#file,
      proxyLoginHandler: this.proxyLoginHandler,
      retry: opts.retry !== undefined ? opts.retry : this.retryPolicy,
      timeouts: this.#phaseTimeouts,
      useEnvironmentProxy: opts.useEnvironmentProxy ?? this.useEnvironmentProxy,
    };
    const plan = this.#plans.plan({
      url,
      customHeaders: headers,
      method,
      body,
      range: opts,
      integrity: opts.integrity,
      acceptGzip: settings.acceptGzip,
      downloadFile: settings.downloadFile,
    });
    if (!plan.ok) return this.#refuse(Err.ERR_INVALID_PARAMETER, plan.reason);
    if (opts.signal?.aborted === true) return this.#refuse(Err.ERR_INVALID_PARAMETER, "the AbortSignal is already aborted");
    const cacheMode = opts.cache ?? "default";
    if (opts.cache !== undefined && !CACHE_MODES.has(cacheMode))
      return this.#refuse(Err.ERR_INVALID_PARAMETER, `unknown cache mode ${JSON.stringify(cacheMode)}`);
    const credentials = opts.credentials ?? "include";
    if (opts.credentials !== undefined && !CREDENTIALS_MODES.has(credentials))
      return this.#refuse(Err.ERR_INVALID_PARAMETER, `unknown credentials mode ${JSON.stringify(credentials)}`);
    const tree = this.getTree() as SceneTree;
    const jar = this.cookieJar ?? tree.cookieJar;
    const cache = this.httpCache ?? tree.httpCache;
    const login = this.authLoginHandler;
    // Nothing attached: no session at all, so a plain request costs nothing more.
    const sessionSettings: SessionSettings | null =
      jar === null && cache === null && login === null && cacheMode !== "only-if-cached"
        ? null
        : {
            jar,
            cache,
            cacheMode,
            login,
            credentials,
            digest: (this.#digest ??= new DigestAuth()),
            now: () => tree.getDateMs(),
          };
    const session = sessionSettings === null ? null : new RequestSession(sessionSettings, plan.hop, plan.range !== null);
    this.#quietAt = -1;
    this.#elapsed = 0; // before the timings start: without a clock they read this node's time
    this.#timings.start();
    if (opts.signal !== undefined) {
      this.#abortSignal = opts.signal;
      opts.signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    this.#reason = "";
    this.#bodyHeld = false;
    this.#peakBuffered = 0;
    const run = new RequestRun({
      plan,
      settings,
      connection: this.#connection,
      proxies: this.#proxies,
      timings: this.#timings,
      bodyData: this.bodyData,
      session,
    });
    this.#run = run;
    this.#runSettled = false;
    this.#runTimed = run.isTimed();
    // A stale answer delivered under stale-while-revalidate: its validation goes out beside it.
    const staleKey = session?.backgroundValidationKey() ?? null;
    if (staleKey !== null && sessionSettings !== null) {
      this.#revalidator ??= new BackgroundRevalidator(this.#network, this.#proxies, () => this.getTree()?.wake());
      this.#revalidator.start(plan, settings, sessionSettings, staleKey, this.#timeoutSeconds);
    }
    this.#settle(run); // it may have failed at once (a host that cannot be connected to)
    // Sent in this tick when one is running (a listener, another node), else in the next: wakes the tree.
    this.getTree()?.queueProcess(this);
    return Err.OK;
  }

  /**
   * Holds the response body back: while paused, ticks read no body byte from the connection, so
   * the peer's read buffer fills to its bound and the socket stops reading (TCP flow control
   * reaches the server). A consumer slower than the network (a `ReadableStream` read by the
   * application) pauses when it has enough and resumes when it wants more; memory stays bounded
   * whatever the body size. Resuming wakes the tree. Every `request()` starts unpaused. Time still
   * counts against {@link HTTPRequest.timeout} while paused.
   *
   * @param paused - True to hold the body back, false to read it again.
   */
  setBodyPaused(paused: boolean): void {
    if (this.#bodyHeld === paused) return;
    this.#bodyHeld = paused;
    this.#run?.holdBody(paused);
    if (!paused && this.#isActive()) this.getTree()?.wake();
  }

  /** True while the body is held back ({@link HTTPRequest.setBodyPaused}). */
  isBodyPaused(): boolean {
    return this.#bodyHeld;
  }

  /** Stops the running request at once. Nothing is emitted; a new `request()` may follow in the same tick. */
  cancelRequest(): void {
    this.#quietAt = -1;
    this.#releaseAbortSignal();
    this.#run?.cancel();
  }

  /**
   * Follows the redirect announced by {@link HTTPRequest.redirectReceived} (`redirectMode`
   * `"manual"`). The next hop starts at once; `maxRedirects` still applies.
   *
   * @returns `OK`, or `ERR_UNCONFIGURED` when no redirect is waiting.
   */
  followRedirect(): Err {
    const run = this.#run;
    if (run === null || !run.followRedirect()) return this.#refuse(Err.ERR_UNCONFIGURED, "no redirect is waiting for followRedirect()");
    this.#settle(run);
    this.getTree()?.queueProcess(this);
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
    return this.#timings.snapshot();
  }

  /**
   * Where the current (or last) request's response came from as far as the HTTP cache goes:
   * `"hit"` (delivered from the cache, nothing sent for it, no connection opened; a stale answer
   * within `stale-while-revalidate` is validated in the background meanwhile), `"validated"` (a 304
   * confirmed the stored response, whose body was delivered), `"stale"` (a 5xx within
   * `stale-if-error`), `"miss"` (from the network) or `"none"` (no cache, or bypassed).
   */
  getCacheOutcome(): CacheOutcome {
    return this.#run?.session?.outcome ?? "none";
  }

  /**
   * The body length of the current final response as it comes on the wire, by the rule of
   * `HTTPClient.getResponseBodyLength()`: 0 for a response that can have no body (an answer to
   * HEAD, 204, 304) whatever it announces, its `Content-Length` for a length-delimited body, -1
   * when unknown (chunked, close-delimited, or no final response yet).
   */
  getBodySize(): number {
    return this.#run?.body.size ?? -1;
  }

  /** Body bytes received for the current response as sent on the wire (before decoding, after de-chunking). */
  getDownloadedBytes(): number {
    return this.#run?.body.downloaded ?? 0;
  }

  /**
   * For a resumable download (`RequestOptions.resume`) of the current (or last) request: the bytes
   * of `<downloadFile>.partial` kept before this response's body (the `N` of a 206 answering
   * `Range: bytes=N-`); 0 otherwise. The whole file's progress is this plus
   * {@link HTTPRequest.getDownloadedBytes}, of this plus {@link HTTPRequest.getBodySize}.
   */
  getResumedFrom(): number {
    return this.#run?.body.resumedFrom ?? 0;
  }

  /**
   * The most received but not yet read bytes the connection of the current (or last) request held
   * at once: the memory the transport used, which the peer's read bound keeps under the bound's
   * cap (`DEFAULT_MAX_READ_BUFFER_BYTES`, 8 MiB, by default; the bound starts at 4 MiB and grows
   * only while each tick drains a full buffer) plus one socket read, whatever the body size.
   * Sampled at the start of each tick (bytes only arrive between ticks, so no peak is missed); a
   * reused keep-alive connection also counts what it held for earlier requests. 0 for in-memory
   * peers.
   */
  getPeakBufferedBytes(): number {
    return this.#peakBuffered;
  }

  /** The status of the underlying {@link HTTPClient}. */
  getHttpClientStatus(): Status {
    return this.#connection.getStatus();
  }

  /**
   * Steps the request: polls the client and drains every body byte that has arrived.
   *
   * @param delta - Seconds since the last tick; counted against {@link HTTPRequest.timeout}.
   */
  override _process(delta: number): void {
    const passed = delta > 0 && delta < Number.POSITIVE_INFINITY ? delta : 0; // NaN, negative, infinite: 0
    // Fully sent, waiting for the response head, and no activity since: the run is active and a
    // poll would find nothing new, so the tick only counts time. (Only a step, a new request or a
    // cancel moves the run on from there.) Decided from this node's own fields, so the thousands of
    // idle nodes of a big tree cost a few field reads each per tick (W4). Nothing else that counts
    // tick time (phase timeouts, a retry policy, background validations) may wait on the node.
    if (this.#quietAt === this.#activity && !this.#runTimed && this.#revalidator === null) {
      this.#elapsed += passed;
      if (!(this.#timeoutSeconds > 0 && this.#elapsed >= this.#timeoutSeconds - TIME_EPSILON)) return;
      this.#processRun(passed, true);
      return;
    }
    if (this.#revalidator !== null) this.#revalidator.process(delta);
    this.#processRun(passed, false);
  }

  /**
   * The tick of the node's run (see {@link HTTPRequest._process}).
   *
   * @param passed - The tick's delta as time (0 for a negative, NaN or infinite one).
   * @param counted - True when `passed` was already added to the node's elapsed time.
   */
  #processRun(passed: number, counted: boolean): void {
    const run = this.#run;
    if (run === null || this.#runSettled) return;
    let bug: unknown = null;
    const quiet = this.#quietAt === this.#activity;
    if (quiet || run.isActive()) {
      if (!counted) this.#elapsed += passed;
      const timedOut = this.#timeoutSeconds > 0 && this.#elapsed >= this.#timeoutSeconds - TIME_EPSILON;
      // Nothing that counts tick time (phase timeouts, a retry policy) waits on a quiet run: the tick
      // ends here.
      if (quiet && !timedOut && !this.#runTimed) return;
      try {
        this.#connection.getClient()?.advanceTime(passed); // for the dual-stack connect's attempt delay
        // The wait before a retry and the phase timeouts count this tick's time; when one is over
        // the request moved (a new attempt, a timed-out phase), so the tick steps it.
        const moved = !timedOut && this.#runTimed && run.advanceTime(passed);
        if (quiet && !timedOut && !moved) return;
        this.#quietAt = -1;
        this.#peakBuffered = Math.max(this.#peakBuffered, this.#connection.getPeakBufferedBytes());
        if (timedOut) {
          run.fail(Result.RESULT_TIMEOUT, `timed out after ${this.#timeoutSeconds} s`);
        } else {
          const seen = this.#activity;
          // A threaded network's news is seen by polling: the activity count may not have heard it.
          if (run.step() && !this.#connection.isOffThread()) this.#quietAt = seen;
        }
      } catch (error) {
        // A bug, not a network failure: the request ends with a reason that names it, and the
        // error itself is reported on the tree's nodeError (thrown once the tick's signals are out).
        bug = error ?? new Error(String(error));
        const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        run.fail(Result.RESULT_REQUEST_FAILED, `internal error (a bug in poll-http, please report it): ${detail}`);
      }
    }
    // A listener (proxyLoginHandler) may have cancelled the request and started another.
    const current = this.#run;
    if (current !== null) {
      if (current.isActive() || current.hasCompletion()) current.collectProgress();
      this.#settle(current);
      this.#flush(current);
      // A listener may have started another request: only the run now in place can be settled.
      const now = this.#run;
      if (now !== null && !now.isActive() && !now.hasEmissions()) this.#runSettled = true;
    }
    if (bug !== null) throw bug;
  }

  /**
   * Tells a runner when this node next needs a tick even if no byte arrives: the timeout, or at
   * once when something is waiting to be emitted. (Bytes, connections and lookups wake the
   * runner by themselves.)
   *
   * @returns Seconds from now, or null when nothing is due.
   */
  override _nextDeadline(): number | null {
    const own = this.#ownDeadline();
    const background = this.#revalidator?.nextDeadline() ?? null;
    return own === null ? background : background === null ? own : Math.min(own, background);
  }

  /** {@link HTTPRequest._nextDeadline} for the node's own request. */
  #ownDeadline(): number | null {
    const run = this.#run;
    if (run === null || this.#runSettled) return null;
    const timeout = this.#timeoutSeconds > 0 ? Math.max(0, this.#timeoutSeconds - this.#elapsed) : null;
    // Quiet and untimed (see _process): only the timeout can be due.
    if (this.#quietAt === this.#activity && !this.#runTimed) return timeout;
    if (run.hasEmissions() || run.hasPendingWork()) return 0;
    if (!run.isActive()) return null;
    const client = this.#connection.getClient()?.getNextDeadline() ?? null;
    const timed = this.#runTimed ? run.nextDeadline() : null; // only a timed run has deadlines of its own
    return earliestOf(earliestOf(timeout, client), timed);
  }

  /** Leaving the tree cancels the running request (nothing is emitted) and closes the connection. */
  override _exitTree(): void {
    this.cancelRequest();
    this.#connection.close();
    this.#revalidator?.cancel();
  }

  /** True while a request runs. */
  #isActive(): boolean {
    return this.#run?.isActive() === true;
  }

  /** Takes what the run has to tell the node after a call: why it failed, and whether it ended. */
  #settle(run: RequestRun): void {
    const reason = run.takeReason();
    if (reason !== null) this.#reason = reason;
    if (!run.isActive()) this.#releaseAbortSignal();
  }

  /** Emits what this tick of `run` produced, in the fixed order; stops when a listener cancels or restarts the request. */
  #flush(run: RequestRun): void {
    if (!run.hasEmissions()) return;
    const batch = run.takeEmissions();
    // A signal without listeners is skipped: emitting it would call nobody.
    const { headers, redirect, download, upload, retrying, completion } = batch;
    if (headers !== null && this.headersReceived.getConnectionCount() > 0) this.headersReceived.emit(headers[0], headers[1]);
    if (redirect !== null && this.#isLive(run)) this.redirectReceived.emit(...redirect);
    if (batch.data.length > 0 && this.#isLive(run) && this.bodyData.getConnectionCount() > 0) {
      if (this._bodyDataViews) {
        const pieces = batch.data;
        for (let i = 0; i < pieces.length && this.#isLive(run); i++) this.bodyData.emit(pieces[i] as Uint8Array);
        pieces.length = 0;
      } else {
        // The join is bounded (a tick decodes a bounded amount), but nothing here may keep requestCompleted from being emitted.
        let chunk: Uint8Array | null = null;
        try {
          chunk = batch.takeData();
        } catch (error) {
          Signal.onListenerError(error, "body_data");
        }
        if (chunk !== null) this.bodyData.emit(chunk);
      }
    }
    if (download !== null && this.#isLive(run) && this.downloadProgress.getConnectionCount() > 0)
      this.downloadProgress.emit(download[0], download[1]);
    if (upload !== null && this.#isLive(run) && this.uploadProgress.getConnectionCount() > 0)
      this.uploadProgress.emit(upload[0], upload[1]);
    if (retrying !== null && this.#isLive(run) && this.retrying.getConnectionCount() > 0)
      this.retrying.emit(retrying[0], retrying[1], retrying[2]);
    if (completion !== null && this.#isLive(run)) this.requestCompleted.emit(completion[0], completion[1], completion[2], completion[3]);
  }

  /** True while `run` is this node's request and not cancelled: a listener may cancel it or start another. */
  #isLive(run: RequestRun): boolean {
    return this.#run === run && !run.isCancelled();
  }

  #releaseAbortSignal(): void {
    this.#abortSignal?.removeEventListener("abort", this.#onAbort);
    this.#abortSignal = null;
  }

  /** The node's time in milliseconds: the injected clock, or the deltas it was given since the request started. */
  #now(): number {
    return this.#clock !== undefined ? this.#clock() : this.#elapsed * 1000;
  }

  /** Records why a call was refused and returns its code. */
  #refuse(err: Err, reason: string): Err {
    this.#reason = reason;
    return err;
  }

  #setProxy(kind: "http" | "https", host: string, port: number, credentials: ProxyCredentials | undefined): Err {
    const invalid = this.#proxies.set(kind, host, port, credentials);
    if (invalid !== null) return this.#refuse(Err.ERR_INVALID_PARAMETER, invalid);
    // A kept connection may go the old way: it is closed, unless a request runs on it.
    this.#connection.onProxyChanged(kind, this.#isActive());
    return Err.OK;
  }

  #guardSetter(name: string): boolean {
    if (!this.#isActive()) return true;
    this.#reason = `${name} cannot change while a request runs`;
    return false;
  }
}
