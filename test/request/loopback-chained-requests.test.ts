/**
 * A request started from `requestCompleted` on a kept-alive connection gets its tick from an
 * as-fast-as-possible TreeRunner: `request()` wakes the tree, since no byte will arrive on the quiet
 * connection to do it (the runner used to sleep forever there). At a fixed frame rate, a chained
 * request goes out in the frame that completed the last one, so each costs one frame.
 */
import { describe, expect, it } from "vitest";
import { Err, HTTPRequest, Result, SceneTree, TreeRunner } from "../../src/index.ts";
import { startTcpServer } from "../helpers/loopback-server.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";

const track = cleanupAfterEach().track;

/** Resolves when the tree is woken (at once when a wake is pending already). */
function onceWoken(tree: SceneTree): Promise<void> {
  if (tree.isWakePending()) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      tree.woken.disconnect(done);
      resolve();
    };
    tree.woken.connect(done);
  });
}

describe("requests chained from requestCompleted", () => {
  it("runs each next request on the kept connection without any other activity to wake the runner", async () => {
    const server = track(
      await startTcpServer((socket) => {
        let pending = "";
        socket.on("data", (chunk: Buffer) => {
          pending += chunk.toString("latin1");
          for (let end = pending.indexOf("\r\n\r\n"); end !== -1; end = pending.indexOf("\r\n\r\n")) {
            pending = pending.slice(end + 4);
            socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
          }
        });
      }),
    );
    const tree = new SceneTree();
    const request = new HTTPRequest();
    tree.root.addChild(request);
    const runner = new TreeRunner(tree, { mode: "as-fast-as-possible" });
    track({ close: () => runner.stop() });
    const results: string[] = [];
    request.requestCompleted.connect((result, code, _headers, body) => {
      results.push(`${result === Result.RESULT_SUCCESS ? "ok" : result} ${code} ${Buffer.from(body).toString()}`);
      if (results.length < 5) expect(request.request(`http://127.0.0.1:${server.port}/${results.length}`)).toBe(Err.OK);
      else runner.stop();
    });
    expect(request.request(`http://127.0.0.1:${server.port}/0`)).toBe(Err.OK);
    expect(runner.start()).toBe(Err.OK);
    const timer = setTimeout(() => runner.stop(), 5000);
    await runner.whenStopped();
    clearTimeout(timer);
    request.queueFree();
    tree.process(0);
    expect(results).toEqual(Array.from({ length: 5 }, () => "ok 200 ok"));
    expect(server.connections.length).toBe(1);
  });

  it("at 60 frames per second, 120 chained keep-alive requests complete in at most 122 frames", async () => {
    const server = track(
      await startTcpServer((socket) => {
        let pending = "";
        socket.on("data", (chunk: Buffer) => {
          pending += chunk.toString("latin1");
          for (let end = pending.indexOf("\r\n\r\n"); end !== -1; end = pending.indexOf("\r\n\r\n")) {
            pending = pending.slice(end + 4);
            socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
          }
        });
      }),
    );
    const tree = new SceneTree();
    const request = new HTTPRequest();
    tree.root.addChild(request);
    track({ close: () => request.queueFree() });
    let completed = 0;
    let failed = 0;
    request.requestCompleted.connect((result, code) => {
      if (result !== Result.RESULT_SUCCESS || code !== 200) failed++;
      if (++completed < 120) request.request(`http://127.0.0.1:${server.port}/${completed}`);
    });
    expect(request.request(`http://127.0.0.1:${server.port}/0`)).toBe(Err.OK);
    // Fixed pacing of 1/60 s per frame in the tree's time; between frames the event loop turns until
    // the connection has news (the bytes a real frame's 16.7 ms would have let arrive).
    let frames = 0;
    while (completed < 120 && failed === 0 && frames < 400) {
      tree.process(1 / 60);
      frames++;
      if (completed < 120) await onceWoken(tree);
    }
    expect(failed).toBe(0);
    expect(completed).toBe(120);
    expect(frames).toBeLessThanOrEqual(122);
    expect(server.connections.length).toBe(1);
  });
});
