/**
 * The threaded network leaves nothing behind: after 1,000 requests (new connections and kept-alive
 * ones, from a loop that never yields) and the tree's exit, the process has as many open file
 * descriptors and threads as before, the one shared worker included. And a script whose only work
 * is one threaded request exits by itself, with its kept connection still open.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HTTPRequest, Result, SceneTree, sharedThreadedNetwork, type RequestCompletedArgs } from "../../src/index.ts";
import { startTcpServer } from "../helpers/loopback-server.ts";
import { startOriginProcess, type OriginProcess } from "../helpers/origin-process.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { waitUntil } from "../helpers/wait.ts";

const track = cleanupAfterEach().track;
let origin: OriginProcess;

beforeAll(async () => {
  origin = await startOriginProcess();
});

afterAll(async () => {
  await origin?.stop();
});

function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

function threadCount(): number {
  return readdirSync("/proc/self/task").length;
}

/** Runs `count` requests per node in a plain loop (no event-loop turn); returns the results. */
function runAll(tree: SceneTree, nodes: readonly { req: HTTPRequest; headers: string[] }[], count: number): Result[] {
  const results: Result[] = [];
  const left = nodes.map(() => count);
  const start = (i: number): void => {
    const node = nodes[i]!;
    if (node.req.request(`http://127.0.0.1:${origin.httpPort}/small/${left[i]}`, node.headers) !== 0)
      throw new Error(node.req.getErrorReason());
  };
  nodes.forEach((node, i) => {
    node.req.requestCompleted.connect((...[result]: RequestCompletedArgs) => {
      results.push(result);
      if (--left[i]! > 0) start(i);
    });
    start(i);
  });
  for (let ticks = 0; results.length < nodes.length * count; ticks++) {
    if (ticks > 100_000_000) throw new Error("requests did not finish");
    tree.process(1 / 60);
  }
  return results;
}

describe("no leak", () => {
  it("1,000 requests, then tree exit: file descriptors and threads back to the baseline", async () => {
    const network = sharedThreadedNetwork();
    // Warm-up: the first lookup starts libuv's thread pool, which stays; the worker must not.
    {
      const tree = new SceneTree();
      const req = new HTTPRequest();
      req.useThreads = true;
      tree.root.addChild(req);
      const results = runAll(tree, [{ req, headers: [] }], 1);
      expect(results).toEqual([Result.RESULT_SUCCESS]);
      req.queueFree();
      tree.process(0);
      await network.whenThreadStopped();
    }
    await waitUntil(() => !network.isThreadRunning(), "the worker to stop");
    const baseline = { fds: openFds(), threads: threadCount() };

    const tree = new SceneTree();
    const nodes = [0, 1, 2, 3].map((i) => {
      const req = new HTTPRequest();
      req.useThreads = true;
      tree.root.addChild(req);
      // Two nodes keep their connection alive, two open a new one for every request.
      return { req, headers: i < 2 ? [] : ["Connection: close"] };
    });
    const results = runAll(tree, nodes, 250);
    expect(results.length).toBe(1000);
    expect(results.every((r) => r === Result.RESULT_SUCCESS)).toBe(true);
    // One worker thread for all the connections.
    expect(network.isThreadRunning()).toBe(true);
    expect(threadCount()).toBe(baseline.threads + 1);

    for (const { req } of nodes) req.queueFree();
    tree.process(0); // the tree's exit closes every connection
    await network.whenThreadStopped();
    expect(network.isThreadRunning()).toBe(false);
    await waitUntil(() => threadCount() === baseline.threads && openFds() === baseline.fds, "fds and threads back to the baseline");
    expect({ fds: openFds(), threads: threadCount() }).toEqual(baseline);
  }, 60_000);
});

/** Answers each request after `delayMs` with keep-alive; never closes the connection. */
function answerLateKeepAlive(socket: Socket, delayMs: number): void {
  let pending = "";
  socket.on("data", (chunk: Buffer) => {
    pending += chunk.toString("latin1");
    for (let end = pending.indexOf("\r\n\r\n"); end !== -1; end = pending.indexOf("\r\n\r\n")) {
      pending = pending.slice(end + 4);
      setTimeout(() => {
        if (!socket.destroyed) socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok");
      }, delayMs);
    }
  });
}

interface ChildRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly exitAfterDoneMs: number;
}

function runChild(mode: string, port: number): Promise<ChildRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["scripts/run-ts.mjs", "test/threaded/exit-child.ts", mode, String(port)], {
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
    const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, exitAfterDoneMs: doneAt < 0 ? -1 : performance.now() - doneAt });
    });
  });
}

describe("a script whose only work is one threaded request", () => {
  for (const mode of ["sync", "runner"]) {
    it(`exits by itself (${mode})`, async () => {
      const server = track(await startTcpServer((socket) => answerLateKeepAlive(socket, 300)));
      const run = await runChild(mode, server.port);
      expect(run.stderr).toBe("");
      expect(run.stdout).toBe("completed 0 200 ok\ndone\n");
      // It printed `done` and then exited by itself with 0: the server never closes the kept
      // connection, so a process held open by it would only end when killed (code null).
      expect(run.code).toBe(0);
      expect(run.exitAfterDoneMs).toBeGreaterThanOrEqual(0);
      expect(server.connections.length).toBe(1);
    }, 30_000);
  }
});
