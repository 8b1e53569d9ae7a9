/**
 * Runs the `poll-http` command as users do: src/cli/bin.ts bundled with esbuild (self-contained)
 * into a temp dir, executed with `node` as a child process, against a loopback HTTP(S) server
 * whose routes the tests use.
 */
import { spawn } from "node:child_process";
import { createCipheriv } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll } from "vitest";
import { fixtures } from "../helpers/tls-fixtures.ts";

/** The bundled command. */
export interface BuiltCli {
  /** Path of the bundled `.mjs`. */
  readonly path: string;
  /** A temp dir for the test's files; removed by `dispose()`. */
  readonly dir: string;
  /** Removes the temp dir. */
  dispose(): void;
}

/**
 * Bundles the command into a fresh temp dir.
 *
 * @returns The bundle and its dir.
 */
export async function buildCli(): Promise<BuiltCli> {
  const dir = mkdtempSync(join(tmpdir(), "poll-http-cli-"));
  const path = join(dir, "cli.mjs");
  await build({
    entryPoints: [new URL("../../src/cli/bin.ts", import.meta.url).pathname],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    outfile: path,
    banner: { js: "#!/usr/bin/env node" },
    logLevel: "warning",
  });
  return { path, dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The bundled command and a plain HTTP test server, shared by the tests of one file. */
export interface CliFixture {
  readonly cli: BuiltCli;
  readonly server: TestServer;
}

/**
 * Registers, in the calling test file, a `beforeAll` that bundles the command and starts a plain
 * HTTP test server, and an `afterAll` that stops the server and removes the bundle's dir.
 *
 * @returns Both, to read inside tests (they exist once `beforeAll` has run).
 */
export function useCliAndServer(): CliFixture {
  let cli: BuiltCli | undefined;
  let server: TestServer | undefined;
  beforeAll(async () => {
    [cli, server] = await Promise.all([buildCli(), startTestServer()]);
  });
  afterAll(async () => {
    await server?.close();
    cli?.dispose();
  });
  return {
    get cli(): BuiltCli {
      if (cli === undefined) throw new Error("the command is bundled in beforeAll");
      return cli;
    },
    get server(): TestServer {
      if (server === undefined) throw new Error("the test server starts in beforeAll");
      return server;
    },
  };
}

/** What a run of the command produced. */
export interface CliRun {
  /** The exit status (null when killed by a signal). */
  readonly status: number | null;
  /** Standard output, as bytes. */
  readonly stdout: Buffer;
  /** Standard error, as text. */
  readonly stderr: string;
}

/** Options of {@link runCommand}. */
export interface RunOptions {
  /** Extra environment variables (the progress bar is forced off unless set here). */
  readonly env?: Readonly<Record<string, string>>;
  /** Kills the command after this long; default 20 s. */
  readonly timeoutMs?: number;
  /** Called once the process is spawned (e.g. to send it a signal later). */
  readonly onSpawn?: (pid: number) => void;
  /** The working directory; the test process's by default. */
  readonly cwd?: string;
}

/**
 * Runs `node <cli> ...args` and collects its output.
 *
 * @param cli - The bundled command (or any executable script path).
 * @param args - Its arguments.
 * @param options - Environment and time limit.
 * @returns Exit status, stdout and stderr.
 */
export function runCommand(cli: string, args: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, POLL_HTTP_PROGRESS: "", ...options.env },
      cwd: options.cwd,
    });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: Buffer.concat(out), stderr: err });
    });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
  });
}

/** The key and IV of the pseudo-random bodies of `/bytes/N`: AES-128-CTR of zeros, fast and deterministic. */
const STREAM_KEY = Buffer.alloc(16, 7);
const STREAM_IV = Buffer.alloc(16, 0);

/**
 * Writes `size` deterministic pseudo-random bytes (the body of `/bytes/<size>`) through `write`.
 *
 * @param size - How many bytes.
 * @param write - Receives each piece; returns false to wait for `drain`.
 * @param waitDrain - Resolves when writing may go on.
 */
