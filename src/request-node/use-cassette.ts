import { existsSync, mkdirSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { readCassette } from "../client/cassette/cassette.ts";
import { RecordingNetwork } from "../client/cassette/recording-network.ts";
import { ReplayNetwork, type ReplayMode } from "../client/cassette/replay-network.ts";
import type { Network } from "../client/network.ts";
import { NodeNetwork } from "../client/node-network.ts";
import { TreeRunner } from "./runner.ts";
import type { SceneTree } from "./scene-tree.ts";

/** Settings of {@link useCassette}. */
export interface UseCassetteOptions {
  /** The folder of cassettes named without a path. Default `cassettes` under the working directory. */
  readonly dir?: string;
  /** How a replay pairs requests with recordings. Default `strict`. */
  readonly mode?: ReplayMode;
  /** When replaying, fetch (and add) what the cassette lacks from the real network. Default false. */
  readonly recordMissing?: boolean;
  /** Record even if the cassette exists (it is replaced). Default false. */
  readonly rerecord?: boolean;
  /** The real network to record from. Default a new `NodeNetwork`. */
  readonly network?: Network;
  /** Header names hidden in the cassette (see `RecordingNetworkOptions.redact`). */
  readonly redact?: readonly string[];
  /**
   * Registers a function to run when the test (or file) is done: the cassette is saved then. Pass
   * your test framework's hook (vitest's `afterAll` or `onTestFinished`, mocha's `after`). Without
   * it, call {@link CassetteSession.save} yourself.
   */
  readonly onFinished?: (save: () => void) => unknown;
}

/** What {@link useCassette} gives a test. */
export interface CassetteSession {
  /** `record` when the cassette was missing (or `rerecord`), `replay` otherwise. */
  readonly mode: "record" | "replay";
  /** The cassette's file. */
  readonly path: string;
  /** The network to give `HTTPRequest`s and `HTTPClient`s. */
  readonly network: RecordingNetwork | ReplayNetwork;
  /**
   * Counts the tree's steps as ticks (call before the first step).
   *
   * @param tree - The tree.
   * @returns A function that stops it.
   */
  attach(tree: SceneTree): () => void;
  /**
   * Steps `tree` until `done()`: when recording, on a `TreeRunner` at `fps` frames a second
   * (real time, real sockets); when replaying, synchronously with the recorded deltas (no timer,
   * no clock: it works under fake timers). Attaches the tree if that was not done.
   *
   * @param tree - The tree.
   * @param done - True once the test has what it waits for.
   * @param options - Frames per second while recording (default 60) and a real-time limit in ms (default 30000).
   * @returns Resolves once `done()` is true; rejects when recording exceeds the limit or the replay runs out of frames.
   */
  run(tree: SceneTree, done: () => boolean, options?: { readonly fps?: number; readonly timeoutMs?: number }): Promise<void>;
  /** Writes the cassette when something was recorded. Idempotent for a replay with nothing new. */
  save(): void;
}

/**
 * Records a test's HTTP exchanges the first time and replays them ever after: when the cassette
 * file is missing, the returned network records from the real network and {@link CassetteSession.save}
 * writes the file; when it exists, the network replays it without a socket. Framework-agnostic
 * (the library does not depend on any test runner): give it your framework's "after" hook.
 *
 * @example
 * ```ts
 * import { afterAll, it, expect } from "vitest";
 * const cassette = useCassette("player-api", { onFinished: afterAll });
 * it("reads the player", async () => {
 *   const tree = new SceneTree();
 *   const req = new HTTPRequest({ network: cassette.network });
 *   tree.root.addChild(req);
 *   let code = 0;
 *   req.requestCompleted.connect((_result, status) => (code = status));
 *   req.request("http://127.0.0.1:8080/api/player");
 *   await cassette.run(tree, () => code !== 0);
 *   expect(code).toBe(200);
 * });
 * ```
 *
 * @param name - A file path (absolute, or containing `/`, or ending in `.jsonl`), or a name stored
 *   as `<dir>/<name>.cassette.jsonl`.
 * @param options - Folder, replay mode, redaction, the real network and the "after" hook.
 * @returns The session.
 */
export function useCassette(name: string, options: UseCassetteOptions = {}): CassetteSession {
  const path =
    isAbsolute(name) || name.includes("/") || name.endsWith(".jsonl") ? name : join(options.dir ?? "cassettes", `${name}.cassette.jsonl`);
  const recording = options.rerecord === true || !existsSync(path);
  const real = (): Network => options.network ?? new NodeNetwork();
  const network: RecordingNetwork | ReplayNetwork = recording
    ? new RecordingNetwork(real(), options.redact === undefined ? {} : { redact: options.redact })
    : new ReplayNetwork(readCassette(path), {
        ...(options.mode === undefined ? {} : { mode: options.mode }),
        ...(options.recordMissing === true ? { recordMissing: real() } : {}),
      });
  const attached = new WeakSet<SceneTree>();
  const attach = (tree: SceneTree): (() => void) => {
    attached.add(tree);
    return network.attach(tree);
  };
  const session: CassetteSession = {
    mode: recording ? "record" : "replay",
    path,
    network,
    attach,
    run: (tree, done, runOptions = {}) => {
      if (!attached.has(tree)) attach(tree);
      if (network instanceof ReplayNetwork) {
        const limit = tree.getFrame() + network.getRecordedTicks() + 600;
        while (!done() && tree.getFrame() < limit) tree.process(network.nextDelta());
        return done()
          ? Promise.resolve()
          : Promise.reject(new Error(`the cassette ${path} ran out of recorded frames before the test was done`));
      }
      return runRecording(tree, done, runOptions.fps ?? 60, runOptions.timeoutMs ?? 30_000);
    },
    save: () => {
      if (network instanceof ReplayNetwork && !network.hasNewRecordings()) return;
      mkdirSync(dirname(path), { recursive: true });
      network.save(path);
    },
  };
  options.onFinished?.(() => session.save());
  return session;
}

function runRecording(tree: SceneTree, done: () => boolean, fps: number, timeoutMs: number): Promise<void> {
  if (done()) return Promise.resolve();
  const runner = new TreeRunner(tree, { fps, mode: "fixed" });
  const check = (): void => {
    if (done()) runner.stop();
  };
  tree.stepStarted.connect(check);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    runner.stop();
  }, timeoutMs);
  runner.start();
  return runner.whenStopped().then(() => {
    clearTimeout(timer);
    tree.stepStarted.disconnect(check);
    if (timedOut && !done()) throw new Error(`not done after ${timeoutMs} ms of recording`);
  });
}
