// Closes, after each test, everything a test opened: servers, clients, peers, temporary directories.
import * as fs from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import type { LoopbackServer } from "./loopback-server.ts";

/** Something a test opens and must close. */
export interface Closable {
  close(): unknown;
}

/** Everything a test opened, closed in reverse order by {@link Cleanup.run}: servers, clients, peers, temporary directories. */
export class Cleanup {
  readonly #tasks: (() => unknown)[] = [];

  /**
   * Registers a server to close.
   *
   * @param server - The server.
   * @returns The server.
   */
  server<T extends LoopbackServer<Socket>>(server: T): T {
    this.#tasks.push(() => server.close());
    return server;
  }

  /**
   * Creates a temporary directory removed at cleanup.
   *
   * @returns Its path.
   */
  tempDir(): string {
    const dir = fs.mkdtempSync(join(tmpdir(), "poll-http-lb-"));
    this.#tasks.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  /**
   * Registers something to close.
   *
   * @param thing - Anything with a `close()`.
   * @returns The thing.
   */
  readonly track = <T extends Closable>(thing: T): T => {
    this.#tasks.push(() => thing.close());
    return thing;
  };

  /**
   * Registers any cleanup function.
   *
   * @param fn - The function.
   */
  add(fn: () => unknown): void {
    this.#tasks.push(fn);
  }

  /** Runs every task (latest first); errors are collected and rethrown after all ran. */
  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const task of this.#tasks.splice(0).reverse()) {
      try {
        await task();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}

/**
 * A {@link Cleanup} run after each test of the file that calls this.
 *
 * @returns The cleanup.
 */
export function cleanupAfterEach(): Cleanup {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());
  return cleanup;
}
