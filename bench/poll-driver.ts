// Drives a poll-http HTTPClient "as fast as the event loop allows" without spinning: a step
// function polls and consumes until it cannot progress, then the driver sleeps until the client's
// activity listener fires (bytes arrived, close, connect, drain) and runs the step again.
import { Err, HTTPClient, Method, Status } from "../src/index.ts";

/**
 * When a woken driver runs its next step:
 * - `microtask`: in a microtask right after the event-loop callback that delivered the bytes
 *   (what a hand-written loop around `poll()` can do; one step per socket read);
 * - `immediate`: on `setImmediate`, like `TreeRunner` in `as-fast-as-possible` mode (one step per
 *   event-loop turn; reads that arrive in the same turn are drained together).
 */
export type WakeMode = "microtask" | "immediate";

/** What a step came to: keep sleeping until activity, or finished. */
export type StepResult = "wait" | "done";

/**
 * Runs `step` now and after every activity of `client` until it returns `done` or throws.
 * While the client is resolving (lookups do not notify), it also re-runs every millisecond.
 *
 * @param client - The client whose activity wakes the driver.
 * @param mode - How a wake schedules the next step.
 * @param step - Polls and consumes; synchronous.
 * @returns Resolves with the number of steps run (wake-ups, the first included) when `step`
 * returns `done`; rejects with what it threw.
 */
export function drive(client: HTTPClient, mode: WakeMode, step: () => StepResult): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let scheduled = false;
    let finished = false;
    let steps = 0;
    const run = (): void => {
      scheduled = false;
      if (finished) return;
      steps++;
      let result: StepResult;
      try {
        result = step();
      } catch (error) {
        finished = true;
        client.setActivityListener(null);
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (result === "done") {
        finished = true;
        client.setActivityListener(null);
        resolve(steps);
      } else if (client.getStatus() === Status.STATUS_RESOLVING) {
        setTimeout(wake, 1);
      }
    };
    const wake = (): void => {
      if (scheduled || finished) return;
      scheduled = true;
      if (mode === "microtask") queueMicrotask(run);
      else setImmediate(run);
    };
    client.setActivityListener(wake);
    wake();
  });
}

/** Throws with the client's reason unless its status is one a healthy exchange passes through. */
export function assertHealthy(client: HTTPClient, status: Status): void {
  if (
    status === Status.STATUS_RESOLVING ||
    status === Status.STATUS_CONNECTING ||
    status === Status.STATUS_CONNECTED ||
    status === Status.STATUS_REQUESTING ||
    status === Status.STATUS_BODY
  ) {
    return;
  }
  throw new Error(`poll-http: status ${status}: ${client.getErrorReason()}`);
}

/**
 * Opens a connection and waits until it is CONNECTED.
 *
 * @param mode - The wake mode.
 * @param port - The server port.
 * @param host - The server address; 127.0.0.1 by default.
 * @returns The connected client.
 */
export async function connectClient(mode: WakeMode, port: number, host = "127.0.0.1"): Promise<HTTPClient> {
  const client = new HTTPClient();
  const err = client.connectToHost(host, port);
  if (err !== Err.OK) throw new Error(`connectToHost failed: ${client.getErrorReason()}`);
  await drive(client, mode, () => {
    client.poll();
    const status = client.getStatus();
    assertHealthy(client, status);
    return status === Status.STATUS_CONNECTED ? "done" : "wait";
  });
  return client;
}

/** What a client does when its exchange is over (idle): send the next GET, keep sleeping, or finish. */
export type IdleAction = "request" | StepResult;

/** A client sending GETs of one path one after another, for {@link stepGets}. */
export interface GetLoop {
  /** The path of every GET. */
  readonly path: string;
  /** Receives each body piece read (a view, valid until the next `poll()`). */
  readonly onPiece: (piece: Uint8Array) => void;
  /** Called each time the client is idle (CONNECTED; DISCONNECTED too with `closeIsIdle`): what it does next. */
  readonly onIdle: () => IdleAction;
  /** Largest piece asked of `readResponseBodyPiece`; the client's chunk size when left out. */
  readonly pieceMax?: number;
  /** A closed connection counts as idle (the server may close after the body) instead of failing. */
  readonly closeIsIdle?: boolean;
}

const NO_HEADERS: readonly string[] = [];

/**
 * One step of a client sending GETs: polls, reads every body piece there is, and asks `onIdle`
 * what to do whenever the client is idle, until it has to wait for the network or `onIdle` says
 * `wait` or `done`.
 *
 * @returns `wait` to be run again on the client's next activity; `done` when `onIdle` said so.
 * @throws When `request()` fails or the client reaches a status a healthy exchange does not pass through.
 */
export function stepGets(client: HTTPClient, loop: GetLoop): StepResult {
  for (;;) {
    client.poll();
    let status = client.getStatus();
    if (status === Status.STATUS_BODY) {
      for (let piece = client.readResponseBodyPiece(loop.pieceMax); piece.length > 0; piece = client.readResponseBodyPiece(loop.pieceMax)) {
        loop.onPiece(piece);
      }
      status = client.getStatus();
      if (status === Status.STATUS_BODY) return "wait";
    }
    if (status === Status.STATUS_CONNECTED || (loop.closeIsIdle === true && status === Status.STATUS_DISCONNECTED)) {
      const action = loop.onIdle();
      if (action !== "request") return action;
      if (client.request(Method.METHOD_GET, loop.path, NO_HEADERS) !== Err.OK) throw new Error(`request(): ${client.getErrorReason()}`);
      continue; // the next poll() writes the request
    }
    assertHealthy(client, status);
    return "wait"; // REQUESTING: written, waiting for the response
  }
}

/**
 * Downloads `path` once on a connected client, handing each body piece to `onPiece`; a close by
 * the server after the body ends it too.
 *
 * @param pieceMax - Largest piece asked of `readResponseBodyPiece`.
 * @returns The number of driver steps (wake-ups) it took.
 */
export function getOnce(
  client: HTTPClient,
  mode: WakeMode,
  path: string,
  pieceMax: number,
  onPiece: (piece: Uint8Array) => void,
): Promise<number> {
  let sent = false;
  const loop: GetLoop = {
    path,
    onPiece,
    pieceMax,
    closeIsIdle: true,
    onIdle: () => {
      if (sent) return "done";
      sent = true;
      return "request";
    },
  };
  return drive(client, mode, () => stepGets(client, loop));
}
