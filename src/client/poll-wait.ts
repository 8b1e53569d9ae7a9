/**
 * What `HTTPClient.poll()` does around one step of its connection: blocking mode (wait for news
 * on a network that can wait) and the diagnosis of a loop that never yields (on a network whose
 * bytes arrive only when Node's event loop turns). Neither changes a status or a result; the
 * diagnosis only sets the error reason, and restores it once the loop turns or the status moves.
 *
 * @module
 */
import type { Err } from "../status/err.ts";
import { Status } from "../status/status.ts";
import type { Network } from "./network.ts";

/**
 * What a {@link PollWait} needs of its client, given by the client (which keeps its state to itself).
 *
 * @internal
 */
export interface PolledConnection {
  /** One step of the state machine, as `poll()` without waiting. */
  step(): Err;
  /** The status. */
  status(): Status;
  /** True when received bytes wait to be read: in the parser or in the connection. */
  hasBufferedBytes(): boolean;
  /** The error reason now. */
  reason(): string;
  /** Sets the error reason: why `poll()` cannot wait, or cannot see any byte. */
  explain(reason: string): void;
}

/** The default bound of one blocking `poll()`: 1 second. */
export const DEFAULT_BLOCKING_WAIT_SECONDS = 1;

/** Polls in a row with no event-loop turn and nothing new before the reason explains the hang. */
const STALLED_POLLS = 3;

/** The reason given when polls repeat while the event loop never turns. */
export const NO_EVENT_LOOP_TURN_REASON: string =
  "poll() keeps being called but Node's event loop has not turned since the previous call: this client's " +
  "network (NodeNetwork) receives bytes only when the event loop turns, so nothing can change. Either yield " +
  "between polls (await a timer or setImmediate, or drive the tree with a TreeRunner), or use a threaded network " +
  "(new HTTPClient({ network: new ThreadedNetwork() }), or HTTPRequest.useThreads = true), whose sockets run on a " +
  "worker thread.";

/** The reason given when blocking mode is on but the network cannot wait. */
export const BLOCKING_NEEDS_THREADS_REASON: string =
  "blocking mode cannot wait on this client's network: its bytes arrive only when Node's event loop turns, which " +
  "a blocked poll() would prevent, so poll() returned at once. Use a threaded network " +
  "(new HTTPClient({ network: new ThreadedNetwork() })) for blocking mode, or yield between polls.";

/** True in a status where the client waits for the network. */
function waitsForNetwork(status: Status): boolean {
  return (
    status === Status.STATUS_RESOLVING ||
    status === Status.STATUS_CONNECTING ||
    status === Status.STATUS_REQUESTING ||
    status === Status.STATUS_BODY
  );
}

/**
 * The blocking mode and the hang diagnosis of one `HTTPClient`.
 *
 * @internal
 */
export class PollWait {
  /** `HTTPClient.blockingModeEnabled`. */
  blocking = false;
  /** The most seconds one blocking `poll()` waits. */
  waitSeconds = DEFAULT_BLOCKING_WAIT_SECONDS;
  readonly #network: Network;
  #turns = -1;
  #stalled = 0;
  /** The reason the diagnosis replaced, while it is shown; null otherwise. */
  #replaced: string | null = null;

  /** @param network - The client's network. */
  constructor(network: Network) {
    this.#network = network;
  }

  /**
   * One `HTTPClient.poll()` in blocking mode: a step of the connection, then more steps each time
   * the network has news, until the status changes, body bytes wait, or the bound passes. (Not
   * blocking, the client steps once and calls {@link PollWait.diagnose}.)
   *
   * @param core - The client.
   * @returns What the last step returned.
   */
  pollBlocking(core: PolledConnection): Err {
    const before = core.status();
    let result = core.step();
    if (!this.#waiting(core, before)) return result;
    const network = this.#network;
    if (network.waitForActivity === undefined) {
      core.explain(BLOCKING_NEEDS_THREADS_REASON);
      return result;
    }
    network.waitForActivity(() => {
      result = core.step();
      return !this.#waiting(core, before);
    }, this.waitSeconds * 1000);
    return result;
  }

  /** Nothing new for the caller: the same waiting status and no body byte to read. */
  #waiting(core: PolledConnection, before: Status): boolean {
    const status = core.status();
    if (status !== before || !waitsForNetwork(status)) return false;
    return !(status === Status.STATUS_BODY && core.hasBufferedBytes());
  }

  /**
   * After a step that did not wait: notes whether Node's event loop turned since the previous
   * poll, and after `STALLED_POLLS` polls without a turn while waiting for the network, puts
   * the reason into the connection's error reason (restored once the loop turns again).
   *
   * @param core - The connection polled.
   * @param before - Its status before the step.
   */
  diagnose(core: PolledConnection, before: Status): void {
    const network = this.#network;
    if (network.eventLoopTurns === undefined) return;
    const turns = network.eventLoopTurns();
    const stuck = turns === this.#turns && this.#waiting(core, before);
    this.#turns = turns;
    if (stuck) {
      if (++this.#stalled >= STALLED_POLLS && this.#replaced === null) {
        this.#replaced = core.reason();
        core.explain(NO_EVENT_LOOP_TURN_REASON);
      }
      return;
    }
    this.#stalled = 0;
    if (this.#replaced !== null) {
      if (core.reason() === NO_EVENT_LOOP_TURN_REASON) core.explain(this.#replaced);
      this.#replaced = null;
    }
  }
}
