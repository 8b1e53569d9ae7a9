/**
 * Requests a hostile caller could use to smuggle bytes onto the wire: CR, LF or NUL in a header
 * name, a header value or the request target. Each is refused at the call with
 * ERR_INVALID_PARAMETER and a reason, nothing is emitted, and the server receives zero bytes (the
 * node does not even connect; a connected HTTPClient writes nothing).
 */
import { describe, expect, it } from "vitest";
import { Err, errName } from "../../src/status/err.ts";
import { Method } from "../../src/status/method.ts";
import { Status } from "../../src/status/status.ts";
import { HTTPClient } from "../../src/client/http-client.ts";
import { pollClient } from "../helpers/bounded-ticks.ts";
import { startHostileServer } from "../helpers/hostile-server.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { sleep } from "../helpers/wait.ts";
import { requester, urlOf } from "./hostile-kit.ts";

const track = cleanupAfterEach().track;

/** A server that would answer anything it received. */
async function server() {
  return track(
    await startHostileServer(async (c) => {
      if ((await c.head()) !== null) c.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }),
  );
}

const IN_VALUE = /header 0 \(X-Note\) contains a control character \(CR, LF, NUL…\) in its value/;
const IN_NAME = /header 0 does not start with a valid field name and a colon/;

const BAD_HEADERS: readonly (readonly [string, string, RegExp])[] = [
  ["CR LF in a value", "X-Note: a\r\nInjected: 1", IN_VALUE],
  ["a bare LF in a value", "X-Note: a\nInjected: 1", IN_VALUE],
  ["a bare CR in a value", "X-Note: a\rInjected: 1", IN_VALUE],
  ["NUL in a value", "X-Note: a\0b", IN_VALUE],
  ["a trailing CR LF", "X-Note: a\r\n", IN_VALUE],
  ["CR in a name", "X-No\rte: a", IN_NAME],
  ["NUL in a name", "X-No\0te: a", IN_NAME],
];

const BAD_PATHS: readonly (readonly [string, string])[] = [
  ["CR LF", "/a\r\nInjected: 1"],
  ["a bare LF", "/a\nb"],
  ["a bare CR", "/a\rb"],
  ["NUL", "/a\0b"],
];

describe("HTTPRequest refuses at the call, connects nowhere", () => {
  it.each(BAD_HEADERS)("a header with %s", async (_name, header, reason) => {
    const srv = await server();
    const { node, tree } = requester(track);
    let emitted = 0;
    node.requestCompleted.connect(() => emitted++);
    const err = node.request(urlOf(srv), [header]);
    expect(errName(err)).toBe(errName(Err.ERR_INVALID_PARAMETER));
    expect(node.getErrorReason()).toMatch(reason);
    for (let i = 0; i < 10; i++) tree.process(1 / 60);
    await sleep(10);
    expect(emitted).toBe(0);
    expect(node.getHttpClientStatus()).toBe(Status.STATUS_DISCONNECTED);
    expect(srv.log.length).toBe(0);
    expect(srv.totalReceived()).toBe(0);
  });

  it.each(BAD_PATHS)("a URL path with %s", async (_name, path) => {
    const srv = await server();
    const { node, tree } = requester(track);
    let emitted = 0;
    node.requestCompleted.connect(() => emitted++);
    const err = node.request(`http://127.0.0.1:${srv.port}${path}`);
    expect(errName(err)).toBe(errName(Err.ERR_INVALID_PARAMETER));
    expect(node.getErrorReason()).toMatch(/invalid URL .*control character U\+00(0D|0A|00)/);
    for (let i = 0; i < 10; i++) tree.process(1 / 60);
    await sleep(10);
    expect(emitted).toBe(0);
    expect(srv.log.length).toBe(0);
    expect(srv.totalReceived()).toBe(0);
  });

  it("a refused call leaves the node free: a clean request right after succeeds", async () => {
    const srv = await server();
    const { node, run } = requester(track);
    expect(node.request(urlOf(srv), ["X-Note: a\r\nInjected: 1"])).toBe(Err.ERR_INVALID_PARAMETER);
    const outcome = await run(urlOf(srv));
    expect(outcome.result).toBe(0);
    expect(Buffer.concat(srv.log[0]?.bytes ?? []).toString("latin1")).not.toMatch(/Injected/);
  });
});

describe("a connected HTTPClient refuses and writes nothing", () => {
  async function connected() {
    const srv = await server();
    const client = track(new HTTPClient());
    expect(client.connectToHost("127.0.0.1", srv.port)).toBe(Err.OK);
    await pollClient(client, () => client.getStatus() === Status.STATUS_CONNECTED, { maxTicks: 2000, maxMs: 5000 });
    return { srv, client };
  }

  it("every bad header and target, one after the other, on one connection: zero bytes reach the server", async () => {
    const { srv, client } = await connected();
    for (const [name, header, reason] of BAD_HEADERS) {
      expect(client.request(Method.METHOD_GET, "/", [header]), name).toBe(Err.ERR_INVALID_PARAMETER);
      expect(client.getErrorReason()).toMatch(reason);
    }
    for (const [name, path] of BAD_PATHS) {
      expect(client.request(Method.METHOD_GET, path, []), name).toBe(Err.ERR_INVALID_PARAMETER);
      expect(client.getErrorReason()).toMatch(/request target contains a forbidden character \(0x(0d|0a|00)\)/);
    }
    expect(client.request(Method.METHOD_GET, "/a b", [])).toBe(Err.ERR_INVALID_PARAMETER);
    const stats = await pollClient(client, () => false, { maxTicks: 20 }).catch(() => null);
    expect(stats).toBeNull(); // nothing ever happens: the cap is what ends the polling
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    await sleep(10);
    expect(srv.log.length).toBe(1);
    expect(srv.totalReceived()).toBe(0);
  });
});
