// The recipes of docs/guide.md, as functions the test suite type-checks and runs against local
// servers (test/examples/recipes.test.ts). Each takes the SceneTree the game already ticks.
import {
  Err,
  FileBodySource,
  HTTPClient,
  HTTPRequest,
  Method,
  Result,
  RetryPolicy,
  type SceneTree,
  Status,
  TLSOptions,
  createMultipartBody,
  getHeaderValue,
  resultName,
} from "../src/index.ts";

/** A player record as the JSON API returns it. */
export interface Player {
  readonly id: number;
  readonly name: string;
  readonly level: number;
}

// #region json
/** GETs a JSON document; calls back with the parsed value or a one-line error. */
export function getJson<T>(tree: SceneTree, url: string, done: (value: T | null, error: string) => void): void {
  const req = new HTTPRequest();
  tree.root.addChild(req);
  req.requestCompleted.connect((result, code, headers, body) => {
    req.queueFree(); // one node per request here; a long-lived node can send the next request instead
    if (result !== Result.RESULT_SUCCESS) return done(null, `${resultName(result)}: ${req.getErrorReason()}`);
    if (code !== 200) return done(null, `HTTP ${code}`);
    if (!(getHeaderValue(headers, "content-type") ?? "").startsWith("application/json")) return done(null, "not JSON");
    done(JSON.parse(new TextDecoder().decode(body)) as T, "");
  });
  req.request(url, ["Accept: application/json"]);
}

/** POSTs a JSON document; the body is UTF-8 and gets a Content-Length. */
export function postJson(tree: SceneTree, url: string, value: unknown, done: (code: number, reply: string) => void): Err {
  const req = new HTTPRequest();
  tree.root.addChild(req);
  req.requestCompleted.connect((_result, code, _headers, body) => {
    req.queueFree();
    done(code, new TextDecoder().decode(body));
  });
  return req.request(url, ["Content-Type: application/json"], Method.METHOD_POST, JSON.stringify(value));
}
// #endregion json

// #region download-progress
/** Downloads `url` to `path`, reporting progress each frame bytes arrive. */
export function downloadWithProgress(
  tree: SceneTree,
  url: string,
  path: string,
  onProgress: (received: number, total: number) => void,
  done: (ok: boolean, why: string) => void,
): HTTPRequest {
  const req = new HTTPRequest();
  req.downloadFile = path; // body goes to a temporary file renamed over `path` on success
  req.bodySizeLimit = 512 * 1024 * 1024; // counted after decompression
  req.downloadProgress.connect(onProgress); // (bytes so far, Content-Length or -1)
  req.requestCompleted.connect((result, code) => {
    req.queueFree();
    if (result === Result.RESULT_SUCCESS && code === 200) done(true, "");
    else done(false, result === Result.RESULT_SUCCESS ? `HTTP ${code}` : req.getErrorReason());
  });
  tree.root.addChild(req);
  req.request(url);
  return req;
}
// #endregion download-progress

// #region redirects
/** Follows at most 3 redirects; returns the node so `getErrorReason()` can be read afterwards. */
export function getFollowingRedirects(
  tree: SceneTree,
  url: string,
  done: (result: Result, code: number, body: string) => void,
): HTTPRequest {
  const req = new HTTPRequest();
  req.maxRedirects = 3; // more ends in RESULT_REDIRECT_LIMIT_REACHED; -1 for no limit
  tree.root.addChild(req);
  req.requestCompleted.connect((result, code, _headers, body) => done(result, code, new TextDecoder().decode(body)));
  req.request(url);
  return req;
}

/** Sees each redirect before it is followed, and only follows those that stay on the same host. */
export function getWithRedirectCheck(tree: SceneTree, url: string, done: (result: Result, code: number, hops: string[]) => void): void {
  const req = new HTTPRequest();
  req.redirectMode = "manual";
  const hops: string[] = [];
  req.redirectReceived.connect((code, method, next) => {
    hops.push(`${code} → ${method} ${next}`);
    if (new URL(next).host === new URL(url).host) req.followRedirect();
    else req.cancelRequest(); // nothing more is emitted
  });
  req.requestCompleted.connect((result, code) => done(result, code, hops));
  tree.root.addChild(req);
  req.request(url);
}
// #endregion redirects

