/**
 * Hostile servers, connection behaviour: a byte a second (the timeout ends it, in virtual time),
 * a reset in the middle of a body, bytes beyond Content-Length on a keep-alive connection (never
 * read as the next response), and an early answer while a large upload is still being sent.
 */
import { describe, expect, it } from "vitest";
import {
  type Network,
  NodeNetwork,
  type PendingLookup,
  type ResolvedAddress,
  type StreamPeer,
  type TlsConnectOptions,
} from "../../src/client/index.ts";
import { Method } from "../../src/status/method.ts";
import { Result } from "../../src/status/result.ts";
import { startHostileServer, type HostileConnection } from "../helpers/hostile-server.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { sleep, waitUntil } from "../helpers/wait.ts";
import { expectOutcome, KiB, MiB, PROMPT_TICKS, requester, urlOf } from "./hostile-kit.ts";

const track = cleanupAfterEach().track;

/**
 * Virtual time runs 25 times faster than real time here: each tick is 0.25 virtual seconds and
 * sleeps 10 real milliseconds, and the server sends a byte every 40 real milliseconds, i.e. about
 * one byte per virtual second. A 3 s timeout is then exactly 12 ticks, whatever the load.
 */
const TRICKLE = { delta: 0.25, sleepMs: 10, maxTicks: 40 } as const;

describe("a server that trickles a byte a second", () => {
  it.each([
    ["the response head", "", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 0],
    ["the body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", "x".repeat(100), 200],
  ])("through %s: TIMEOUT at exactly the 3 s deadline (12 ticks of 0.25 s)", async (_name, prefix, trickled, code) => {
    let conn: HostileConnection | null = null;
    const server = track(
      await startHostileServer(async (c) => {
        conn = c;
        if ((await c.head()) === null) return;
        if (prefix !== "") c.send(prefix);
        for (const byte of trickled) {
          if (!c.send(byte)) return;
          await sleep(40);
        }
      }),
    );
    const { node, run } = requester(track);
    node.timeout = 3;
    const outcome = await run(urlOf(server), TRICKLE);
    expectOutcome(outcome, { result: Result.RESULT_TIMEOUT, reason: /^timed out after 3 s$/, maxTicks: 12, maxBuffered: 64, code });
    expect(outcome.ticks).toBe(12);
    expect(outcome.downloaded).toBeLessThan(100);
    const seen = conn as HostileConnection | null;
    await waitUntil(() => seen?.gone === true, "the client to hang up", 2000);
  });
});

describe("a reset in the middle of a body", () => {
  it("CONNECTION_ERROR naming the reset and the bytes received; no partial body is delivered", async () => {
    let conn: HostileConnection | null = null;
    const server = track(
      await startHostileServer(async (c) => {
        conn = c;
        if ((await c.head()) === null) return;
        c.send(`HTTP/1.1 200 OK\r\nContent-Length: ${MiB}\r\n\r\n`);
        c.send(Buffer.alloc(256 * KiB, 0x61));
      }),
    );
    const { node, run } = requester(track);
    let reset = false;
    const outcome = await run(urlOf(server), {
      maxTicks: PROMPT_TICKS * 2,
      onTick: () => {
        // Reset once the client has read what was sent, so the reset really lands mid-body.
        if (!reset && node.getDownloadedBytes() === 256 * KiB) {
          reset = true;
          (conn as HostileConnection | null)?.socket.resetAndDestroy();
        }
      },
    });
    expect(reset).toBe(true);
    expectOutcome(outcome, {
      result: Result.RESULT_CONNECTION_ERROR,
      reason: /body cut short after 262144 bytes: .*ECONNRESET/,
      maxTicks: PROMPT_TICKS * 2,
      maxBuffered: 256 * KiB,
      code: 200,
    });
    expect(outcome.downloaded).toBe(256 * KiB);
  });
});

/** A NodeNetwork that keeps the peers it connects, so a test can see what reached a connection. */
class WatchedNetwork implements Network {
  readonly #inner = new NodeNetwork();
  /** Every peer connect() returned, in order. */
  readonly peers: StreamPeer[] = [];

  resolve(host: string): PendingLookup {
    return this.#inner.resolve(host);
  }

  connect(address: ResolvedAddress, port: number): StreamPeer {
    const peer = this.#inner.connect(address, port);
    this.peers.push(peer);
    return peer;
  }

