import { execFile } from "node:child_process";

/** What a finished example printed and how it exited. */
export interface ExampleRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node scripts/run-ts.mjs <file> [args…]` from the repository root, as a reader would.
 *
 * @param file - The example, relative to the repository root.
 * @param args - Extra arguments.
 * @param timeoutMs - Kill it after this long.
 * @returns Its exit code and output.
 */
export function runExample(file: string, args: readonly string[] = [], timeoutMs = 60_000): Promise<ExampleRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["scripts/run-ts.mjs", file, ...args],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr });
      },
    );
  });
}
