/** Waiting helpers for tests that involve Node's event loop (real sockets, DNS). */
import type { StreamPeer } from "../../src/client/peer/stream-peer.ts";

/** Lets the event loop run once (I/O callbacks included). */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Sleeps for `ms` milliseconds.
 *
 * @param ms - The delay.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until `predicate()` is true, checking every millisecond.
 *
 * @param predicate - The condition.
 * @param what - Names the condition in the timeout error.
 * @param timeoutMs - How long to wait before failing. Default 5000.
 */
export async function waitUntil(predicate: () => boolean, what = "condition", timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(1);
  }
}

/**
 * Resolves once `done()` holds, checked now and on every activity notice of the peer (then the
 * peer's activity listener is cleared).
 *
 * @param peer - The peer whose activity is watched.
 * @param done - The condition.
 */
export function untilPeer(peer: StreamPeer, done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (!done()) return;
      peer.setActivityListener?.(null);
      resolve();
    };
    peer.setActivityListener?.(check);
    check();
  });
}
