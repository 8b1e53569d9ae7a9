/**
 * Loops that never yield: Godot's own examples, written as plain synchronous loops that never let
 * Node's event loop turn, made to work by a `ThreadedNetwork` (sockets on a worker thread, bytes
 * through shared memory). See "Loops that never yield" in docs/guide.md. The test suite runs
 * these functions (test/threaded/godot-loops.test.ts).
 */
import { Err, HTTPClient, HTTPRequest, Method, SceneTree, Status, ThreadedNetwork, type RequestCompletedArgs } from "../src/index.ts";

// #region delay
/** Godot's `OS.delay_msec()`: blocks this thread; its event loop does not turn meanwhile. */
export function delayMsec(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
// #endregion delay

/**
 * The Godot 4 `HTTPClient` tutorial's example, line for line (its `print`s go to `log`).
 *
 * @param host - The host to connect to.
 * @param port - Its port.
 * @param path - The page to request.
 * @param log - Receives what the example prints.
 * @param delayMs - The example's `OS.delay_msec(500)` between polls.
 * @returns The body as text.
 */
export function godotHttpClientExample(host: string, port: number, path: string, log: (line: string) => void, delayMs = 500): string {
  // #region godot4-client
  let err: Err = Err.OK;
  const http = new HTTPClient({ network: new ThreadedNetwork() }); // Create the Client.

  err = http.connectToHost(host, port); // Connect to host/port.
  if (err !== Err.OK) throw new Error(http.getErrorReason()); // Make sure connection is OK.

  // Wait until resolved and connected.
  while (http.getStatus() === Status.STATUS_CONNECTING || http.getStatus() === Status.STATUS_RESOLVING) {
    http.poll();
    log("Connecting...");
    delayMsec(delayMs);
  }

  if (http.getStatus() !== Status.STATUS_CONNECTED) throw new Error(http.getErrorReason()); // Check if the connection was made successfully.

  // Some headers
  const headers = ["User-Agent: Pirulo/1.0 (Godot)", "Accept: */*"];

  err = http.request(Method.METHOD_GET, path, headers); // Request a page from the site (this one was chunked..)
  if (err !== Err.OK) throw new Error(http.getErrorReason()); // Make sure all is OK.

  while (http.getStatus() === Status.STATUS_REQUESTING) {
    // Keep polling for as long as the request is being processed.
    http.poll();
    log("Requesting...");
    delayMsec(delayMs);
  }

  // Make sure request finished well.
  if (http.getStatus() !== Status.STATUS_BODY && http.getStatus() !== Status.STATUS_CONNECTED) throw new Error(http.getErrorReason());

  log(`response? ${http.hasResponse()}`); // Site might not have a response.

  let text = "";
  if (http.hasResponse()) {
    // If there is a response...
    log(`code: ${http.getResponseCode()}`); // Show response code.
    log(`**headers:\n${JSON.stringify(http.getResponseHeadersAsDictionary())}`); // Show headers.

    // Getting the HTTP Body
    if (http.isResponseChunked()) {
      log("Response is Chunked!"); // Does it use chunks?
    } else {
      log(`Response Length: ${http.getResponseBodyLength()}`); // Or just plain Content-Length
    }

    // This method works for both anyway
    const rb: Uint8Array[] = []; // Array that will hold the data.
    while (http.getStatus() === Status.STATUS_BODY) {
      // While there is body left to be read
      http.poll();
      const chunk = http.readResponseBodyChunk(); // Get a chunk.
      if (chunk.length === 0) {
        delayMsec(1); // Got nothing, wait for buffers to fill a bit (OS.delay_usec(1000)).
      } else {
        rb.push(chunk); // Append to read buffer.
      }
    }
    // Done!
    text = rb.map((chunk) => new TextDecoder("latin1").decode(chunk)).join("");
    log(`bytes got: ${text.length}`);
    log(`Text: ${text}`);
  }
  // #endregion godot4-client
  http.close();
  return text;
}

/**
 * Blocking mode: the same three loops with no delay — each `poll()` waits (without spinning) until
 * it has news, at most `blockingWaitSeconds`.
 *
 * @param host - The host to connect to.
 * @param port - Its port.
 * @param path - The page to request.
 * @returns The body as text and how many polls it took.
 */
export function blockingGet(host: string, port: number, path: string): { text: string; polls: number } {
  // #region blocking
  const http = new HTTPClient({ network: new ThreadedNetwork() });
  http.blockingModeEnabled = true; // poll() waits for news, at most http.blockingWaitSeconds (1 s)
  let polls = 0;
  http.connectToHost(host, port);
  while (http.getStatus() === Status.STATUS_CONNECTING || http.getStatus() === Status.STATUS_RESOLVING) {
    http.poll();
    polls++;
  }
  http.request(Method.METHOD_GET, path, []);
  while (http.getStatus() === Status.STATUS_REQUESTING) {
    http.poll();
    polls++;
  }
  let text = "";
  while (http.getStatus() === Status.STATUS_BODY) {
    http.poll();
    text += new TextDecoder().decode(http.readResponseBodyChunk());
    polls++;
  }
  // #endregion blocking
  http.close();
  return { text, polls };
}

/**
 * `useThreads`: a scene tree stepped by a plain `while`, as a headless simulation or a game's own
 * loop would, with no `await` anywhere.
 *
 * @param url - The URL to get.
 * @returns What `requestCompleted` carried.
 */
export function getWithThreads(url: string): RequestCompletedArgs {
  // #region use-threads
  const tree = new SceneTree();
  const req = new HTTPRequest();
  req.useThreads = true; // Godot's use_threads: this node's connections run on a worker thread
  tree.root.addChild(req);
  let completed: RequestCompletedArgs | null = null;
  req.requestCompleted.connect((...args) => {
    completed = args;
  });
  req.request(url);
  while (completed === null) tree.process(1 / 60); // never yields, still completes
  // #endregion use-threads
  req.queueFree();
  tree.process(0);
  return completed;
}
