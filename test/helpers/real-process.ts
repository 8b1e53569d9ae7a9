/**
 * Pieces shared by the helpers that run real servers nobody here wrote (nginx, tinyproxy): find
 * the binary (failing with a message that says how to install it), pick free loopback ports, run
 * the server as a child process and stop it by its process id, and wait for things on the wire or
 * in a log file under a hard cap.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { sleep } from "./wait.ts";

/**
 * The path of a server binary, or an error telling the reader to run `bash scripts/setup.sh`.
 * Tests that need it fail (never skip) when it is missing.
 *
 * @param path - Where the Debian package installs it, e.g. `/usr/sbin/nginx`.
 * @param debianPackage - The package that provides it, e.g. `nginx-light`.
 * @param envOverride - An environment variable that may name another path.
 * @returns The path.
 */
export function requireBinary(path: string, debianPackage: string, envOverride: string): string {
  const chosen = process.env[envOverride] ?? path;
  if (!existsSync(chosen)) {
    throw new Error(
      `${chosen} not found: the real-server tests need the Debian package ${debianPackage}. ` +
        `Run \`bash scripts/setup.sh\` (it installs the missing packages), or set ${envOverride} to the binary.`,
    );
  }
  return chosen;
}

function listenOn(server: Server, port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const onError = (): void => resolve(false);
    server.once("error", onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off("error", onError);
      resolve(true);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

/**
 * Whether `::1` can be bound here (IPv6 loopback configured).
 *
 * @returns True when a server could listen on `[::1]:0`.
 */
export async function ipv6LoopbackUsable(): Promise<boolean> {
  const server = createServer();
  const ok = await listenOn(server, 0, "::1");
  await closeServer(server);
  return ok;
}

/**
 * Distinct ports that are free on 127.0.0.1 (and on `::1` when `ipv6`): each is found by binding
 * port 0, all are held until every one is found, then all are closed and the numbers returned.
 * Another process may take one before the server binds it; callers retry once on EADDRINUSE.
 *
 * @param count - How many ports.
 * @param ipv6 - Also require the same port number free on `::1`.
 * @returns The port numbers.
 */
export async function pickFreePorts(count: number, ipv6 = false): Promise<number[]> {
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempts = 0; ports.length < count; attempts++) {
      if (attempts > 50) throw new Error(`could not find ${count} free loopback ports`);
      const v4 = createServer();
      if (!(await listenOn(v4, 0, "127.0.0.1"))) continue;
      held.push(v4);
      const address = v4.address();
      if (address === null || typeof address === "string") continue;
      if (ipv6) {
        const v6 = createServer();
        if (!(await listenOn(v6, address.port, "::1"))) continue;
        held.push(v6);
      }
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(held.map(closeServer));
  }
}

/**
 * Resolves when a TCP connection to `host:port` is accepted; retries every 10 ms.
 *
 * @param host - The address.
 * @param port - The port.
 * @param isAlive - Checked before each attempt; waiting stops with an error when it returns false.
 * @param timeoutMs - Hard cap.
 */
export async function waitForTcp(host: string, port: number, isAlive: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive()) throw new Error(`the server exited before ${host}:${port} accepted a connection`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${host}:${port} did not accept a connection within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/**
 * Sends `request` over a fresh TCP connection and resolves with everything received until the
 * server closes (used as a readiness probe with `Connection: close`).
 *
 * @param host - The address.
 * @param port - The port.
 * @param request - The raw bytes to send.
 * @param timeoutMs - Hard cap.
 * @returns The answer as Latin-1 text.
 */
export function rawExchange(host: string, port: number, request: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host, port }, () => socket.write(request, "latin1"));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("error", (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("latin1"));
    });
  });
}

/** A server running as a child process. */
export interface ChildServer {
  /** Its process id. */
  readonly pid: number;
  /** Whether it is still running. */
  isRunning(): boolean;
  /** What it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when it has exited. */
  readonly exited: Promise<void>;
  /** Sends SIGTERM to its pid, waits up to 3 s, then SIGKILL. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a server binary as a child process (not detached: it is ours to stop). A process `exit`
 * hook kills it should the test process end without calling `stop()`.
 *
 * @param binary - The executable.
 * @param args - Its arguments.
 * @returns The running child.
 */
export function startChild(binary: string, args: readonly string[]): ChildServer {
  const child: ChildProcess = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  const pid = child.pid;
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  let running = pid !== undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      running = false;
      resolve();
    });
    child.once("error", (error) => {
      out += `spawn error: ${error.message}\n`;
      running = false;
      resolve();
    });
  });
  const killOnExit = (): void => {
    if (running && pid !== undefined) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  };
  process.once("exit", killOnExit);
  let stopping: Promise<void> | null = null;
  return {
    pid: pid ?? -1,
    isRunning: () => running,
    output: () => out,
    exited,
    stop(): Promise<void> {
      stopping ??= (async () => {
        process.off("exit", killOnExit);
        if (!running || pid === undefined) return;
        try {
          process.kill(pid, "SIGTERM");
        } catch {
          return;
        }
        const timedOut = await Promise.race([exited.then(() => false), sleep(3000).then(() => true)]);
        if (timedOut && running) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // Already gone.
          }
          await exited;
        }
      })();
      return stopping;
    },
  };
}

/**
 * Waits until `read()` gives a value `predicate` accepts, re-reading every 10 ms. Servers write
 * their logs a moment after the client has seen the response, so assertions on logs wait.
 *
 * @param read - Reads the current state (e.g. parses a log file).
 * @param predicate - The condition.
 * @param what - Names the condition in the timeout error.
 * @param timeoutMs - Hard cap; default 3000.
 * @returns The accepted value.
 */
export async function waitForValue<T>(read: () => T, predicate: (value: T) => boolean, what: string, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (predicate(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last value:\n${typeof value === "string" ? value : JSON.stringify(value, null, 1)}`);
    }
    await sleep(10);
  }
}
