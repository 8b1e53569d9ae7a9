/**
 * Dual-stack connect over real loopback sockets: `localhost` reaches a server listening on only
 * 127.0.0.1 and one listening on only ::1, and a first address whose connect is never answered
 * (its SYN dropped by a full accept queue) gives way to the next address after the attempt delay,
 * counted in the time given to the client, not on a clock.
 */
import { createServer, type Server, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import {
  Err,
  HTTPClient,
  HTTPRequest,
  Method,
  NodeNetwork,
  PeerState,
  Result,
  SceneTree,
  Status,
  ThreadedNetwork,
  type Network,
  type PendingLookup,
  type ResolvedAddress,
  type StreamPeer,
  type TlsConnectOptions,
} from "../../src/index.ts";
import { readBody, requestAndWait, serveRequests, TERMINAL } from "../helpers/client-driver.ts";
import { writeResponse } from "../helpers/loopback-server.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { startUnansweringListener } from "../helpers/unanswering-listener.ts";
import { tick, waitUntil } from "../helpers/wait.ts";

const track = cleanupAfterEach().track;

/** An HTTP server on `address` only (port 0) answering each request with its request line. */
async function listenOn(address: string): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    serveRequests(socket, (request, _index, s) => writeResponse(s, { body: `${request.requestLine} via ${address}` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, address, () => resolve());
  });
  const bound = server.address();
  if (bound === null || typeof bound === "string") throw new Error("no port");
  return {
    port: bound.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A NodeNetwork whose lookups answer two addresses, 127.0.0.1 and 127.0.0.2, and whose connects go
 * to 127.0.0.1 on the port given for that address: the first address is an unanswering listener,
 * the second the real server. Records the connects.
 */
class TwoAddressNetwork implements Network {
  readonly #inner = new NodeNetwork();
  readonly attempts: string[] = [];
  readonly peers: StreamPeer[] = [];
  readonly #ports: ReadonlyMap<string, number>;
  constructor(ports: ReadonlyMap<string, number>) {
    this.#ports = ports;
  }
  resolve(host: string): PendingLookup {
    const addresses: ResolvedAddress[] = [...this.#ports.keys()].map((address) => ({ address, family: 4 }));
    return { host, getState: () => "done", getAddresses: () => addresses, getError: () => "", cancel: () => undefined };
  }
  connect(address: ResolvedAddress): StreamPeer {
    this.attempts.push(address.address);
    const peer = this.#inner.connect({ address: "127.0.0.1", family: 4 }, this.#ports.get(address.address)!);
    this.peers.push(peer);
    return peer;
  }
  startTls(peer: StreamPeer, options: TlsConnectOptions): StreamPeer {
    return this.#inner.startTls(peer, options);
  }
}

/**
 * Polls a client as a game loop would: each round tells it `delta` seconds passed, polls, and lets
 * the event loop turn once. Bounded by rounds, not by a clock.
 */
async function pollFrames(client: HTTPClient, delta: number, done: () => boolean, maxRounds = 20000): Promise<number> {
  for (let round = 1; round <= maxRounds; round++) {
    client.advanceTime(delta);
    client.poll();
    if (done()) return round;
    await tick();
  }
  throw new Error(`not done after ${maxRounds} rounds: status ${client.getStatus()}, ${client.getErrorReason()}`);
}

describe("dual-stack connect over loopback", () => {
  it("a NodeNetwork lookup of localhost (and of a name under .localhost) holds both loopback addresses, the resolver's first", async () => {
    for (const name of ["localhost", "app.localhost", "LOCALHOST."]) {
      const lookup = new NodeNetwork().resolve(name);
      for (let round = 0; round < 10000 && lookup.getState() === "pending"; round++) await tick();
      expect(lookup.getState(), name).toBe("done");
      const addresses = lookup.getAddresses().map((entry) => entry.address);
      expect(addresses, name).toContain("::1");
      expect(addresses, name).toContain("127.0.0.1");
    }
  });

  for (const only of ["127.0.0.1", "::1"]) {
    it(`localhost reaches a server listening on ${only} only`, async () => {
      const server = track(await listenOn(only));
      const client = track(new HTTPClient());
      expect(client.connectToHost("localhost", server.port)).toBe(Err.OK);
      await pollFrames(client, 1 / 60, () => client.getStatus() === Status.STATUS_CONNECTED || TERMINAL.has(client.getStatus()));
      expect(client.getStatus(), client.getErrorReason()).toBe(Status.STATUS_CONNECTED);
      await requestAndWait(client, Method.METHOD_GET, "/where");
      expect((await readBody(client)).body.toString()).toBe(`GET /where HTTP/1.1 via ${only}`);
    });
  }

  it("a ThreadedNetwork lookup of localhost holds both loopback addresses too", async () => {
    const threaded = new ThreadedNetwork();
    track({ close: () => threaded.close() });
    const lookup = threaded.resolve("localhost");
    await waitUntil(() => lookup.getState() !== "pending", "the threaded lookup");
    expect(lookup.getState()).toBe("done");
    expect(
      lookup
        .getAddresses()
        .map((entry) => entry.address)
        .sort(),
    ).toEqual(["127.0.0.1", "::1"]);
  });

  it("an HTTPRequest to localhost reaches a ::1-only server", async () => {
    const server = track(await listenOn("::1"));
    const tree = new SceneTree();
    const node = new HTTPRequest();
    tree.root.addChild(node);
    track({ close: () => node.cancelRequest() });
    const done: [Result, string][] = [];
    node.requestCompleted.connect((result, _code, _headers, body) => done.push([result, Buffer.from(body).toString()]));
    expect(node.request(`http://localhost:${server.port}/six`)).toBe(Err.OK);
    for (let round = 0; round < 20000 && done.length === 0; round++) {
      tree.process(1 / 60);
      await tick();
    }
    expect(done, node.getErrorReason()).toEqual([[Result.RESULT_SUCCESS, "GET /six HTTP/1.1 via ::1"]]);
  });

  it("falls over to the next address when the first is never answered, once 0.25 s of frames passed", async () => {
    const blackhole = track(await startUnansweringListener());
    const server = track(await listenOn("127.0.0.1"));
    const network = new TwoAddressNetwork(
      new Map([
        ["127.0.0.1", blackhole.port],
        ["127.0.0.2", server.port],
      ]),
    );
    const client = track(new HTTPClient({ network }));
    expect(client.connectToHost("slow-first.test", 80)).toBe(Err.OK);
    const rounds = await pollFrames(client, 0.05, () => client.getStatus() === Status.STATUS_CONNECTED || TERMINAL.has(client.getStatus()));
    expect(client.getStatus(), client.getErrorReason()).toBe(Status.STATUS_CONNECTED);
    expect(network.attempts).toEqual(["127.0.0.1", "127.0.0.2"]);
    expect(rounds).toBeGreaterThanOrEqual(5); // the second attempt starts on the 5th frame of 0.05 s
    expect(network.peers[0]!.getState()).toBe(PeerState.CLOSED); // the unanswered attempt was closed
    expect(client.getConnection()).toBe(network.peers[1]);
    await requestAndWait(client, Method.METHOD_GET, "/second");
    expect((await readBody(client)).body.toString()).toMatch(/^GET \/second HTTP\/1\.1 via /);
  });
});