// #region proxies
/** Routes a node's requests through proxies: plain HTTP in absolute form, HTTPS through a CONNECT tunnel. */
export function useProxies(req: HTTPRequest): void {
  req.setHttpProxy("proxy.lan", 3128); // for http:// URLs
  req.setHttpsProxy("proxy.lan", 3128, { user: "me", password: "secret" }); // for https:// URLs, with Basic auth
  // Or ask for credentials only when the proxy answers 407 (at most 3 times per request):
  req.proxyLoginHandler = ({ host, realm, attempt }) => (attempt === 1 ? { user: "me", password: `for ${realm}@${host}` } : null);
}
// #endregion proxies

// #region tls
/** Trusts a private CA (PEM) instead of the system store, for every https:// URL of this node. */
export function trustPrivateCa(req: HTTPRequest, caPem: string): void {
  req.setTlsOptions(TLSOptions.client(caPem)); // certificate and host name still verified
  // A server whose certificate names another host: TLSOptions.client(caPem, "name.in.certificate")
  // Mutual TLS: TLSOptions.client(caPem).withClientCertificate(certPem, keyPem)
  // Verify nothing (tests only): TLSOptions.clientUnsafe()
}
// #endregion tls

// #region cancel-timeout
/** Gives up after `seconds` of ticks, or when the player presses cancel (`controller.abort()`). */
export function getWithTimeout(
  tree: SceneTree,
  url: string,
  seconds: number,
  controller: AbortController,
  done: (result: Result, why: string) => void,
): HTTPRequest {
  const req = new HTTPRequest();
  req.timeout = seconds; // counts the deltas this node is ticked with: virtual time in a simulation
  tree.root.addChild(req);
  req.requestCompleted.connect((result) => done(result, req.getErrorReason())); // RESULT_TIMEOUT on timeout
  req.request(url, [], Method.METHOD_GET, "", { signal: controller.signal }); // abort() = cancelRequest(): nothing is emitted
  return req;
}
// #endregion cancel-timeout

// #region retries
/**
 * One node for the calls of a game backend: idempotent calls are retried on connection errors,
 * stalls and 408/425/429/5xx, with backoff and jitter seeded per player (so a replayed session
 * retries at the same virtual instants) and `Retry-After` honoured; the whole call gives up after
 * 20 s of ticks. Each phase has its own limit, so a dead server is noticed long before that.
 */
export function backendNode(tree: SceneTree, playerId: number, log: (line: string) => void): HTTPRequest {
  const req = new HTTPRequest();
  req.retryPolicy = new RetryPolicy({ attempts: 4, baseDelay: 0.5, maxDelay: 8, budget: 20, seed: playerId });
  req.connectTimeout = 5; // DNS + TCP + TLS
  req.headTimeout = 10; // the server accepted the call but does not answer
  req.idleTimeout = 5; // the answer stalls
  req.timeout = 30; // everything, every attempt included
  req.retrying.connect((attempt, delay, why) => log(`attempt ${attempt} in ${delay.toFixed(2)} s: ${why} (${req.getErrorReason()})`));
  tree.root.addChild(req);
  return req;
}

/** Claims a reward: a POST is sent once unless the backend makes it safe to repeat (an idempotency key). */
export function claimReward(req: HTTPRequest, url: string, rewardId: string, done: (code: number, attempts: number) => void): Err {
  req.requestCompleted.connect((_result, code) => done(code, req.getTimings().attempts), { oneShot: true });
  return req.request(
    url,
    ["Content-Type: application/json", `Idempotency-Key: reward-${rewardId}`],
    Method.METHOD_POST,
    JSON.stringify({ rewardId }),
    { retry: new RetryPolicy({ attempts: 3, methods: ["POST"] }) },
  );
}
// #endregion retries

// #region resilient-download
/**
 * Downloads a large file over a flaky network: a cut or a stall (no byte for 10 s) is retried up
 * to 5 times, each retry continuing with `Range` from the bytes already on disk (`If-Range` makes a
 * changed file come whole). The target is replaced only once the file is complete.
 */
