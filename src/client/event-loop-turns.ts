/**
 * Counts the turns of Node's event loop, cheaply and only while asked: the first call after a turn
 * arms one `unref()`ed `setImmediate`, which bumps the count when the loop next runs its check
 * phase; later calls before that only read the count. A loop that never yields therefore sees the
 * same number on every call and costs one boolean test per call.
 *
 * @module
 */

let turns = 0;
let armed = false;

function turned(): void {
  armed = false;
  turns++;
}

/**
 * The number of event-loop turns seen so far (see the module comment).
 *
 * @returns A count that has not moved when the event loop has not turned since the previous call.
 */
export function eventLoopTurns(): number {
  if (!armed) {
    armed = true;
    setImmediate(turned).unref();
  }
  return turns;
}
