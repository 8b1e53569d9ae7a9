/**
 * Dual-stack connect (RFC 8305 "Happy Eyeballs") stepped over a ScriptedNetwork: the address order,
 * the attempt delay counted in the time given to the client (never a clock), a failure starting the
 * next address at once, the first connection to open winning and the others closed, and the same
 * through an HTTPRequest ticked in virtual time.
 */
import { describe, expect, it } from "vitest";
import { Err, HTTPClient, HTTPRequest, Method, Result, SceneTree, ScriptedNetwork, Status } from "../../src/index.ts";

function clientOver(addresses: readonly string[], options: { connectAttemptDelay?: number } = {}) {
  const network = new ScriptedNetwork().addHost("dual.test", addresses);
  const client = new HTTPClient({ network, ...options });
  expect(client.connectToHost("dual.test", 80)).toBe(Err.OK);
  client.poll();
  return { network, client, attempted: () => network.connections.map((peer) => peer.address.address) };
}

describe("dual-stack connect", () => {
  it("alternates the families, starting with the resolver's first, each family in the resolver's order", () => {
    const { network, client, attempted } = clientOver(["2001:db8::1", "2001:db8::2", "192.0.2.1", "192.0.2.2", "2001:db8::3"]);
    expect(attempted()).toEqual(["2001:db8::1"]);
    for (let i = 0; i < 4; i++) {
      client.advanceTime(0.25);
      client.poll();
    }
    expect(attempted()).toEqual(["2001:db8::1", "192.0.2.1", "2001:db8::2", "192.0.2.2", "2001:db8::3"]);
    expect(network.pendingConnections()).toHaveLength(5);
    client.close();
    expect(network.connections.every((peer) => peer.isClosed())).toBe(true);
  });

  it("starts the next address once the passed time reaches the delay, not before; ticks of 1/60 s reach 0.25 s on the 15th", () => {
    const { client, attempted } = clientOver(["::1", "127.0.0.1"]);
    for (let tick = 1; tick <= 14; tick++) {
      client.advanceTime(1 / 60);
      client.poll();
      expect(attempted(), `tick ${tick}`).toEqual(["::1"]);
    }
    expect(client.getNextDeadline()).toBeCloseTo(0.25 - 14 / 60, 9);
    client.advanceTime(1 / 60);
    client.poll();
    expect(attempted()).toEqual(["::1", "127.0.0.1"]);
    expect(client.getNextDeadline()).toBeNull(); // no address left to start
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTING);
  });

  it("the later attempt wins when it opens first; the slow one is closed and the client uses the winner", () => {
    const { network, client } = clientOver(["::1", "127.0.0.1"]);
    client.advanceTime(0.3);
    client.poll();
    const [slow, fast] = network.connections;
    fast!.accept();
    client.poll();
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    expect(slow!.isClosed()).toBe(true);
    expect(client.getConnection()).toBe(fast);
    expect(client.request(Method.METHOD_GET, "/", [])).toBe(Err.OK);
    client.poll();
    expect(fast!.takeOutgoingText()).toMatch(/^GET \/ HTTP\/1\.1\r\n/);
    expect(slow!.takeOutgoingText()).toBe("");
  });

  it("the first attempt still wins when it opens after the second started; the second is closed", () => {
    const { network, client } = clientOver(["::1", "127.0.0.1"]);
    client.advanceTime(0.3);
    client.poll();
    const [first, second] = network.connections;
    first!.accept();
    client.poll();
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    expect(client.getConnection()).toBe(first);
    expect(second!.isClosed()).toBe(true);
  });

  it("a refused attempt starts the next address at once, without waiting for the delay", () => {
    const { network, client, attempted } = clientOver(["::1", "127.0.0.1", "::2"]);
    network.connections[0]!.refuse();
    client.poll();
    expect(attempted()).toEqual(["::1", "127.0.0.1"]);
    network.connections[1]!.accept();
    client.poll();
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    expect(attempted()).toEqual(["::1", "127.0.0.1"]);
  });

  it("a failure while another attempt is still pending starts the next address too", () => {
    const { network, client, attempted } = clientOver(["::1", "127.0.0.1", "::2"]);
    client.advanceTime(0.25);
    client.poll();
    expect(attempted()).toEqual(["::1", "127.0.0.1"]);
    network.connections[1]!.refuse();
    client.poll();
    expect(attempted()).toEqual(["::1", "127.0.0.1", "::2"]);
    expect(network.connections[0]!.isClosed()).toBe(false);
  });

  it("CANT_CONNECT when every attempt fails, with the last address's reason and the count", () => {
    const { network, client } = clientOver(["::1", "127.0.0.1"]);
    client.advanceTime(0.25);
    client.poll();
    network.connections[0]!.refuse("ECONNREFUSED");
    client.poll();
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTING);
    network.connections[1]!.refuse("EHOSTUNREACH");
    expect(client.poll()).toBe(Err.ERR_CANT_CONNECT);
    expect(client.getStatus()).toBe(Status.STATUS_CANT_CONNECT);
    expect(client.getErrorReason()).toMatch(/^cannot connect to 127\.0\.0\.1:80: EHOSTUNREACH.*\(2 addresses tried\)$/);
  });

  it("a client never told the time tries the addresses one after another, each until it fails", () => {
    const { network, client, attempted } = clientOver(["::1", "127.0.0.1"]);
    for (let i = 0; i < 100; i++) client.poll();
    expect(attempted()).toEqual(["::1"]);
    network.connections[0]!.refuse();
    client.poll();
    expect(attempted()).toEqual(["::1", "127.0.0.1"]);
  });

  it("connectAttemptDelay sets the delay; Infinity never races", () => {
    const custom = clientOver(["::1", "127.0.0.1"], { connectAttemptDelay: 1 });
    custom.client.advanceTime(0.9);
    custom.client.poll();
    expect(custom.attempted()).toHaveLength(1);
    custom.client.advanceTime(0.1);
    custom.client.poll();
    expect(custom.attempted()).toHaveLength(2);
    const never = clientOver(["::1", "127.0.0.1"], { connectAttemptDelay: Infinity });
    never.client.advanceTime(1e6);
    never.client.poll();
    expect(never.attempted()).toHaveLength(1);
    expect(never.client.getNextDeadline()).toBeNull();
  });

  it("time passed while resolving or once connected does not count towards the delay", () => {
    const network = new ScriptedNetwork();
    const client = new HTTPClient({ network });
    client.connectToHost("slow-dns.test", 80);
    client.advanceTime(5);
    client.poll();
    network.pendingLookups()[0]!.resolve(["::1", "127.0.0.1"]);
    client.poll();
    expect(network.connections).toHaveLength(1);
    client.advanceTime(0.2);
    client.poll();
    expect(network.connections).toHaveLength(1);
  });

  it("an HTTPRequest passes its ticks' deltas: the next address starts on the tick where they sum to 0.25 s, and the request completes on it", () => {
    const network = new ScriptedNetwork().addHost("dual.test", ["2001:db8::1", "192.0.2.1"]);
    const tree = new SceneTree();
    const node = new HTTPRequest({ network });
    tree.root.addChild(node);
    const results: Result[] = [];
    node.requestCompleted.connect((result) => results.push(result));
    expect(node.request("http://dual.test/")).toBe(Err.OK);
    let startedOn = -1;
    for (let tick = 1; tick <= 20 && startedOn < 0; tick++) {
      expect(node._nextDeadline()).not.toBeNull(); // a sleeping runner wakes for the next address
      tree.process(0.05);
      if (network.connections.length === 2) startedOn = tick;
    }
    expect(startedOn).toBe(5);
    expect(network.connections[0]!.address.address).toBe("2001:db8::1");
    network.connections[1]!.accept();
    tree.process(0.05);
    expect(network.connections[0]!.isClosed()).toBe(true);
    const peer = network.connections[1]!;
    expect(peer.takeOutgoingText()).toContain("Host: dual.test\r\n");
    peer.pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    tree.process(0.05);
    expect(results).toEqual([Result.RESULT_SUCCESS]);
  });
});
