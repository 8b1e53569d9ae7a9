/**
 * Helpers for the cassette tests: run HTTPRequest nodes in a tree over a recording network (real
 * sockets, a TreeRunner at 60 frames/s) or a replaying one (`tree.process` with the recorded
 * deltas, no socket, no timer), and trace every signal as `frame label signal hash(args)`.
 */
import { createHash } from "node:crypto";
import { HTTPRequest } from "../../src/request-node/http-request.ts";
import { SceneTree } from "../../src/request-node/scene-tree.ts";
import { TreeRunner } from "../../src/request-node/runner.ts";
import { NodeNetwork } from "../../src/client/node-network.ts";
import type { Network } from "../../src/client/network.ts";
import { RecordingNetwork, type RecordingNetworkOptions } from "../../src/client/cassette/recording-network.ts";
import { ReplayNetwork, type ReplayNetworkOptions } from "../../src/client/cassette/replay-network.ts";
import type { Cassette } from "../../src/client/cassette/cassette.ts";

/** Hashes signal arguments: bytes by SHA-256, the rest as JSON. */
export function hashArgs(args: readonly unknown[]): string {
  const hash = createHash("sha256");
  for (const arg of args) {
    if (arg instanceof Uint8Array) hash.update(`bytes:${arg.length}:`).update(arg);
    else hash.update(JSON.stringify(arg) ?? "undefined");
    hash.update("|");
  }
  return hash.digest("hex").slice(0, 16);
}

/** A request to run: a label, a URL and how to set the node up. */
export interface Job {
  readonly label: string;
  readonly url: string;
  readonly setup?: (node: HTTPRequest) => void;
  readonly headers?: readonly string[];
}

/** What a run produced. */
export interface RunOutcome {
  /** Every signal of every node: `frame label signal hash`. */
  readonly trace: string[];
  /** `label result code body-hash` per completed request, in completion order. */
  readonly results: string[];
  readonly frames: number;
}

function traceNode(tree: SceneTree, node: HTTPRequest, label: string, trace: string[], results: string[], onDone: () => void): void {
  const line = (signal: string, args: readonly unknown[]): void => {
    trace.push(`${tree.getFrame()} ${label} ${signal} ${hashArgs(args)}`);
  };
  node.headersReceived.connect((...args) => line("headersReceived", args));
  node.downloadProgress.connect((...args) => line("downloadProgress", args));
  node.uploadProgress.connect((...args) => line("uploadProgress", args));
  node.redirectReceived.connect((...args) => line("redirectReceived", args));
  node.requestCompleted.connect((result, code, headers, body) => {
    line("requestCompleted", [result, code, headers, body, node.getTimings(), node.getErrorReason()]);
    results.push(`${label} ${result} ${code} ${hashArgs([body])} ${node.getErrorReason()}`);
    onDone();
  });
}

function addJobs(tree: SceneTree, network: Network, jobs: readonly Job[], trace: string[], results: string[], onAllDone: () => void): void {
  let pending = jobs.length;
  for (const job of jobs) {
    const node = new HTTPRequest({ name: job.label, network });
    job.setup?.(node);
    tree.root.addChild(node);
    traceNode(tree, node, job.label, trace, results, () => {
      if (--pending === 0) onAllDone();
    });
    const err = node.request(job.url, [...(job.headers ?? [])]);
    if (err !== 0) throw new Error(`${job.label}: request() refused: ${node.getErrorReason()}`);
  }
}

/**
 * Runs the jobs against real servers through a {@link RecordingNetwork} on a TreeRunner at 60
 * frames/s, and returns the trace and the cassette.
 */
export async function recordJobs(
  jobs: readonly Job[],
  options: RecordingNetworkOptions & { inner?: Network } = {},
): Promise<RunOutcome & { cassette: Cassette; network: RecordingNetwork }> {
  const network = new RecordingNetwork(options.inner ?? new NodeNetwork(), options);
  const tree = new SceneTree();
  network.attach(tree);
  const runner = new TreeRunner(tree, { fps: 60, mode: "fixed" });
  const trace: string[] = [];
  const results: string[] = [];
  const watchdog = setTimeout(() => runner.stop(), 30_000);
  addJobs(tree, network, jobs, trace, results, () => runner.stop());
  runner.start();
  await runner.whenStopped();
  clearTimeout(watchdog);
  for (const node of tree.root.getChildren()) tree.root.removeChild(node); // closes kept connections
  return { trace, results, frames: tree.getFrame(), cassette: network.toCassette(), network };
}

/**
 * Replays the jobs from a cassette: `tree.process(recorded delta)` until every request completed
 * (or the recording's ticks plus `extraTicks` ran out). Reads no clock, sets no timer.
 */
export function replayJobs(
  cassette: Cassette,
  jobs: readonly Job[],
  options: ReplayNetworkOptions & { extraTicks?: number } = {},
): RunOutcome & { network: ReplayNetwork } {
  const network = new ReplayNetwork(cassette, options);
  const tree = new SceneTree();
  network.attach(tree);
  const trace: string[] = [];
  const results: string[] = [];
  let done = false;
  addJobs(tree, network, jobs, trace, results, () => (done = true));
  const limit = network.getRecordedTicks() + (options.extraTicks ?? 120);
  while (!done && tree.getFrame() < limit) tree.process(network.nextDelta());
  for (const node of tree.root.getChildren()) tree.root.removeChild(node);
  return { trace, results, frames: tree.getFrame(), network };
}