export async function streamBytes(size: number, write: (piece: Buffer) => boolean, waitDrain: () => Promise<void>): Promise<void> {
  const cipher = createCipheriv("aes-128-ctr", STREAM_KEY, STREAM_IV);
  const zeros = Buffer.alloc(1 << 20);
  for (let left = size; left > 0; ) {
    const n = Math.min(left, zeros.length);
    left -= n;
    if (!write(cipher.update(zeros.subarray(0, n)))) await waitDrain();
  }
}

/** A running test server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` or `https://…`. */
  readonly origin: string;
  /** The port. */
  readonly port: number;
  /** Requests seen, in order: method, URL and header lines. */
  readonly seen: Array<{ method: string; url: string; headers: Record<string, string | string[] | undefined> }>;
  /** Stops it and destroys every socket. */
  close(): Promise<void>;
}

/**
 * The routes: `/hello`; `/echo` (JSON of method, URL, raw headers and the body in base64);
 * `/redirect/N` (302 chain down to `/redirect/0`); `/status/N`; `/bytes/N` (N pseudo-random bytes
 * with a Content-Length); `/chunked/N` (the same bytes, chunked); `/hang[?…]` (never answers); `/close` (closes without answering).
 */
function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? "/";
  const parts: Buffer[] = [];
  req.on("data", (chunk: Buffer) => parts.push(chunk));
  req.on("end", () => {
    let match: RegExpExecArray | null;
    if (url === "/hello") {
      res.end("hello world\n");
    } else if (url === "/echo") {
      const body = Buffer.concat(parts);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ method: req.method, url, rawHeaders: req.rawHeaders, body: body.toString("base64") }));
    } else if ((match = /^\/redirect\/(\d+)$/.exec(url)) !== null) {
      const n = Number(match[1]);
      if (n === 0) res.end("arrived\n");
      else res.writeHead(302, { location: `/redirect/${n - 1}` }).end();
    } else if ((match = /^\/status\/(\d+)$/.exec(url)) !== null) {
      res.writeHead(Number(match[1]), { "x-test": "status" }).end(`status ${match[1]}\n`);
    } else if ((match = /^\/bytes\/(\d+)$/.exec(url)) !== null) {
      const size = Number(match[1]);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": size });
      void streamBytes(
        size,
        (piece) => res.write(piece),
        () => new Promise((resolve) => res.once("drain", resolve)),
      ).then(() => res.end());
    } else if ((match = /^\/chunked\/(\d+)$/.exec(url)) !== null) {
      res.writeHead(200, { "content-type": "application/octet-stream" }); // no length: chunked
      void streamBytes(
        Number(match[1]),
        (piece) => res.write(piece),
        () => new Promise((resolve) => res.once("drain", resolve)),
      ).then(() => res.end());
    } else if (url.startsWith("/hang")) {
      // Never answers.
    } else if (url === "/close") {
      req.socket.destroy();
    } else {
      res.writeHead(404).end("no such route\n");
    }
  });
}

async function listen(server: Server): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Starts the test server on 127.0.0.1, port 0.
 *
 * @param tls - Serve HTTPS with the fixture certificate (for 127.0.0.1 and localhost, signed by the test CA).
 * @returns The server.
 */
export async function startTestServer(tls = false): Promise<TestServer> {
  const seen: TestServer["seen"] = [];
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    handle(req, res);
  };
  const server = tls ? createHttpsServer({ cert: fixtures.serverCert, key: fixtures.serverKey }, onRequest) : createHttpServer(onRequest);
  const { port, close } = await listen(server);
  return { origin: `${tls ? "https" : "http"}://127.0.0.1:${port}`, port, seen, close };
}

/** The path of the fixture CA certificate that signed the HTTPS server's certificate. */
export const CA_FILE: string = new URL("../fixtures/tls/ca.pem", import.meta.url).pathname;
