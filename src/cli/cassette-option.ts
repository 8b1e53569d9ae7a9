// `--record FILE` and `--replay FILE`: the network a transfer runs over, and how its tree is stepped.
import { NodeNetwork, ReplayNetwork, RecordingNetwork, readCassette, type Network, type SceneTree } from "../index.ts";

/** The network of one transfer and what `--record`/`--replay` need around it. */
export interface CliCassette {
  /** The network the request node uses; undefined for Node's (no cassette). */
  readonly network: Network | undefined;
  /** The replaying network with `--replay` (the tree is then stepped by {@link replayFrames}). */
  readonly replay: ReplayNetwork | null;
  /** Counts the tree's steps as the cassette's ticks. */
  attach(tree: SceneTree): void;
  /** Writes the cassette with `--record`; returns why it could not, or "". */
  save(): string;
}

/**
 * Opens the cassette the options ask for.
 *
 * @param options - `record` and `replay` file names (at most one set).
 * @returns The cassette, or why the replay file cannot be read.
 */
export function openCassette(options: {
  readonly record: string | null;
  readonly replay: string | null;
}): CliCassette | { readonly error: string } {
  if (options.replay !== null) {
    let replay: ReplayNetwork;
    try {
      replay = new ReplayNetwork(readCassette(options.replay));
    } catch (error) {
      return { error: `cannot replay ${options.replay}: ${error instanceof Error ? error.message : String(error)}` };
    }
    return { network: replay, replay, attach: (tree) => void replay.attach(tree), save: () => "" };
  }
  const file = options.record;
  if (file === null) return { network: undefined, replay: null, attach: () => {}, save: () => "" };
  const recording = new RecordingNetwork(new NodeNetwork());
  return {
    network: recording,
    replay: null,
    attach: (tree) => void recording.attach(tree),
    save: () => {
      try {
        recording.save(file);
        return "";
      } catch (error) {
        return `cannot write the cassette ${file}: ${error instanceof Error ? error.message : String(error)}`;
      }
    },
  };
}

/**
 * Steps a tree over a replaying network with the recorded deltas until `done()` or the recorded
 * frames (and a few more) run out. Synchronous: no timer, no socket.
 *
 * @param tree - The tree.
 * @param replay - The network.
 * @param done - True once the transfer finished.
 * @returns True when `done()` became true.
 */
export function replayFrames(tree: SceneTree, replay: ReplayNetwork, done: () => boolean): boolean {
  const limit = replay.getRecordedTicks() + 600;
  while (!done() && tree.getFrame() < limit) tree.process(replay.nextDelta());
  return done();
}
