/**
 * createFetch({ tree }) over a ScriptedNetwork: requests advance only when the caller ticks its
 * tree, and each promise settles at the end of the tick that finished it — the response promise
 * in the tick the head completed, the body in the tick its last byte arrived — whatever the split
 * of the bytes, and the same way on every run.
 */
import { describe, expect, it } from "vitest";
import { createFetch, SceneTree, ScriptedNetwork, type FetchFailure } from "../../src/index.ts";

const HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Step: 1\r\nContent-Length: 11\r\n\r\n";
const RESPONSE = `${HEAD}hello world`;

/** Lets promise callbacks queued by a tick run (no event-loop turn, no timer). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

interface Run {
  /** Tick at which the response promise had settled. */
  headTick: number;
  /** Tick at which `text()` had settled. */
  bodyTick: number;
  status: number;
  text: string;
  header: string | null;
}

/** Fetches with the response delivered in `pieces`, one piece per tick after the request went out. */
async function run(pieces: readonly string[]): Promise<Run> {
  const network = new ScriptedNetwork();
  network.addHost("example.test", ["10.0.0.1"]);
  network.autoAccept = true;
  const tree = new SceneTree();
  const fetch = createFetch({ tree, network });
  const result: Run = { headTick: -1, bodyTick: -1, status: 0, text: "", header: null };
  void fetch("http://example.test/step").then((response) => {
    result.headTick = tree.getFrame();
    result.status = response.status;
    result.header = response.headers.get("x-step");
    return response.text().then((text) => {
      result.bodyTick = tree.getFrame();
      result.text = text;
    });
  });
  await settle();
  tree.process(1 / 60);
  await settle();
  const peer = network.connections[0]!;
  expect(peer.takeOutgoingText()).toMatch(/^GET \/step HTTP\/1\.1\r\n/);
  expect(result.headTick).toBe(-1);
  for (const piece of pieces) {
    peer.pushIncoming(piece);
    await settle(); // nothing moves between ticks
    tree.process(1 / 60);
    await settle();
  }
  for (let i = 0; i < 3; i++) {
    tree.process(1 / 60);
    await settle();
  }
  return result;
}

