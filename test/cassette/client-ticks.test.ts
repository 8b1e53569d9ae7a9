/**
 * Ticks without a tree: a raw HTTPClient user calls `network.tick()` before each pass of `poll()`
 * calls, when recording (real sockets, an async loop) and when replaying (a plain loop, no event
 * loop turn); the client goes through the same statuses on the same ticks and reads the same
 * body pieces, with one poll per tick or several (a client polled again within a tick, with no
 * event-loop turn in between, must ask its connection nothing the replay would not ask). Also: `SceneTree.stepStarted` comes before any node of the step.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { HTTPClient } from "../../src/client/http-client.ts";
import { NodeNetwork } from "../../src/client/node-network.ts";
import { RecordingNetwork } from "../../src/client/cassette/recording-network.ts";
import { ReplayNetwork } from "../../src/client/cassette/replay-network.ts";
import { Node } from "../../src/request-node/node.ts";
import { SceneTree } from "../../src/request-node/scene-tree.ts";
import { Method } from "../../src/status/method.ts";
import { Status } from "../../src/status/status.ts";
import { hashArgs } from "./cassette-kit.ts";

/**
 * One pass per tick: tick, then `polls` times poll and read what the body has (one piece per poll
 * when `polls` > 1, all of it otherwise); logs status changes and pieces.
 */
function pass(
  network: { tick(delta?: number): void },
  client: HTTPClient,
  state: { tick: number; sent: boolean; log: string[]; last: Status | -1 },
  port: number,
  polls = 1,
): boolean {
  network.tick(1 / 60);
  state.tick++;
  for (let i = 0; i < polls; i++) {
    client.poll();
    const status = client.getStatus();
    if (status !== state.last) {
      state.log.push(`${state.tick} status ${status}`);
      state.last = status;
    }
    if (status === Status.STATUS_CONNECTED && !state.sent) {
      state.sent = true;
      client.request(Method.METHOD_GET, "/numbers", [`Host: 127.0.0.1:${port}`]);
    }
    const most = polls > 1 ? 1 : Number.POSITIVE_INFINITY;
    for (let read = 0; read < most; read++) {
      const piece = client.readResponseBodyChunk();
      if (piece.length === 0) break;
      state.log.push(`${state.tick} piece ${hashArgs([piece])}`);
    }
  }
  return state.sent && client.getStatus() === Status.STATUS_CONNECTED && client.getResponseCode() === 200;
}

describe("cassette ticks", () => {
  for (const polls of [1, 2, 3, 6]) {
    it(`a raw HTTPClient records with network.tick() in an async loop and replays in a plain one (${polls === 1 ? "one poll" : `${polls} polls`} per tick)`, async () => {
      const body = Buffer.alloc(3 * 1024 * 1024, "0123456789");
      const server = createServer((_req, res) => {
        res.writeHead(200, { "Content-Length": body.length });
        res.end(body);
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (server.address() as AddressInfo).port;
      const recorder = new RecordingNetwork(new NodeNetwork());
      const live = new HTTPClient({ network: recorder });
      const recorded = { tick: 0, sent: false, log: [] as string[], last: -1 as Status | -1 };
      try {
        live.connectToHost("localhost", port);
        for (let i = 0; i < 5000 && !pass(recorder, live, recorded, port, polls); i++)
          await new Promise((resolve) => setImmediate(resolve));
      } finally {
        live.close();
        server.closeAllConnections();
        server.close();
      }
      expect(recorded.log.filter((line) => line.includes("piece")).length).toBeGreaterThan(1);
      const replay = new ReplayNetwork(recorder.toCassette());
      const client = new HTTPClient({ network: replay });
      const replayed = { tick: 0, sent: false, log: [] as string[], last: -1 as Status | -1 };
      client.connectToHost("localhost", port);
      for (let i = 0; i < recorded.tick + 10 && !pass(replay, client, replayed, port, polls); i++);
      client.close();
      expect(replay.getFailures()).toEqual([]);
      expect(replayed.log).toEqual(recorded.log);
      expect(replayed.tick).toBe(recorded.tick);
    });
  }

  it("SceneTree.stepStarted is emitted with the frame and delta before any node of the step", () => {
    const tree = new SceneTree();
    const order: string[] = [];
    class Probe extends Node {
      override _process(): void {
        order.push(`node ${tree.getFrame()}`);
      }
    }
    tree.root.addChild(new Probe("probe"));
    tree.stepStarted.connect((frame, delta) => order.push(`step ${frame} ${delta}`));
    tree.process(0.25);
    tree.process(-1);
    expect(order).toEqual(["step 1 0.25", "node 1", "step 2 0", "node 2"]);
  });
});
