/**
 * HTTPClient against real loopback sockets: the poll contract — nothing changes and nothing is
 * sent between calls, the activity listener wakes a runner, close() at any phase releases the
 * socket — and the response-head limits.
 */
import { describe, expect, it } from "vitest";
import { Err, HTTPClient, Method, PeerState, Status, TLSOptions } from "../../src/index.ts";
import { connect, pollForResponse, pollUntil, readBody, requestAndWait, TERMINAL } from "../helpers/client-driver.ts";
import { startTcpServer, writeResponse } from "../helpers/loopback-server.ts";
import { sleep, waitUntil } from "../helpers/wait.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { loopbackKit } from "./loopback-kit.ts";

const track = cleanupAfterEach().track;
const { server } = loopbackKit(track);

describe("HTTPClient over loopback: the poll contract", () => {
  it("changes status and sends bytes only inside poll()", async () => {
    const received: Buffer[] = [];
    const srv = track(
      await startTcpServer((socket) => {
        socket.on("data", (chunk: Buffer) => {
          received.push(chunk);
          if (Buffer.concat(received).includes("\r\n\r\n")) writeResponse(socket, { body: "polled" });
        });
      }),
    );
    const client = track(new HTTPClient());
    expect(client.connectToHost("127.0.0.1", srv.port)).toBe(Err.OK);
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTING);
    await waitUntil(() => srv.connections.length === 1, "the server to accept");
    await waitUntil(() => client.getConnection()?.getState() === PeerState.OPEN, "the client's socket to open");
    // The socket is open, but the status moves only when polled.
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTING);
    expect(client.poll()).toBe(Err.OK);
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);

    expect(client.request(Method.METHOD_GET, "/", [])).toBe(Err.OK);
    await sleep(30);
    expect(received.length).toBe(0);
    expect(client.getStatus()).toBe(Status.STATUS_REQUESTING);
    expect(client.poll()).toBe(Err.OK);
    await waitUntil(() => received.length > 0, "the request bytes");
    await waitUntil(() => (client.getConnection()?.getAvailableBytes() ?? 0) > 0, "the response bytes");
    await sleep(10);
    // The whole response is buffered in the peer, but the status moves only when polled.
    expect(client.getStatus()).toBe(Status.STATUS_REQUESTING);
    expect(client.hasResponse()).toBe(false);
    expect(client.poll()).toBe(Err.OK);
    expect(client.getStatus()).toBe(Status.STATUS_BODY);
    expect(Buffer.from(client.readResponseBodyChunk()).toString()).toBe("polled");
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    expect(client.getResponseWireBytes()).toBe(Buffer.byteLength("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\npolled"));
  });

  it("calls the activity listener from the event loop when bytes arrive", async () => {
    // The answer can only come once this test awaits (the server runs on this event loop), after `before` is taken.
    const srv = await server((_request, _index, socket) => writeResponse(socket, { body: "wake" }));
    const client = track(new HTTPClient());
    let wakeups = 0;
    client.setActivityListener(() => wakeups++);
    await connect(client, "127.0.0.1", srv.port);
    expect(wakeups).toBeGreaterThan(0);
    expect(client.request(Method.METHOD_GET, "/", [])).toBe(Err.OK);
    expect(client.poll()).toBe(Err.OK);
    const before = wakeups;
    await waitUntil(() => wakeups > before, "a wake-up for the response");
    expect(client.getStatus()).toBe(Status.STATUS_REQUESTING);
    await pollForResponse(client);
    expect((await readBody(client)).body.toString()).toBe("wake");
    client.setActivityListener(null);
  });

  it("releases the socket when closed while connecting, requesting or reading a body", async () => {
    const srv = await server((_request, _index, socket) => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"));
    const closedByClient = (): number => srv.connections.filter((s) => s.readableEnded || s.destroyed).length;

    const client = track(new HTTPClient());
    expect(client.connectToHost("127.0.0.1", srv.port)).toBe(Err.OK);
    client.close();
    expect(client.getStatus()).toBe(Status.STATUS_DISCONNECTED);
    expect(client.poll()).toBe(Err.ERR_UNCONFIGURED);

    await connect(client, "127.0.0.1", srv.port);
    expect(client.request(Method.METHOD_GET, "/", [])).toBe(Err.OK);
    client.poll();
    client.close();

    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/");
    expect(client.getStatus()).toBe(Status.STATUS_BODY);
    client.close();
    expect(client.getResponseCode()).toBe(0);
    expect(client.readResponseBodyChunk().length).toBe(0);

    await waitUntil(() => srv.connections.length >= 2 && closedByClient() === srv.connections.length, "every connection to be closed");
    await sleep(10);
    expect(client.getStatus()).toBe(Status.STATUS_DISCONNECTED);
  });

  it("drops a pending name lookup on close() and ignores its late answer", async () => {
    const client = track(new HTTPClient());
    expect(client.connectToHost("localhost", 9)).toBe(Err.OK);
    expect(client.getStatus()).toBe(Status.STATUS_RESOLVING);
    client.close();
    await sleep(30);
    expect(client.poll()).toBe(Err.ERR_UNCONFIGURED);
    expect(client.getStatus()).toBe(Status.STATUS_DISCONNECTED);
  });
});