describe("createFetch({ tree }) over a ScriptedNetwork (stepped)", () => {
  it("nothing is sent between ticks: the request goes out in the first tick", async () => {
    const network = new ScriptedNetwork();
    network.addHost("example.test", ["10.0.0.1"]);
    network.autoAccept = true;
    const tree = new SceneTree();
    const pending = createFetch({ tree, network })("http://example.test/");
    await settle();
    expect(network.connections).toEqual([]); // queued in the pool: no connection before its tick
    tree.process(1 / 60);
    expect(network.connections[0]!.takeOutgoingText()).toMatch(/^GET \/ HTTP\/1\.1\r\n/);
    network.connections[0]!.pushIncoming("HTTP/1.1 204 No Content\r\n\r\n");
    tree.process(1 / 60);
    expect((await pending).status).toBe(204);
  });

  it("the response settles in the tick the head completed and the body in the tick its last byte came, at every split", async () => {
    const outcomes = new Set<string>();
    for (let split = 1; split < RESPONSE.length; split++) {
      const pieces = [RESPONSE.slice(0, split), RESPONSE.slice(split)];
      const first = await run(pieces);
      const again = await run(pieces);
      expect(again).toEqual(first);
      // Tick 1 sends the request; piece i arrives before tick i + 2.
      const headTick = split >= HEAD.length ? 2 : 3;
      const bodyTick = split === RESPONSE.length ? 2 : 3;
      expect(first).toEqual({ headTick, bodyTick, status: 200, text: "hello world", header: "1" });
      outcomes.add(`${first.headTick}/${first.bodyTick}`);
    }
    expect([...outcomes].sort()).toEqual(["2/3", "3/3"]);
  });

  it("one byte per tick: the head settles on the tick of its last byte, the body on the tick of its last", async () => {
    const pieces = [...RESPONSE];
    const result = await run(pieces);
    expect(result).toEqual({ headTick: HEAD.length + 1, bodyTick: RESPONSE.length + 1, status: 200, text: "hello world", header: "1" });
  });

  it("a connection lost mid-body errors the body in that tick, with the cause", async () => {
    const network = new ScriptedNetwork();
    network.addHost("example.test", ["10.0.0.1"]);
    network.autoAccept = true;
    const tree = new SceneTree();
    const response = createFetch({ tree, network })("http://example.test/");
    tree.process(1 / 60);
    network.connections[0]!.pushIncoming(`${HEAD}hello`);
    tree.process(1 / 60);
    const res = await response;
    let failedAt = -1;
    const text = res.text().catch((error: unknown) => {
      failedAt = tree.getFrame();
      return error;
    });
    network.connections[0]!.pushEnd();
    tree.process(1 / 60);
    const error = await text;
    expect(failedAt).toBe(3);
    expect(error).toBeInstanceOf(TypeError);
    expect(((error as TypeError).cause as FetchFailure).resultName).toBe("RESULT_CONNECTION_ERROR");
  });

  it("back-pressure: a full response.body leaves the bytes in the connection until the application reads", async () => {
    const network = new ScriptedNetwork();
    network.addHost("example.test", ["10.0.0.1"]);
    network.autoAccept = true;
    const tree = new SceneTree();
    const pending = createFetch({ tree, network })("http://example.test/", { pollHttp: { bodyHighWaterMark: 1000 } });
    tree.process(1 / 60);
    const peer = network.connections[0]!;
    peer.pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + "a".repeat(1000));
    tree.process(1 / 60);
    const res = await pending;
    await settle();
    for (let i = 0; i < 4; i++) {
      peer.pushIncoming("b".repeat(1000));
      tree.process(1 / 60);
      await settle();
    }
    expect(peer.getAvailableBytes()).toBe(4000); // the queue (1,000 bytes) is full: nothing more was read
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.value?.length).toBe(1000);
    await settle(); // the read asked for more: the next tick reads what waited
    tree.process(1 / 60);
    expect(peer.getAvailableBytes()).toBe(0);
    let rest = 0;
    for (let read = await reader.read(); !read.done; read = await reader.read()) rest += read.value.length;
    expect(rest).toBe(4000);
  });

  describe("a BYOB reader", () => {
    /** A fetch whose response head (announcing `length` bytes) has arrived; the body comes by `peer.pushIncoming`. */
    async function started(length: number, highWaterMark?: number) {
      const network = new ScriptedNetwork();
      network.addHost("example.test", ["10.0.0.1"]);
      network.autoAccept = true;
      const tree = new SceneTree();
      const init = highWaterMark === undefined ? {} : { pollHttp: { bodyHighWaterMark: highWaterMark } };
      const pending = createFetch({ tree, network })("http://example.test/", init);
      tree.process(1 / 60);
      const peer = network.connections[0]!;
      peer.pushIncoming(`HTTP/1.1 200 OK\r\nContent-Length: ${length}\r\n\r\n`);
      tree.process(1 / 60);
      const res = await pending;
      const tick = async (bytes = ""): Promise<void> => {
        if (bytes !== "") peer.pushIncoming(bytes);
        tree.process(1 / 60);
        await settle();
      };
      return { peer, res, tick };
    }

    it("reads a body that ended before its first read, piece by piece into its own buffer", async () => {
      const { res, tick } = await started(11);
      await tick("hello world");
      await tick();
      const reader = res.body!.getReader({ mode: "byob" });
      let text = "";
      let buffer = new Uint8Array(4);
      for (;;) {
        const { done, value } = await reader.read(buffer);
        if (done || value === undefined) break;
        expect(value.length).toBeLessThanOrEqual(4);
        text += new TextDecoder().decode(value);
        buffer = new Uint8Array(value.buffer);
      }
      expect(text).toBe("hello world");
    });

    it("a read waiting before the bytes arrive is answered in the tick they arrive; back-pressure holds the rest in the connection", async () => {
      const { peer, res, tick } = await started(5000, 1000);
      const reader = res.body!.getReader({ mode: "byob" });
      const waiting = reader.read(new Uint8Array(600));
      let answered = false;
      void waiting.then(() => {
        answered = true;
      });
      await tick();
      expect(answered).toBe(false);
      await tick("a".repeat(1000));
      expect(answered).toBe(true);
      const first = await waiting;
      expect(new TextDecoder().decode(first.value)).toBe("a".repeat(600));
      for (let i = 0; i < 4; i++) await tick("b".repeat(1000));
      // 400 bytes wait in the store, then a tick of 1,000 filled it past 1,000: the rest stays in the connection
      expect(peer.getAvailableBytes()).toBe(3000);
      let buffer = new Uint8Array(first.value!.buffer);
      let rest = "";
      for (;;) {
        const read = reader.read(buffer);
        await tick();
        const { done, value } = await read;
        if (done || value === undefined) break;
        rest += new TextDecoder().decode(value);
        buffer = new Uint8Array(value.buffer);
      }
      expect(rest).toBe("a".repeat(400) + "b".repeat(4000));
      expect(peer.getAvailableBytes()).toBe(0);
    });
  });
});
