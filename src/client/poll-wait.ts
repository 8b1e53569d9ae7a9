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
  /**
   * As {@link PolledConnection.hasBufferedBytes}, without asking the connection: true when the
   * parser holds bytes or the last read from the connection found some (it may hold more).
   */
  mayHaveUnreadBytes(): boolean;
  /** The error reason now. */
  reason(): string;
  /** Sets the error reason: why `poll()` cannot wait, or cannot see any byte. */
  explain(reason: string): void;
}

/** The default bound of one blocking `poll()`: 1 second. */
export const DEFAULT_BLOCKING_WAIT_SECONDS = 1;

/** Polls in a row with no event-loop turn and nothing new before the reason explains the hang. */
const STALLED_POLLS = 3;

/** {@link PollWait}'s turn count when the previous poll did not wait for the network. */
const NOT_WAITING = -1;

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

/**
 * The statuses in which the client waits for the network, one bit each (statuses are 0 … 9). A
 * mask, not four comparisons: the diagnosis runs after every poll, and kept this small V8 still
 * compiles the step before it inline.
 */
const WAITS_FOR_NETWORK =
  (1 << Status.STATUS_RESOLVING) | (1 << Status.STATUS_CONNECTING) | (1 << Status.STATUS_REQUESTING) | (1 << Status.STATUS_BODY);

/** True in a status where the client waits for the network. */
function waitsForNetwork(status: Status): boolean {
  return ((WAITS_FOR_NETWORK >> status) & 1) !== 0;
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
  /** The event loop's turn count read at the previous poll, or {@link NOT_WAITING}. */
  #turns = NOT_WAITING;
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
   * The event loop's turns are counted only while the status waits for the network (a poll that
   * moved the status has news anyway). Whether body bytes wait is answered without asking the peer:
   * a recording network counts every question asked of its peer, and its replay, which has no event
   * loop to count, would never ask it, so the replay would see the recorded bytes arrive later.
   *
   * @param core - The connection polled.
   * @param before - Its status before the step.
   */
  diagnose(core: PolledConnection, before: Status): void {
    const network = this.#network;
    if (network.eventLoopTurns === undefined) return;
    const status = core.status();
    if (status === before && waitsForNetwork(status)) {
      const turns = network.eventLoopTurns();
      const turned = turns !== this.#turns;
      this.#turns = turns;
      if (!turned && !(status === Status.STATUS_BODY && core.mayHaveUnreadBytes())) {
        if (++this.#stalled >= STALLED_POLLS) this.#explain(core);
        return;
      }
    } else {
      this.#turns = NOT_WAITING;
    }
    this.#stalled = 0;
    if (this.#replaced !== null) this.#restore(core, this.#replaced);
  }

  /** Stalled: the reason says why nothing can change (once; the reason it replaces is kept). */
  #explain(core: PolledConnection): void {
    if (this.#replaced !== null) return;
    this.#replaced = core.reason();
    core.explain(NO_EVENT_LOOP_TURN_REASON);
  }

  /** The loop turned or the status moved: the reason the diagnosis replaced comes back. */
  #restore(core: PolledConnection, replaced: string): void {
    if (core.reason() === NO_EVENT_LOOP_TURN_REASON) core.explain(replaced);
    this.#replaced = null;
  }
}
