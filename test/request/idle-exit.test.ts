/**
 * A kept-alive idle connection does not keep the Node process alive, and a connection with a
 * request in flight does. Each case runs test/request/idle-exit-child.ts as a child process
 * against a server here that answers with keep-alive and never closes an idle connection: the
 * child must print every response, then exit within 2 s of its `done` line without calling
 * queueFree() or close().
 */
import { spawn } from "node:child_process";
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { startTcpServer, startTlsServer } from "../helpers/loopback-server.ts";
import { fixtures } from "../helpers/tls-fixtures.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";

const track = cleanupAfterEach().track;

/**
 * Answers each request head on `socket` with a keep-alive 200 whose body is the request target,
 * after `delayMs`. Never closes the connection.
 */
function answerKeepAlive(socket: Socket, delayMs: number): void {
  let pending = "";
  socket.on("data", (chunk: Buffer) => {
    pending += chunk.toString("latin1");
    for (let end = pending.indexOf("\r\n\r\n"); end !== -1; end = pending.indexOf("\r\n\r\n")) {
      const target = pending.slice(0, end).split(" ")[1] ?? "?";
      pending = pending.slice(end + 4);
      setTimeout(() => {
        if (!socket.destroyed)
          socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${target.length}\r\nConnection: keep-alive\r\n\r\n${target}`);
      }, delayMs);
    }
  });
}

interface ChildRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds from the `done` line to the exit; -1 without a `done` line. */
  readonly exitAfterDoneMs: number;
}

/** Runs the child script and times its exit after `done`; kills it after `timeoutMs`. */
function runChild(mode: string, port: number, timeoutMs = 10_000): Promise<ChildRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["scripts/run-ts.mjs", "test/request/idle-exit-child.ts", mode, String(port)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let doneAt = -1;
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
      if (doneAt < 0 && /^done$/m.test(stdout)) doneAt = performance.now();
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, exitAfterDoneMs: doneAt < 0 ? -1 : performance.now() - doneAt });
    });
  });
}

/** The child printed `stdout`, nothing on stderr, and exited by itself with 0 after its work. */
function expectCleanPromptExit(run: Awaited<ReturnType<typeof runChild>>, stdout: string): void {
  expect(run.stderr).toBe("");
  expect(run.stdout).toBe(stdout);
  expect(run.code).toBe(0);
  // It printed `done` and then exited by itself: the servers never close the idle connection, so a
  // process held open by it would only end when killed (code null).
  expect(run.exitAfterDoneMs).toBeGreaterThanOrEqual(0);
}

describe("idle keep-alive connections and process exit", () => {
  it("HTTPRequest: the process exits once the request is done, the connection kept for reuse", async () => {
    const server = track(await startTcpServer((socket) => answerKeepAlive(socket, 200)));
    const run = await runChild("tree", server.port);
    expectCleanPromptExit(run, "completed ok 200 /\nkept connected\ndone\n");
    expect(server.connections.length).toBe(1);
  }, 30_000);

  it("HTTPRequest over TLS: the TLS connection kept for reuse does not hold the process either", async () => {
    const server = track(
      await startTlsServer({ cert: fixtures.serverCert, key: fixtures.serverKey }, (socket) => answerKeepAlive(socket, 200)),
    );
    const run = await runChild("tree-https", server.port);
    expectCleanPromptExit(run, "completed ok 200 /\nkept connected\ndone\n");
  }, 30_000);

  it("HTTPClient: a request in flight keeps the process alive while the server takes its time, an idle connection does not", async () => {
    // The child has no timer: while each delayed answer is awaited, only its connection keeps it
    // alive (it was idle, and so not holding the process, between the two requests).
    const server = track(await startTcpServer((socket) => answerKeepAlive(socket, 700)));
    const run = await runChild("client", server.port);
    expectCleanPromptExit(run, "completed ok 200 /1\ncompleted ok 200 /2\nkept connected\ndone\n");
    expect(server.connections.length).toBe(1); // both requests on one kept connection
  }, 30_000);
});
