import { Err } from "../status/err.ts";

/** Options for {@link Signal.connect}. */
export interface ConnectOptions {
  /**
   * When true the listener is disconnected just before its first call, so it runs at most once
   * (Godot's `CONNECT_ONE_SHOT`).
   */
  readonly oneShot?: boolean;
}

/** A function connected to a {@link Signal}; it receives the arguments given to `emit`. */
export type SignalListener<Args extends unknown[]> = (...args: Args) => void;

/**
 * Receives what a signal listener threw: the thrown value and the name of the signal it was
 * connected to (empty when the signal has no name). See {@link Signal.onListenerError}.
 */
export type ListenerErrorHandler = (error: unknown, signalName: string) => void;

/** One connection: a listener and its flags. Replaced, never mutated, except `active`. */
interface Connection<Args extends unknown[]> {
  readonly listener: SignalListener<Args>;
  readonly oneShot: boolean;
  /** Cleared when disconnected, so an `emit` in progress skips it. */
  active: boolean;
}

/** The connections of a signal with none (shared: a signal's array is replaced, never changed). */
const NO_CONNECTIONS: readonly never[] = Object.freeze([]);

/** The default {@link Signal.onListenerError}: logs to `console.error`. */
function logListenerError(error: unknown, signalName: string): void {
  const label = signalName === "" ? "a signal" : `signal "${signalName}"`;
  console.error(`poll-http: a listener of ${label} threw`, error);
}

/**
 * A typed signal, like Godot's: listeners are connected to it and called, in connection order,
 * each time it is emitted.
 *
 * - A function is connected at most once; connecting it again is refused.
 * - `emit` calls the listeners connected when it starts. One connected during the emission is not
 *   called by it; one disconnected during the emission before its turn is not called.
 * - A listener that throws does not stop the others and `emit` never throws: what it threw goes to
 *   {@link Signal.onListenerError}.
 *
 * ```ts
 * const completed = new Signal<[code: number, body: Uint8Array]>("request_completed");
 * completed.connect((code, body) => console.log(code, body.length));
 * completed.emit(200, new Uint8Array(0));
 * ```
 *
 * @typeParam Args - The tuple of arguments passed to listeners.
 */
export class Signal<Args extends unknown[] = []> {
  /**
   * Called with every value a listener throws during {@link Signal.emit}, for all signals. Defaults
   * to logging through `console.error`; replace it to collect or rethrow elsewhere (tests), and
   * restore it afterwards. If the handler itself throws, that is ignored.
   */
  static onListenerError: ListenerErrorHandler = logListenerError;

  /** A name used in error reports, e.g. `"request_completed"`. May be empty. */
  readonly name: string;

  /** The connections in order. Copy-on-write, so an emission can iterate the array it started with. */
  #connections: readonly Connection<Args>[] = NO_CONNECTIONS;

  /**
   * Creates a signal with no listeners.
   *
   * @param name - A name used in error reports; optional.
   */
  constructor(name = "") {
    this.name = name;
  }

  /**
   * Connects a listener, to be called after those already connected.
   *
   * @param listener - The function to call on each emission.
   * @param options - `oneShot` to disconnect it before its first call.
   * @returns `Err.OK`; `Err.ERR_INVALID_PARAMETER` when `listener` is not a function or is already
   *   connected (nothing changes then, the first connection and its options stay).
   */
  connect(listener: SignalListener<Args>, options?: ConnectOptions): Err {
    if (typeof listener !== "function" || this.#find(listener) !== undefined) {
      return Err.ERR_INVALID_PARAMETER;
    }
    const connection: Connection<Args> = { listener, oneShot: options?.oneShot === true, active: true };
    const connections = this.#connections;
    this.#connections = connections.length === 0 ? [connection] : [...connections, connection];
    return Err.OK;
  }

  /**
   * Disconnects a listener. If an emission is in progress and has not called it yet, it will not.
   *
   * @param listener - A connected function.
   * @returns `Err.OK`; `Err.ERR_INVALID_PARAMETER` when it was not connected.
   */
  disconnect(listener: SignalListener<Args>): Err {
    const connection = this.#find(listener);
    if (connection === undefined) {
      return Err.ERR_INVALID_PARAMETER;
    }
    this.#remove(connection);
    return Err.OK;
  }

  /** Disconnects every listener, including those an emission in progress has not called yet. */
  disconnectAll(): void {
    for (const connection of this.#connections) {
      connection.active = false;
    }
    this.#connections = [];
  }

  /**
   * Tells whether a function is connected.
   *
   * @param listener - The function to look for.
   * @returns True when it is connected.
   */
  isConnected(listener: SignalListener<Args>): boolean {
    return this.#find(listener) !== undefined;
  }

  /** The number of connected listeners. */
  getConnectionCount(): number {
    return this.#connections.length;
  }

  /**
   * Calls the connected listeners in connection order with `args`. Never throws: see
   * {@link Signal.onListenerError}.
   *
   * @param args - The arguments to pass to every listener.
   */
  emit(...args: Args): void {
    const connections = this.#connections;
    for (const connection of connections) {
      if (!connection.active) {
        continue;
      }
      if (connection.oneShot) {
        this.#remove(connection);
      }
      try {
        connection.listener(...args);
      } catch (error) {
        this.#report(error);
      }
    }
  }

  #find(listener: SignalListener<Args>): Connection<Args> | undefined {
    const connections = this.#connections;
    for (let i = 0; i < connections.length; i++) {
      const connection = connections[i] as Connection<Args>;
      if (connection.listener === listener) return connection;
    }
    return undefined;
  }

  #remove(connection: Connection<Args>): void {
    connection.active = false;
    const connections = this.#connections;
    // A new array (an emit under way goes on over the one it took); none at all for the last one.
    this.#connections = connections.length === 1 ? NO_CONNECTIONS : connections.filter((other) => other !== connection);
  }

  #report(error: unknown): void {
    try {
      Signal.onListenerError(error, this.name);
    } catch {
      // A throwing error handler must not make emit() throw; there is nowhere left to report to.
    }
  }
}
