// Closes, after each test, everything a test opened: servers, clients, peers.
import { afterEach } from "vitest";

/** Something a test opens and must close. */
export interface Closable {
  close(): unknown;
}

/**
 * Registers an `afterEach` that closes every tracked thing (last opened first) and returns the
 * function that tracks one.
 */
export function trackResources(): <T extends Closable>(thing: T) => T {
  const opened: Closable[] = [];
  afterEach(async () => {
    for (const thing of opened.splice(0).reverse()) await thing.close();
  });
  return <T extends Closable>(thing: T): T => {
    opened.push(thing);
    return thing;
  };
}
