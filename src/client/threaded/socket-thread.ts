import { Worker } from "node:worker_threads";
import { NOTIFY_BLOCK_BYTES, NotifyWord } from "./channel-layout.ts";
import { SOCKET_WORKER_SOURCE } from "./socket-worker-source.ts";

/** Something living on the socket thread: a connection or a lookup. */
export interface ThreadUser {
  /** Called from the event loop after the socket thread announced news; checks its own sequence word. */
  onWake(): void;
  /** The socket thread stopped (crashed or was stopped) while this user was open. */
  onThreadStopped(reason: string): void;
}

/** A message to the socket thread. */
export type ThreadMessage = { readonly t: string } & Readonly<Record<string, unknown>>;

/**
 * The one worker thread of a `ThreadedNetwork` and its lifetime.
 *
 * It is started by the first user (a connection or a lookup) and stopped when the last one is
 * gone and the event loop turns once more (a loop that never yields keeps it, so a sequence of
 * connections does not restart it each time). It keeps the process alive only while a user is
 * busy (a lookup, a connection being opened, a request in flight), as a socket does; otherwise it
 * is `unref()`ed, so a script that is done exits.
 *
 * Users with an activity listener are woken from the event loop: the thread sends one empty
 * message when the calling thread armed it ({@link NotifyWord.ARMED}), and the calling thread
 * re-arms before telling the users, so no news is lost and at most one message is in flight.
 *
 * @internal
 */
export class SocketThread {
  /** The notification block: the sequence word every change bumps, and the wake-up request. */
  readonly notify: Int32Array = new Int32Array(new SharedArrayBuffer(NOTIFY_BLOCK_BYTES));
  #worker: Worker | null = null;
  readonly #users = new Set<ThreadUser>();
  readonly #listening = new Set<ThreadUser>();
  #busy = 0;
  #stopScheduled: NodeJS.Immediate | null = null;
  #stopped: Promise<void> = Promise.resolve();

  /**
   * Registers a user, starting the thread if needed.
   *
   * @param user - The connection or lookup.
   */
  add(user: ThreadUser): void {
    this.#users.add(user);
    if (this.#stopScheduled !== null) {
      clearImmediate(this.#stopScheduled);
      this.#stopScheduled = null;
    }
    this.#start();
  }

  /**
   * Forgets a user; the thread stops on the next event-loop turn when it was the last.
   *
   * @param user - The connection or lookup.
   */
  remove(user: ThreadUser): void {
    this.#listening.delete(user);
    if (!this.#users.delete(user) || this.#users.size > 0 || this.#worker === null || this.#stopScheduled !== null) return;
    this.#stopScheduled = setImmediate(() => {
      this.#stopScheduled = null;
      if (this.#users.size === 0) void this.stop();
    });
    this.#stopScheduled.unref();
  }

  /**
   * Sends a message to the thread (its own event loop turns; this one need not).
   *
   * @param message - The message; `SharedArrayBuffer`s in it are shared, not copied.
   */
  post(message: ThreadMessage): void {
    this.#worker?.postMessage(message);
  }

  /**
   * Counts a user as busy or not busy any more: the thread keeps the process alive while any is.
   *
   * @param delta - +1 or -1.
   */
  setBusy(delta: 1 | -1): void {
    this.#busy += delta;
    if (this.#worker === null) return;
    if (this.#busy > 0) this.#worker.ref();
    else this.#worker.unref();
  }

  /**
   * Adds or removes a user from those woken from the event loop when the thread has news.
   *
   * @param user - The user.
   * @param listening - True to be woken.
   */
  listen(user: ThreadUser, listening: boolean): void {
    if (listening) {
      this.#listening.add(user);
      Atomics.store(this.notify, NotifyWord.ARMED, 1);
    } else {
      this.#listening.delete(user);
    }
  }

  /** True while the worker thread runs. */
  isRunning(): boolean {
    return this.#worker !== null;
  }

  /**
   * Stops the worker thread now; open users fail with an `io` error.
   *
   * @returns A promise settled once the thread has exited.
   */
  stop(): Promise<void> {
    const worker = this.#worker;
    if (worker === null) return this.#stopped;
    this.#worker = null;
    worker.off("message", this.#onMessage);
    this.#failUsers("the network thread was stopped");
    this.#stopped = worker.terminate().then(
      () => undefined,
      () => undefined,
    );
    return this.#stopped;
  }

  /** A promise settled once no worker thread runs (at once when none does). */
  whenStopped(): Promise<void> {
    return this.#worker === null ? this.#stopped : new Promise((resolve) => this.#waiters.push(resolve));
  }

  readonly #waiters: (() => void)[] = [];

  #start(): void {
    if (this.#worker !== null) return;
    const worker = new Worker(SOCKET_WORKER_SOURCE, {
      eval: true,
      workerData: { notify: this.notify.buffer },
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    this.#worker = worker;
    if (this.#busy > 0) worker.ref();
    else worker.unref();
    if (this.#listening.size > 0) Atomics.store(this.notify, NotifyWord.ARMED, 1);
    worker.on("message", this.#onMessage);
    worker.on("error", (err: Error) => {
      if (this.#worker === worker) {
        this.#worker = null;
        this.#failUsers(`the network thread failed: ${err.message}`);
      }
    });
    worker.on("exit", () => {
      if (this.#worker === worker) {
        this.#worker = null;
        this.#failUsers("the network thread exited");
      }
      if (this.#worker === null) for (const resolve of this.#waiters.splice(0)) resolve();
    });
  }

  #failUsers(reason: string): void {
    for (const user of [...this.#users]) user.onThreadStopped(reason);
  }

  readonly #onMessage = (): void => {
    if (this.#listening.size > 0) Atomics.store(this.notify, NotifyWord.ARMED, 1);
    for (const user of [...this.#listening]) user.onWake();
  };
}
