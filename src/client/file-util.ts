import { closeSync } from "node:fs";

/**
 * The message of a thrown value.
 *
 * @param error - What was thrown.
 * @returns Its message, or its text.
 * @internal
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Closes a file descriptor, ignoring errors (it may already be closed).
 *
 * @param fd - The descriptor.
 * @internal
 */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed or invalid: nothing left to release.
  }
}