export function resilientDownload(
  tree: SceneTree,
  url: string,
  target: string,
  done: (result: Result, attempts: number, why: string) => void,
): HTTPRequest {
  const req = new HTTPRequest();
  req.downloadFile = target;
  req.acceptGzip = false; // ranges count the bytes as sent: keep them uncompressed
  req.idleTimeout = 10;
  req.retryPolicy = new RetryPolicy({ attempts: 6, baseDelay: 1, maxDelay: 15 });
  tree.root.addChild(req);
  req.requestCompleted.connect((result) => done(result, req.getTimings().attempts, req.getErrorReason()));
  req.request(url);
  return req;
}
// #endregion resilient-download

// #region uploads
/** PUTs a file without reading it into memory; progress comes per frame. */
export function uploadFile(
  tree: SceneTree,
  url: string,
  path: string,
  onProgress: (sent: number, total: number) => void,
  done: (result: Result, code: number) => void,
): Err {
  const opened = FileBodySource.open(path);
  if (!opened.ok) return Err.ERR_FILE_CANT_OPEN;
  const req = new HTTPRequest();
  tree.root.addChild(req);
  req.uploadProgress.connect(onProgress);
  req.requestCompleted.connect((result, code) => done(result, code));
  return req.request(url, ["Content-Type: application/octet-stream"], Method.METHOD_PUT, opened.source);
}

/** POSTs a form with a text field and a file, as multipart/form-data. */
export function uploadForm(tree: SceneTree, url: string, path: string, done: (result: Result, code: number, reply: string) => void): Err {
  const form = createMultipartBody([
    { name: "title", data: "my save" },
    { name: "save", filePath: path, contentType: "application/octet-stream" },
  ]);
  if (!form.ok) return Err.ERR_INVALID_PARAMETER;
  const req = new HTTPRequest();
  tree.root.addChild(req);
  req.requestCompleted.connect((result, code, _headers, body) => done(result, code, new TextDecoder().decode(body)));
  return req.request(url, [`Content-Type: ${form.contentType}`], Method.METHOD_POST, form.body);
}
// #endregion uploads

// #region http-client
/**
 * Godot's HTTPClient loop: connect, poll until connected, request, read the body. Call `step()`
 * once per frame. `consume` gets each piece of body as a view that is valid until the next
 * `poll()`: hash it, write it or parse it there, or copy what you keep (`piece.slice()`).
 */
export class PlainGet {
  readonly client = new HTTPClient();
  private readonly path: string;
  private readonly consume: (piece: Uint8Array) => void;
  private sent = false;

  constructor(host: string, port: number, path: string, consume: (piece: Uint8Array) => void) {
    this.path = path;
    this.consume = consume;
    this.client.connectToHost(host, port); // or "https://host" / a TLSOptions for TLS
  }

  /** @returns true once the response is complete (or failed: see `client.getErrorReason()`). */
  step(): boolean {
    const client = this.client;
    client.poll();
    switch (client.getStatus()) {
      case Status.STATUS_CONNECTED:
        if (!this.sent) {
          this.sent = client.request(Method.METHOD_GET, this.path, ["Accept: */*"]) === Err.OK;
          return !this.sent;
        }
        return true; // the body is complete and the connection is kept for another request
      case Status.STATUS_BODY:
        // Views without a copy, up to 64 KiB each, of every body byte that has arrived.
        for (let piece = client.readResponseBodyPiece(65536); piece.length > 0; piece = client.readResponseBodyPiece(65536)) {
          this.consume(piece);
        }
        return client.getStatus() !== Status.STATUS_BODY; // CONNECTED: complete; an error status: failed
      case Status.STATUS_RESOLVING:
      case Status.STATUS_CONNECTING:
      case Status.STATUS_REQUESTING:
        return false;
      default:
        return true; // DISCONNECTED after a close-delimited body, or an error status
    }
  }
}
// #endregion http-client

// #region own-loop
/** Ticks `tree` from the game's own loop instead of a TreeRunner; returns a function that stops it. */
export function startOwnLoop(tree: SceneTree, updateAndRender: (delta: number) => void): () => void {
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const delta = (now - last) / 1000;
    last = now;
    tree.process(delta); // every HTTPRequest ticks once; their signals are emitted inside this call
    updateAndRender(delta);
  }, 1000 / 60);
  return () => clearInterval(timer);
}
// #endregion own-loop
