import { describe, expect, it } from "vitest";
import { HTTPRequest, Result, SceneTree, ScriptedNetwork } from "../../src/index.ts";

function rig(clock?: () => number) {
  const network = new ScriptedNetwork();
  const tree = new SceneTree();
  const node = new HTTPRequest(clock === undefined ? { network } : { network, clock });
  tree.root.addChild(node);
  const results: number[] = [];
  node.requestCompleted.connect((result) => results.push(result));
  return { network, tree, node, results };
}

describe("HTTPRequest timings", () => {
  it("measures each phase with an injected clock, exactly", () => {
    let now = 1000;
    const { network, tree, node, results } = rig(() => now);
    node.request("https://game.test/state");
    now = 1010;
    tree.process(0.016); // still resolving (the lookup started inside request() at 1000)
    network.pendingLookups()[0]!.resolve(["10.0.0.1"]);
    now = 1030;
    tree.process(0.016); // lookup done → connecting (tcp)
    network.pendingConnections()[0]!.accept();
    now = 1045;
    tree.process(0.016); // tcp up → tls handshake
    network.pendingHandshakes()[0]!.completeHandshake();
    now = 1070;
    tree.process(0.016); // tls up → request sent
    now = 1100;
    const peer = network.handshakes[0]!;
    peer.pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab");
    tree.process(0.016); // first byte, headers
    now = 1130;
    peer.pushIncoming("cd");
    tree.process(0.016); // body end
    expect(results).toEqual([Result.RESULT_SUCCESS]);
    expect(node.getTimings()).toEqual({
      dns: 30,
      tcp: 15,
      tls: 25,
      firstSend: 70,
      firstReceive: 30,
      headers: 0,
      body: 30,
      redirect: 0,
      total: 130,
      redirects: 0,
      attempts: 1,
    });
  });

  it("without a clock, timings are the node's virtual time; redirects count their time", () => {
    const { network, tree, node } = rig();
    network.addHost("a.test", ["10.0.0.1"]).addHost("b.test", ["10.0.0.2"]);
    network.autoAccept = true;
    node.request("http://a.test/old");
    tree.process(0.5); // resolved, connected and sent within the tick
    network.connections[0]!.pushIncoming("HTTP/1.1 302 Found\r\nLocation: http://b.test/new\r\nContent-Length: 0\r\n\r\n");
    tree.process(0.25); // redirect at 750 ms; new hop connected and sent
    network.connections[1]!.pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    tree.process(0.25);
    const timings = node.getTimings();
    expect(timings.redirects).toBe(1);
    expect(timings.redirect).toBe(750);
    expect(timings.total).toBe(1000);
    expect(timings.firstReceive).toBe(250);
  });

  it("without a clock, a second request on a kept connection measures from its own start, and its first byte after its own send", () => {
    const { network, tree, node } = rig();
    network.addHost("a.test", ["10.0.0.1"]);
    network.autoAccept = true;
    node.request("http://a.test/first");
    tree.process(0.5);
    network.connections[0]!.pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    tree.process(0.5);
    expect(node.getTimings().total).toBe(1000);
    node.request("http://a.test/second"); // the kept connection
    tree.process(0.25);
    network.connections[0]!.pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    tree.process(0.25);
    expect(network.connections).toHaveLength(1);
    const timings = node.getTimings();
    expect(timings).toEqual({
      dns: -1,
      tcp: -1,
      tls: -1,
      firstSend: 250,
      firstReceive: 250,
      headers: 0,
      body: 0,
      redirect: 0,
      total: 500,
      redirects: 0,
      attempts: 1,
    });
  });
});
