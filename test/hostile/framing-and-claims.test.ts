/**
 * Hostile servers and hostile callers, as outside testing found them: a caller's framing headers
 * (request smuggling) refused on both fronts for every body type; a 101 nobody asked for; a
 * Content-Length claim far beyond what is sent (no trust in the preallocation); a server that
 * closes a new connection before any request.
 */
import { describe, expect, it } from "vitest";
import { HTTPClient } from "../../src/client/http-client.ts";
import { StreamingBodySource } from "../../src/client/streaming-body-source.ts";
import { Err, errName } from "../../src/status/err.ts";
import { Method } from "../../src/status/method.ts";
import { Result, resultName } from "../../src/status/result.ts";
import { Status, statusName } from "../../src/status/status.ts";
import { MAX_PREALLOCATED_BYTES } from "../../src/request-node/body-collector.ts";
import { pollClient } from "../helpers/bounded-ticks.ts";
import { startHostileServer } from "../helpers/hostile-server.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { waitUntil } from "../helpers/wait.ts";
import { expectOutcome, MiB, PROMPT_TICKS, requester, urlOf } from "./hostile-kit.ts";

const track = cleanupAfterEach().track;

const SMUGGLED = "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
type BodyKind = readonly [string, () => string | Uint8Array | StreamingBodySource];
const BODIES: readonly BodyKind[] = [
  ["a string body", () => SMUGGLED],
  ["a bytes body", () => Buffer.from(SMUGGLED)],
  [
    "a streamed body",
    () => {
      const source = new StreamingBodySource();
      source.write(SMUGGLED);
      source.end();
      return source;
    },
  ],
];
const FRAMING: readonly (readonly [string, string[], RegExp])[] = [
  ["Transfer-Encoding: chunked", ["Transfer-Encoding: chunked"], /Transfer-Encoding header may not be given/],
  ["transfer-encoding: gzip, chunked", ["X-A: 1", "transfer-encoding: gzip, chunked"], /Transfer-Encoding header may not be given/],
  ["a Content-Length shorter than the body", ["Content-Length: 5"], /Content-Length header \(5\) does not match/],
];

async function answeringServer() {
  return track(
    await startHostileServer(async (c) => {
      if ((await c.head()) !== null) c.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }),
  );
}

describe("the client owns message framing (request smuggling)", () => {
  for (const [framing, headers, reason] of FRAMING) {
    // A streamed body of unknown length cannot be compared with a Content-Length at the call: it
    // must then yield exactly that many bytes (checked as it is sent, see upload tests).
    const bodies = framing.startsWith("a Content-Length") ? BODIES.slice(0, 2) : BODIES;
    it.each(bodies)(`HTTPRequest refuses ${framing} with %s: ERR_INVALID_PARAMETER, nothing sent`, async (_kind, body) => {
      const srv = await answeringServer();
      const { node, tree } = requester(track);
      let emitted = 0;
      node.requestCompleted.connect(() => emitted++);
      const err = node.request(urlOf(srv), headers, Method.METHOD_POST, body());
      expect(errName(err)).toBe(errName(Err.ERR_INVALID_PARAMETER));
      expect(node.getErrorReason()).toMatch(reason);
      for (let i = 0; i < 5; i++) tree.process(1 / 60);
      expect(emitted).toBe(0);
      expect(srv.log.length).toBe(0);
    });

    it.each(bodies)(`a connected HTTPClient refuses ${framing} with %s: zero bytes reach the server`, async (_kind, body) => {
      const srv = await answeringServer();
      const client = track(new HTTPClient());
      expect(client.connectToHost("127.0.0.1", srv.port)).toBe(Err.OK);
      await pollClient(client, () => client.getStatus() === Status.STATUS_CONNECTED, { maxTicks: 2000, maxMs: 5000 });
      expect(client.request(Method.METHOD_POST, "/", headers, body())).toBe(Err.ERR_INVALID_PARAMETER);
      expect(client.getErrorReason()).toMatch(reason);
      for (let i = 0; i < 5; i++) client.poll();
      expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
      // A clean request afterwards is the first thing the server sees, and only one request arrives.
      expect(client.request(Method.METHOD_POST, "/", [], "x")).toBe(Err.OK);
      await pollClient(
        client,
        () => client.getStatus() === Status.STATUS_BODY || (client.getStatus() === Status.STATUS_CONNECTED && client.hasResponse()),
        { maxTicks: 2000, maxMs: 5000 },
      );
      const seen = Buffer.concat(srv.log[0]?.bytes ?? []).toString("latin1");
      expect(seen).toMatch(/^POST \/ HTTP\/1\.1\r\n/);
      expect(seen).not.toMatch(/smuggled|Transfer-Encoding/i);
    });
  }
});

