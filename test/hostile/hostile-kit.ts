/**
 * What the hostile-server tests share: an HTTPRequest in its own tree run against a loopback URL
 * under a tick cap, with everything a case asserts collected in one {@link Outcome}: the
 * `requestCompleted` arguments, the reason, the tick it ended on, and the memory it used.
 */
import { expect } from "vitest";
import { HTTPClient } from "../../src/client/http-client.ts";
import type { Network } from "../../src/client/network.ts";
import type { SocketPeer } from "../../src/client/peer/socket-peer.ts";
import { TcpPeer } from "../../src/client/peer/tcp-peer.ts";
import { TlsPeer } from "../../src/client/peer/tls-peer.ts";
import { HTTPRequest } from "../../src/request-node/http-request.ts";
import { SceneTree } from "../../src/request-node/scene-tree.ts";
import { Err, errName } from "../../src/status/err.ts";
import { Method } from "../../src/status/method.ts";
import { Status } from "../../src/status/status.ts";
import { type Result, resultName } from "../../src/status/result.ts";
import { driveTree, pollClient, type BoundedTickOptions } from "../helpers/bounded-ticks.ts";
import type { Closable } from "../helpers/cleanup.ts";

/**
 * The tick bound of a case that ends as soon as the server's bytes arrive: half a second at 60 Hz.
 * (Such cases take 4–10 ticks of one event-loop turn each.)
 */
export const PROMPT_TICKS = 30;

/** 1 KiB. */
export const KiB = 1024;
/** 1 MiB. */
export const MiB = 1024 * 1024;

/** How a request ended, and what it cost. */
export interface Outcome {
  readonly result: Result;
  readonly code: number;
  readonly headers: string[];
  readonly body: Uint8Array;
  /** `getErrorReason()` after the completion. */
  readonly reason: string;
  /** The tick (counted from the `request()` call) that emitted `requestCompleted`. */
  readonly ticks: number;
  /** Real milliseconds taken. */
  readonly ms: number;
  /** `getPeakBufferedBytes()`: the most unread bytes the connection held at once. */
  readonly peakBuffered: number;
  /** The largest rise of the process's `ArrayBuffer` memory during the run (0 unless sampled). */
  readonly peakArrayBuffersDelta: number;
  /** `getDownloadedBytes()`. */
  readonly downloaded: number;
  /** How many times `requestCompleted` was emitted (must be 1). */
  readonly completions: number;
}

/** A request to run with {@link Requester.run}. */
export interface RunSpec extends Partial<BoundedTickOptions> {
  readonly headers?: readonly string[];
  readonly method?: Method;
  readonly body?: string | Uint8Array;
  /** Called after every tick. */
  readonly onTick?: () => void;
}

/** One HTTPRequest node in its own tree, run request by request. */
export interface Requester extends Closable {
  readonly tree: SceneTree;
  readonly node: HTTPRequest;
  /**
   * Starts `url` and steps the tree until `requestCompleted` (fails the test after `maxTicks`,
   * default 600, or `maxMs`).
   */
  run(url: string, spec?: RunSpec): Promise<Outcome>;
}

/**
 * Creates a node in a tree; `track` removes it from the tree (closing its connection) after the test.
 *
 * @param track - The test's resource tracker.
 * @param network - The node's network; a new NodeNetwork when not given.
 * @returns The requester.
 */
export function requester(track: <T extends Closable>(thing: T) => T, network?: Network): Requester {
  const tree = new SceneTree();
  const node = new HTTPRequest(network === undefined ? { name: "hostile" } : { name: "hostile", network });
  tree.root.addChild(node);
  return track({
    tree,
    node,
    close: () => tree.root.removeChild(node),
    async run(url, spec = {}) {
      let done: [Result, number, string[], Uint8Array] | null = null;
      let completions = 0;
      const listener = (result: Result, code: number, headers: string[], body: Uint8Array): void => {
        completions++;
        done ??= [result, code, headers, body];
      };
      node.requestCompleted.connect(listener);
      try {
        const err = node.request(url, spec.headers ?? [], spec.method ?? Method.METHOD_GET, spec.body ?? "");
        if (err !== Err.OK) throw new Error(`request() returned ${errName(err)}: ${node.getErrorReason()}`);
        // Stops after the tick that emitted, so the tick count is the completion's tick.
        const stats = await driveTree(
          tree,
          () => {
            spec.onTick?.();
            return done !== null;
          },
          { maxTicks: 600, ...spec },
          () => `status ${node.getHttpClientStatus()}, reason ${JSON.stringify(node.getErrorReason())}`,
        );
        // One more tick: a second emission would show up here.
        tree.process(spec.delta ?? 1 / 60);
        const got = done as [Result, number, string[], Uint8Array] | null;
        if (got === null) throw new Error("no completion");
        const [result, code, headers, body] = got;
        return {
          result,
          code,
          headers,
          body,
          reason: node.getErrorReason(),
          ticks: stats.ticks,
          ms: stats.ms,
          peakBuffered: node.getPeakBufferedBytes(),
          peakArrayBuffersDelta: stats.peakArrayBuffersDelta,
          downloaded: node.getDownloadedBytes(),
          completions,
        };
      } finally {
        node.requestCompleted.disconnect(listener);
      }
    },
  });
}

