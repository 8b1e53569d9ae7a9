import { Worker } from "node:worker_threads";
import { NOTIFY_BLOCK_BYTES, NotifyWord, SIGNAL_QUEUE_BYTES, SIGNAL_SLOTS, SIGNAL_SLOTS_OFFSET, SignalWord } from "./channel-layout.ts";
import { SOCKET_WORKER_SOURCE } from "./socket-worker-source.ts";

/** `Atomics.waitAsync` (ES2024), where the runtime has it. */
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { readonly async: false; readonly value: string } | { readonly async: true; readonly value: Promise<string> };

const waitAsync: WaitAsync | undefined = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync?.bind(Atomics);

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
 * Users with an activity listener are woken from the event loop: while any listens, the calling
 * thread keeps one `Atomics.waitAsync` on the sequence word the thread bumps and notifies on every
 * change, and waits again before telling the users, so no news is lost and no message is needed.
 * (Where `Atomics.waitAsync` is missing, the thread sends one empty message when the calling thread
 * armed it, {@link NotifyWord.ARMED}.)
 *
 * The calling thread hands "bytes to send" and "room freed" to the thread through a shared queue
 * of channel numbers and rings {@link NotifyWord.DOORBELL}, on which the thread keeps an
 * `Atomics.waitAsync`: no message per write. Everything else (and a signal that finds the queue
 * full) goes by message.
 *
 * @internal
 */
export class SocketThread {
  /** The notification block: the sequence word every change bumps, and the wake-up request. */
  readonly notify: Int32Array = new Int32Array(new SharedArrayBuffer(NOTIFY_BLOCK_BYTES));
  /** The signal queue (see {@link SignalWord}). */
  readonly #signals: Int32Array = new Int32Array(new SharedArrayBuffer(SIGNAL_QUEUE_BYTES));
  #worker: Worker | null = null;
  /** True while an `Atomics.waitAsync` on the sequence word is pending. */
  #waiting = false;
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
   * Tells the thread that a channel has bytes to send, or that its reader freed room: through the
   * signal queue and the doorbell where the thread waits on it, else by message.
   *
   * @param id - The channel's number.
   * @param what - `write` or `resume`.
   */
  signal(id: number, what: "write" | "resume"): void {
    const worker = this.#worker;
    if (worker === null) return;
    const queue = this.#signals;
    const tail = queue[SignalWord.TAIL] as number;
    if (waitAsync === undefined || ((tail - Atomics.load(queue, SignalWord.HEAD)) | 0) >= SIGNAL_SLOTS) {
      worker.postMessage({ t: what, id });
      return;
    }
    queue[SIGNAL_SLOTS_OFFSET + (tail & (SIGNAL_SLOTS - 1))] = what === "write" ? id : -id;
    Atomics.store(queue, SignalWord.TAIL, (tail + 1) | 0);
    Atomics.add(this.notify, NotifyWord.DOORBELL, 1);
    Atomics.notify(this.notify, NotifyWord.DOORBELL);
  }

  /**
   * Announces news from this thread (a user changed its own sequence word first): wakes a blocking
   * wait and the users' listeners as a change on the thread does.
   */
  poke(): void {
    Atomics.add(this.notify, NotifyWord.SEQ, 1);
    Atomics.notify(this.notify, NotifyWord.SEQ);
    if (waitAsync === undefined && this.#listening.size > 0) setImmediate(this.#onMessage);
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
   * @param since - The sequence word as the user read it before it took its own state: any change
   * after it wakes the user.
   */
  listen(user: ThreadUser, listening: boolean, since: number = Atomics.load(this.notify, NotifyWord.SEQ)): void {
    if (listening) {
      this.#listening.add(user);
      if (waitAsync !== undefined) this.#waitForNews(since);
      else Atomics.store(this.notify, NotifyWord.ARMED, 1);
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
    // Settles a pending wait, which finds no thread and waits no more.
    Atomics.add(this.notify, NotifyWord.SEQ, 1);
    Atomics.notify(this.notify, NotifyWord.SEQ);
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
      workerData: { notify: this.notify.buffer, signals: this.#signals.buffer },
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    this.#worker = worker;
    if (this.#busy > 0) worker.ref();
    else worker.unref();
    if (this.#listening.size > 0) {
      if (waitAsync !== undefined) this.#waitForNews(Atomics.load(this.notify, NotifyWord.SEQ));
      else Atomics.store(this.notify, NotifyWord.ARMED, 1);
    }
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

  /** Waits (without blocking) for the sequence word to move from `since`, unless already waiting. */
  #waitForNews(since: number): void {
    if (this.#waiting || this.#worker === null || waitAsync === undefined) return;
    this.#waiting = true;
    const result = waitAsync(this.notify, NotifyWord.SEQ, since);
    if (result.async) void result.value.then(this.#onNews);
    else queueMicrotask(this.#onNews);
  }

  /** The sequence word moved: wait again, then tell the listening users. */
  readonly #onNews = (): void => {
    this.#waiting = false;
    if (this.#listening.size === 0 || this.#worker === null) return;
    this.#waitForNews(Atomics.load(this.notify, NotifyWord.SEQ));
    for (const user of [...this.#listening]) user.onWake();
  };

  readonly #onMessage = (): void => {
    if (this.#listening.size > 0) Atomics.store(this.notify, NotifyWord.ARMED, 1);
    for (const user of [...this.#listening]) user.onWake();
  };
}
