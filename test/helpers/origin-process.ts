/**
 * Runs test/helpers/origin-child.mjs (an HTTP and an HTTPS origin on loopback) as a child process,
 * for tests that drive requests from a loop that never yields: the server must live in another
 * process, since the test's thread never lets its own event loop turn while it drives a request.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A running origin child process. */
export interface OriginProcess {
  /** The plain HTTP port on 127.0.0.1. */
  readonly httpPort: number;
  /** The HTTPS port on 127.0.0.1 (certificate for localhost/127.0.0.1 signed by the fixture CA). */
  readonly httpsPort: number;
  /** Stops the process by its pid and waits for its exit. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the origin child and waits for its ports. */
export function startOriginProcess(): Promise<OriginProcess> {
  const script = fileURLToPath(new URL("./origin-child.mjs", import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let out = "";
    child.once("exit", (code) => reject(new Error(`origin child exited early (${code})`)));
    child.stdout?.setEncoding("utf8").on("data", (text: string) => {
      out += text;
      const line = out.split("\n")[0];
      if (!out.includes("\n") || line === undefined) return;
      const ports = JSON.parse(line) as { http: number; https: number };
      resolve({
        httpPort: ports.http,
        httpsPort: ports.https,
        stop(): Promise<void> {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          return exited;
        },
      });
    });
  });
}
