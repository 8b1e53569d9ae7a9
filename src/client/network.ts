import type { ResolvedAddress } from "./peer/address.ts";
import type { StreamPeer } from "./peer/stream-peer.ts";
import type { TlsConnectOptions } from "./peer/tls-connect-options.ts";

export type { ResolvedAddress, TlsConnectOptions };

/** The state of a {@link PendingLookup}. */
export type LookupState = "pending" | "done" | "failed";

/** A host-name lookup in progress, polled by the client. */
export interface PendingLookup {
  /** The host name being resolved. */
  readonly host: string;
  /** `pending` until the answer is in, then `done` or `failed`. */
  getState(): LookupState;
  /** Every address found, in the order to try them, once `done`. */
  getAddresses(): readonly ResolvedAddress[];
  /** Why the lookup failed (e.g. `ENOTFOUND`), once `failed`; otherwise an empty string. */
  getError(): string;
  /** Stops caring about the answer. Idempotent. */
  cancel(): void;
  /**
   * Optionally registers a function called when the lookup settles, so a runner can sleep until
   * then. `null` removes it.
   */
  setActivityListener?(listener: (() => void) | null): void;
}

/**
 * How an `HTTPClient` reaches hosts: resolve a name, open a TCP connection to an address, start TLS
 * over an open connection. Every method returns at once; progress is observed by polling the
 * returned objects.
 */
export interface Network {
  /**
   * Starts resolving a host name to all its addresses.
   *
   * @param host - A host name (IP literals never reach here).
   * @returns The lookup, to poll.
   */
  resolve(host: string): PendingLookup;
  /**
   * Starts a TCP connection.
   *
   * @param address - The address to connect to.
   * @param port - The port, 1–65535.
   * @returns A peer in `CONNECTING` state; it becomes `OPEN`, or `ERROR` with kind `connect`.
   */
  connect(address: ResolvedAddress, port: number): StreamPeer;
  /**
   * Starts a TLS handshake over an open peer returned by this network's `connect()`. The given
   * peer is handed over (its state becomes `CLOSED` and it must no longer be used).
   *
   * @param peer - An `OPEN` peer with no unread bytes.
   * @param options - Verification and identity settings.
   * @returns A TLS peer in `CONNECTING` state; it becomes `OPEN`, or `ERROR` with kind `tls`.
   */
  startTls(peer: StreamPeer, options: TlsConnectOptions): StreamPeer;
  /**
   * Optional, for a network whose sockets run off the calling thread (`ThreadedNetwork`): blocks
   * the calling thread without spinning until `ready()` returns true or `timeoutMs` has passed,
   * calling `ready()` first and again after each change on the network. `HTTPClient.poll()` uses
   * it in blocking mode; a network without it cannot block.
   *
   * @param ready - Checks for progress.
   * @param timeoutMs - The most milliseconds to wait.
   * @returns The last value of `ready()`.
   */
  waitForActivity?(ready: () => boolean, timeoutMs: number): boolean;
  /**
   * Optional, for a network whose sockets deliver bytes on Node's event loop (`NodeNetwork`): a
   * count that grows each time the event loop turns while the network is polled. When it has not
   * moved since the last `poll()`, no byte can have arrived: `HTTPClient` explains that in its
   * error reason instead of hanging silently.
   */
  eventLoopTurns?(): number;
  /**
   * Optional: true for a network whose every outcome follows from the calls made on it and the
   * polls, never from real time (`ScriptedNetwork`, a cassette's `ReplayNetwork`). What sits on
   * top then keeps to counts where it would otherwise read a clock: an `HTTPRequestPool` on such a
   * network budgets its ticks by counts only, so the same calls and ticks give the same starts and
   * signals on every run.
   */
  readonly deterministic?: boolean;
}
