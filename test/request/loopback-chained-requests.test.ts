/**
 * A request started from `requestCompleted` on a kept-alive connection gets its tick from an
 * as-fast-as-possible TreeRunner: `request()` wakes the tree, since no byte will arrive on the quiet
 * connection to do it (the runner used to sleep forever there).
 */
import { describe, expect, it } from "vitest";
import { Err, HTTPRequest, Result, SceneTree, TreeRunner } from "../../src/index.ts";
import { startTcpServer } from "../helpers/loopback-server.ts";
import { trackResources } from "../helpers/tracked.ts";

const track = trackResources();

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
});
