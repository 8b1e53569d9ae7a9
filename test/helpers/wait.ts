/** Waiting helpers for tests that involve Node's event loop (real sockets, DNS). */

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