/** What a case expects of its {@link Outcome}. */
export interface Expected {
  readonly result: Result;
  /** A pattern the reason must match. */
  readonly reason: RegExp;
  /** The completion came at this tick or earlier. */
  readonly maxTicks: number;
  /** `peakBuffered` stayed at or under this many bytes. */
  readonly maxBuffered: number;
  /** The response code in the signal (default 0: no final response was accepted). */
  readonly code?: number;
}

/**
 * Asserts the result (by name, for readable failures), the reason, one emission, the tick bound,
 * the memory bound, and, for failures, an empty body.
 *
 * @param outcome - What happened.
 * @param expected - What should have.
 */
export function expectOutcome(outcome: Outcome, expected: Expected): void {
  const context = `reason ${JSON.stringify(outcome.reason)}`;
  expect(resultName(outcome.result), context).toBe(resultName(expected.result));
  expect(outcome.reason).toMatch(expected.reason);
  expect(outcome.completions).toBe(1);
  expect(outcome.code).toBe(expected.code ?? 0);
  expect(outcome.ticks).toBeGreaterThan(0);
  expect(outcome.ticks).toBeLessThanOrEqual(expected.maxTicks);
  expect(outcome.peakBuffered).toBeLessThanOrEqual(expected.maxBuffered);
  if (expected.result !== 0) expect(outcome.body.length).toBe(0);
}

/** `http://127.0.0.1:<port><path>`. */
export function urlOf(server: { readonly port: number }, path = "/"): string {
  return `http://127.0.0.1:${server.port}${path}`;
}

/** An HTTPClient exchange that left REQUESTING (see {@link clientRequest}). */
export interface ClientRun {
  readonly client: HTTPClient;
  /** The client's connection, kept for its counters after the client dropped it. */
  readonly peer: SocketPeer;
  /** `poll()` calls from `request()` to the status leaving REQUESTING. */
  readonly ticks: number;
}

/**
 * Connects an HTTPClient to `server`, sends `GET target` and polls until the status leaves
 * REQUESTING (at most `maxTicks` polls after the request).
 *
 * @param track - The test's resource tracker (closes the client).
 * @param server - The server.
 * @param options - Client limits, the target and the poll cap.
 * @returns The client, its peer and the polls it took.
 */
export async function clientRequest(
  track: <T extends Closable>(thing: T) => T,
  server: { readonly port: number },
  options: { readonly maxHeadBytes?: number; readonly maxHeaderCount?: number; readonly target?: string; readonly maxTicks?: number } = {},
): Promise<ClientRun> {
  const client = track(
    new HTTPClient({
      ...(options.maxHeadBytes === undefined ? {} : { maxHeadBytes: options.maxHeadBytes }),
      ...(options.maxHeaderCount === undefined ? {} : { maxHeaderCount: options.maxHeaderCount }),
    }),
  );
  expect(client.connectToHost("127.0.0.1", server.port)).toBe(Err.OK);
  await pollClient(client, () => client.getStatus() !== Status.STATUS_RESOLVING && client.getStatus() !== Status.STATUS_CONNECTING, {
    maxTicks: 2000,
    maxMs: 5000,
  });
  const peer = client.getConnection();
  if (!(peer instanceof TcpPeer || peer instanceof TlsPeer)) throw new Error(`not connected: ${client.getErrorReason()}`);
  expect(client.request(Method.METHOD_GET, options.target ?? "/", [])).toBe(Err.OK);
  const stats = await pollClient(client, () => client.getStatus() !== Status.STATUS_REQUESTING, { maxTicks: options.maxTicks ?? 600 });
  return { client, peer, ticks: stats.ticks };
}