  startTls(peer: StreamPeer, options: TlsConnectOptions): StreamPeer {
    return this.#inner.startTls(peer, options);
  }

  eventLoopTurns(): number {
    return this.#inner.eventLoopTurns();
  }
}

describe("bytes beyond Content-Length on a keep-alive connection", () => {
  const SMUGGLED = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled";

  it.each([
    ["in the same write as the response", false],
    ["a moment after the response, while the connection is idle", true],
  ])("%s: never read as the next response; the next request goes on a new connection", async (_name, later) => {
    let firstConnection: HostileConnection | null = null;
    const server = track(
      await startHostileServer(async (c, index) => {
        if ((await c.head()) === null) return;
        if (index > 0) {
          c.send("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond");
          return;
        }
        firstConnection = c;
        const first = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        c.send(later ? first : first + SMUGGLED);
      }),
    );
    const network = new WatchedNetwork();
    const { run } = requester(track, network);
    const first = await run(urlOf(server, "/first"));
    expectOutcome(first, { result: Result.RESULT_SUCCESS, reason: /^$/, maxTicks: PROMPT_TICKS, maxBuffered: 4 * KiB, code: 200 });
    expect(Buffer.from(first.body).toString()).toBe("hello");
    if (later) {
      // The first response is complete and the connection idle: now the stray bytes come, and the
      // next request starts once they are in the idle connection's buffer.
      (firstConnection as HostileConnection | null)?.send(SMUGGLED);
      const idle = network.peers[0];
      await waitUntil(() => idle?.getAvailableBytes() === SMUGGLED.length, "the stray bytes to reach the idle connection", 2000);
    }
    const second = await run(urlOf(server, "/second"));
    expectOutcome(second, { result: Result.RESULT_SUCCESS, reason: /^$/, maxTicks: PROMPT_TICKS, maxBuffered: 4 * KiB, code: 200 });
    expect(Buffer.from(second.body).toString()).toBe("second");
    expect(server.log.length).toBe(2);
    // The first connection carried one request only.
    expect(
      Buffer.concat(server.log[0]?.bytes ?? [])
        .toString("latin1")
        .match(/ HTTP\/1\.1\r\n/g)?.length,
    ).toBe(1);
  });
});

describe("an early response while a large upload is still being sent", () => {
  it("a 413 after the request head: delivered at once, the 64 MiB upload stops, the connection is not reused", async () => {
    const body = new Uint8Array(64 * MiB);
    let conn: HostileConnection | null = null;
    const server = track(
      await startHostileServer(async (c) => {
        conn = c;
        if ((await c.head()) === null) return;
        c.send("HTTP/1.1 413 Content Too Large\r\nContent-Length: 9\r\n\r\ntoo large");
        // Keeps reading (and counting) whatever else the client sends; never closes.
      }),
    );
    const outcome = await requester(track).run(urlOf(server, "/upload"), { method: Method.METHOD_POST, body });
    expectOutcome(outcome, {
      result: Result.RESULT_SUCCESS,
      reason: /^$/,
      maxTicks: PROMPT_TICKS,
      maxBuffered: 4 * KiB,
      code: 413,
    });
    expect(Buffer.from(outcome.body).toString()).toBe("too large");
    const seen = conn as HostileConnection | null;
    await waitUntil(() => seen?.gone === true, "the client to close the connection", 2000);
    // What the socket buffers took before the answer was read: a few MiB, not the 64 MiB.
    expect(seen?.received ?? Infinity).toBeLessThan(16 * MiB);
  });

  it("a server that stops reading and answers: the client is not stuck behind its own upload", async () => {
    const server = track(
      await startHostileServer(async (c) => {
        if ((await c.head()) === null) return;
        c.socket.pause(); // the client's writes back up into its own bounded buffer
        c.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno");
      }),
    );
    const outcome = await requester(track).run(urlOf(server, "/upload"), { method: Method.METHOD_PUT, body: new Uint8Array(32 * MiB) });
    expectOutcome(outcome, {
      result: Result.RESULT_SUCCESS,
      reason: /^$/,
      maxTicks: PROMPT_TICKS,
      maxBuffered: 4 * KiB,
      code: 200,
    });
    expect(Buffer.from(outcome.body).toString()).toBe("no");
  });
});