describe("101 Switching Protocols to a request that asked for no upgrade", () => {
  it.each([
    ["with Upgrade headers", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"],
    ["bare", "HTTP/1.1 101 Switching Protocols\r\n\r\n"],
    ["after 100 Continue", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n\r\n"],
  ])("%s fails the request, never SUCCESS", async (_name, answer) => {
    const srv = track(
      await startHostileServer(async (c) => {
        if ((await c.head()) !== null) c.send(answer);
      }),
    );
    const { run } = requester(track);
    const outcome = await run(urlOf(srv));
    expectOutcome(outcome, {
      result: Result.RESULT_CONNECTION_ERROR,
      reason: /101 Switching Protocols, but the request asked for no upgrade/,
      maxTicks: PROMPT_TICKS,
      maxBuffered: 64 * 1024,
    });
  });
});

describe("a Content-Length claim is not trusted with memory", () => {
  it("eight responses claiming 1 GiB and sending one byte reserve at most the preallocation bound each", async () => {
    const srv = track(
      await startHostileServer(async (c) => {
        if ((await c.head()) !== null) c.send("HTTP/1.1 200 OK\r\nContent-Length: 1073741823\r\n\r\nx");
      }),
    );
    const nodes = Array.from({ length: 8 }, () => requester(track));
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    const done: number[] = [];
    for (const { node } of nodes) {
      node.timeout = 0.25;
      node.requestCompleted.connect((result) => done.push(result));
      expect(node.request(urlOf(srv))).toBe(Err.OK);
    }
    await waitUntil(
      () => {
        for (const { tree } of nodes) tree.process(1 / 60);
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
        return done.length === nodes.length;
      },
      "the requests to time out",
      10_000,
    );
    expect(done.map(resultName)).toEqual(new Array(8).fill(resultName(Result.RESULT_TIMEOUT)));
    expect(MAX_PREALLOCATED_BYTES).toBeLessThanOrEqual(8 * MiB);
    expect(peak).toBeLessThan(8 * MAX_PREALLOCATED_BYTES + 32 * MiB);
  });
});

describe("a server that closes a new connection before any request", () => {
  it("HTTPClient: STATUS_CONNECTION_ERROR and request() returns ERR_CONNECTION_ERROR, on every run", async () => {
    for (let run = 0; run < 10; run++) {
      const srv = track(
        await startHostileServer(async (c) => {
          c.socket.end();
        }),
      );
      const client = track(new HTTPClient());
      expect(client.connectToHost("127.0.0.1", srv.port)).toBe(Err.OK);
      await pollClient(client, () => client.getStatus() !== Status.STATUS_RESOLVING && client.getStatus() !== Status.STATUS_CONNECTING, {
        maxTicks: 2000,
        maxMs: 5000,
      });
      const peer = client.getConnection();
      // Wait on the event (the close has arrived), not on time.
      await waitUntil(() => peer === null || peer.isEnded() || client.getStatus() !== Status.STATUS_CONNECTED, "the close to arrive", 5000);
      const err = client.request(Method.METHOD_GET, "/", []);
      expect(errName(err)).not.toBe(errName(Err.ERR_INVALID_PARAMETER));
      expect(statusName(client.getStatus())).toBe(statusName(Status.STATUS_CONNECTION_ERROR));
      expect(client.getErrorReason()).toMatch(/closed the connection before any request/);
      client.close();
    }
  });
});
