/**
 * Small pieces for the tests against real servers (nginx, tinyproxy): run one HTTPRequest to
 * completion in its own tree under a hard cap and close it afterwards, and track HTTPClients so
 * every one is closed; start the real servers once per file so that a failed start (nginx or
 * tinyproxy not installed) fails every test with its message instead of leaving them skipped.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { Err, errName, getHeaderValue, HTTPClient, type HTTPRequest, Method, resultName } from "../../src/index.ts";
import { makeTree, runUntilComplete, type Completion, type RunOptions } from "../request/loopback-helpers.ts";

/** A finished HTTPRequest: the signal's arguments, its error reason and some conveniences. */
export interface Fetched extends Completion {
  /** `getErrorReason()` at completion. */
  readonly reason: string;
  /** The body as UTF-8. */
  readonly text: string;
  /** `resultName(result)`, for readable assertions. */
  readonly resultName: string;
  /** The first value of a response header (any case), or undefined. */
  header(name: string): string | undefined;
}

/** What {@link fetchWith} sends. */
export interface FetchOptions extends RunOptions {
  /** Header lines. */
  readonly headers?: readonly string[];
  /** The method. Default GET. */
  readonly method?: Method;
  /** The request body. */
  readonly body?: string | Uint8Array;
  /** Configures the node before the request (proxies, TLS options, downloadFile, …). */
  readonly configure?: (node: HTTPRequest) => void;
}

function toFetched(node: HTTPRequest, done: Completion): Fetched {
  return {
    ...done,
    reason: node.getErrorReason(),
    text: Buffer.from(done.body).toString("utf8"),
    resultName: resultName(done.result),
    header: (name) => getHeaderValue(done.headers, name),
  };
}

/**
 * Runs requests on one HTTPRequest node (in a tree of its own) and removes it from the tree
 * afterwards, which closes any kept connection.
 *
 * @param configure - Sets the node up.
 * @param body - Gets a `fetch(url, options)` that runs one request on the node to completion.
 * @returns What `body` returned.
 */
export async function withNode<T>(
  configure: (node: HTTPRequest) => void,
  body: (fetch: (url: string, options?: FetchOptions) => Promise<Fetched>, node: HTTPRequest) => Promise<T>,
): Promise<T> {
  const { tree, node } = makeTree();
  configure(node);
  const fetch = async (url: string, options: FetchOptions = {}): Promise<Fetched> => {
    options.configure?.(node);
    const err = node.request(url, options.headers ?? [], options.method ?? Method.METHOD_GET, options.body ?? "");
    if (err !== Err.OK) throw new Error(`request(${url}) returned ${errName(err)}: ${node.getErrorReason()}`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 10_000, maxTicks: 1_000_000, ...options });
    return toFetched(node, done);
  };
  try {
    return await body(fetch, node);
  } finally {
    tree.root.removeChild(node);
  }
}

/**
 * Runs one request on a fresh HTTPRequest node and closes it.
 *
 * @param url - The URL.
 * @param options - Node setup, headers, method and run caps.
 * @returns The completion.
 */
export function fetchOnce(url: string, options: FetchOptions = {}): Promise<Fetched> {
  return withNode(
    () => {},
    (fetch) => fetch(url, options),
  );
}

/** HTTPClients created by a test file; {@link closeClients} closes them. */
const clients: HTTPClient[] = [];

/**
 * A new HTTPClient, closed by {@link closeClients}.
 *
 * @returns The client.
 */
export function newClient(): HTTPClient {
  const client = new HTTPClient();
  clients.push(client);
  return client;
}

/** Closes every client made by {@link newClient}; call it in `afterEach`. */
export function closeClients(): void {
  for (const client of clients.splice(0)) client.close();
}

/**
 * Registers the file's hooks: `start` once before all tests, `stop` once after them (also after
 * a failed start, to close what did start), and {@link closeClients} after each test. When `start`
 * throws — nginx or tinyproxy missing, a config nginx refuses — every test fails with that error
 * (a failing `beforeAll` alone would only mark them skipped).
 *
 * @param start - Starts the servers and stores them in the file's variables.
 * @param stop - Stops whatever was started; must cope with servers left undefined.
 */
export function realServersPerFile(start: () => Promise<void>, stop: () => Promise<void>): void {
  let failure: unknown = null;
  beforeAll(async () => {
    try {
      await start();
    } catch (error) {
      failure = error;
    }
  });
  beforeEach(() => {
    if (failure !== null) throw failure;
  });
  afterEach(() => closeClients());
  afterAll(async () => {
    closeClients();
    await stop();
  });
}
