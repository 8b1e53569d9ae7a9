/**
 * Runs a real forward proxy (Debian `tinyproxy`) for tests: a config written to a fresh temp dir,
 * listening on a free port of 127.0.0.1, started in the foreground (`tinyproxy -d`) as a child
 * process and stopped by its process id. Its log (`LogLevel Info`) records each request line,
 * including `CONNECT host:port`, and each upstream connection.
 *
 * tinyproxy adds `Via: 1.1 <hostname> (tinyproxy/…)` to what it forwards, so the origin's log
 * shows which requests came through it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pickFreePorts, requireBinary, startChild, waitForValue, type ChildServer } from "./real-process.ts";

/** Options of {@link startTinyproxy}. */
export interface TinyproxyOptions {
  /** Ports `CONNECT` may reach (`ConnectPort`); when empty, tinyproxy allows any port. */
  readonly connectPorts?: readonly number[];
  /** Require Basic proxy authentication with these credentials (`BasicAuth user pass`). */
  readonly basicAuth?: { readonly user: string; readonly password: string };
}

/** A running tinyproxy. */
export interface Tinyproxy {
  /** `127.0.0.1`. */
  readonly host: string;
  /** The port it listens on. */
  readonly port: number;
  /** The temp dir holding the config and the log. */
  readonly dir: string;
  /** Its process id. */
  readonly pid: number;
  /** The whole log so far. */
  readLog(): string;
  /** The request lines it received, in order (`GET http://… HTTP/1.1`, `CONNECT host:port HTTP/1.1`). */
  requestLines(): string[];
  /**
   * Waits until the log satisfies `predicate` (tinyproxy writes it around forwarding, not before
   * the client sees the answer).
   *
   * @returns The log at that moment.
   */
  waitForLog(predicate: (log: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** Stops tinyproxy by its pid (SIGTERM, then SIGKILL) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

function renderConfig(dir: string, port: number, options: TinyproxyOptions): string {
  const lines = [
    "# Written by test/helpers/tinyproxy.ts",
    "Listen 127.0.0.1",
    `Port ${port}`,
    `LogFile "${dir}/tinyproxy.log"`,
    "LogLevel Info",
    "Allow 127.0.0.1",
    "MaxClients 100",
    "Timeout 30",
    ...(options.connectPorts ?? []).map((p) => `ConnectPort ${p}`),
  ];
  if (options.basicAuth !== undefined) lines.push(`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`);
  return `${lines.join("\n")}\n`;
}

const READY_LINE = "Starting main loop. Accepting connections.";

async function launch(binary: string, dir: string, options: TinyproxyOptions): Promise<{ child: ChildServer; port: number }> {
  const [port = 0] = await pickFreePorts(1);
  const conf = join(dir, "tinyproxy.conf");
  const logFile = join(dir, "tinyproxy.log");
  writeFileSync(conf, renderConfig(dir, port, options));
  rmSync(logFile, { force: true });
  const child = startChild(binary, ["-d", "-c", conf]);
  const readLog = (): string => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };
  try {
    // tinyproxy logs this line after listen(): no probe connection is needed (none lands in the log).
    await waitForValue(readLog, (log) => log.includes(READY_LINE) || !child.isRunning(), "tinyproxy to start", 5000);
    if (!child.isRunning()) throw new Error("tinyproxy exited");
  } catch (error) {
    await child.stop();
    const message = error instanceof Error ? error.message : String(error);
    const failure = new Error(`tinyproxy did not start (${message})\noutput: ${child.output()}\nlog: ${readLog()}`);
    (failure as Error & { addressInUse?: boolean }).addressInUse = /Address already in use|Unable to listen/i.test(
      child.output() + readLog(),
    );
    throw failure;
  }
  return { child, port };
}

/**
 * Starts tinyproxy and waits until it accepts connections.
 *
 * @param options - Allowed CONNECT ports and Basic authentication.
 * @returns The running proxy; call `stop()` in `afterAll`.
 * @throws When `/usr/bin/tinyproxy` is missing (run `bash scripts/setup.sh`) or it fails to start.
 */
export async function startTinyproxy(options: TinyproxyOptions = {}): Promise<Tinyproxy> {
  const binary = requireBinary("/usr/bin/tinyproxy", "tinyproxy", "POLL_HTTP_TINYPROXY");
  const dir = mkdtempSync(join(tmpdir(), "poll-http-tinyproxy-"));
  try {
    let launched: { child: ChildServer; port: number };
    try {
      launched = await launch(binary, dir, options);
    } catch (error) {
      if ((error as { addressInUse?: boolean }).addressInUse !== true) throw error;
      launched = await launch(binary, dir, options);
    }
    const { child, port } = launched;
    const readLog = (): string => {
      try {
        return readFileSync(join(dir, "tinyproxy.log"), "utf8");
      } catch {
        return "";
      }
    };
    let stopping: Promise<void> | null = null;
    return {
      host: "127.0.0.1",
      port,
      dir,
      pid: child.pid,
      readLog,
      requestLines: () => [...readLog().matchAll(/Request \(file descriptor \d+\): (.*)$/gm)].map((m) => m[1] ?? ""),
      waitForLog: (predicate, what, timeoutMs) => waitForValue(readLog, predicate, `tinyproxy log: ${what}`, timeoutMs),
      stop(): Promise<void> {
        stopping ??= child.stop().then(() => rmSync(dir, { recursive: true, force: true }));
        return stopping;
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