describe("HTTPClient over loopback: response head limits and garbage", () => {
  it("fails a response head over maxHeadBytes with CONNECTION_ERROR", async () => {
    const srv = await server((_request, _index, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(70 * 1024)}\r\nContent-Length: 0\r\n\r\n`);
    });
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", srv.port);
    expect(client.request(Method.METHOD_GET, "/", [])).toBe(Err.OK);
    const err = await pollUntil(client, (s) => TERMINAL.has(s) || s === Status.STATUS_BODY, "a failure");
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTION_ERROR);
    expect(err).toBe(Err.ERR_CONNECTION_ERROR);
    expect(client.getErrorReason()).toMatch(/65536|limit/);
  });

  it("fails a response with more header fields than maxHeaderCount", async () => {
    const srv = await server((_request, _index, socket) => {
      const fields = Array.from({ length: 20 }, (_, i) => `X-F${i}: ${i}\r\n`).join("");
      socket.write(`HTTP/1.1 200 OK\r\n${fields}Content-Length: 0\r\n\r\n`);
    });
    const client = track(new HTTPClient({ maxHeaderCount: 10 }));
    await connect(client, "127.0.0.1", srv.port);
    expect(client.request(Method.METHOD_GET, "/", [])).toBe(Err.OK);
    await pollUntil(client, (s) => TERMINAL.has(s) || s === Status.STATUS_BODY, "a failure");
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTION_ERROR);
    expect(client.getErrorReason()).toMatch(/header/);
  });

  it("fails on an answer that is not HTTP with 'invalid response'", async () => {
    const srv = await server((_request, _index, socket) => socket.write("SSH-2.0-OpenSSH_9.6\r\n\r\n"));
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", srv.port);
    expect(client.request(Method.METHOD_GET, "/", [])).toBe(Err.OK);
    await pollUntil(client, (s) => TERMINAL.has(s) || s === Status.STATUS_BODY, "a failure");
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTION_ERROR);
    expect(client.getErrorReason()).toMatch(/^invalid response/);
    expect(client.getResponseWireBytes()).toBeGreaterThan(0);
  });

  it("fails a TLS handshake with a server that speaks plain HTTP", async () => {
    const srv = track(
      await startTcpServer((socket) => socket.once("data", () => socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"))),
    );
    const client = track(new HTTPClient());
    expect(client.connectToHost("localhost", srv.port, TLSOptions.client())).toBe(Err.OK);
    const err = await pollUntil(client, (s) => TERMINAL.has(s) || s === Status.STATUS_CONNECTED, "the handshake to fail");
    expect(client.getStatus()).toBe(Status.STATUS_TLS_HANDSHAKE_ERROR);
    expect(err).toBe(Err.ERR_CANT_CONNECT);
    expect(client.getErrorReason()).toMatch(/TLS handshake with localhost failed: .*[A-Z_]{6,}/);
  });
});
