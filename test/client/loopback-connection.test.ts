/**
 * HTTPClient against real loopback sockets: what happens to the connection around a response —
 * uploads larger than the write buffer, early answers during an upload, HTTP/1.0 and
 * `Connection` semantics, a FIN that arrives before the body is read, an idle connection the
 * server closes.
 */
import { createHash } from "node:crypto";
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { Err, HTTPClient, Method, PeerState, Status } from "../../src/index.ts";
import { connect, pollForResponse, pollUntil, readBody, requestAndWait } from "../helpers/client-driver.ts";
import { type LoopbackServer, readRequestHead, startTcpServer, writeResponse } from "../helpers/loopback-server.ts";
import { waitUntil } from "../helpers/wait.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { loopbackKit } from "./loopback-kit.ts";

const track = cleanupAfterEach().track;
const { server } = loopbackKit(track);

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/**
 * Waits until the client's connection holds all `bytes` of the response (nobody polls meanwhile,
 * so they stay unread there; null: already read), then resets the server's side of the connection
 * (`close`: `resetAndDestroy()`, or `destroy()` with unread bytes, which makes the kernel send the
 * reset) and waits until the client's connection has seen the reset. A reset that reaches the
 * client while bytes are still in its kernel buffer reads there as an orderly end, so the order is
 * waited for, not left to timing.
 */
async function resetOnceReceived(
  client: HTTPClient,
  srv: LoopbackServer,
  bytes: number | null,
  close: (socket: Socket) => void = (socket) => socket.resetAndDestroy(),
): Promise<void> {
  if (bytes !== null)
    await waitUntil(() => client.getConnection()?.getAvailableBytes() === bytes, "the whole response to reach the client");
  const socket = srv.connections[0];
  if (socket === undefined) throw new Error("no connection on the server");
  close(socket);
  await waitUntil(() => client.getConnection()?.getState() === PeerState.ERROR, "the reset");
}

/** The early answer of the upload tests. */
const TOO_BIG = "HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Length: 7\r\n\r\ntoo big";

describe("HTTPClient over loopback: requests with bodies", () => {
  it("uploads an 8 MiB body across many polls (more than the write buffer) intact", async () => {
    const payload = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 131 + (i >>> 12)) & 0xff;
    const srv = await server((request, _index, socket) => {
      writeResponse(socket, { body: `${request.body.length} ${sha256(request.body)}` });
    });
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", srv.port);
    expect(client.request(Method.METHOD_PUT, "/upload", ["Content-Type: application/octet-stream"], payload)).toBe(Err.OK);
    await pollForResponse(client, 10_000);
    expect(client.getResponseCode()).toBe(200);
    const read = await readBody(client);
    expect(read.body.toString()).toBe(`${payload.length} ${sha256(payload)}`);
    expect(read.status).toBe(Status.STATUS_CONNECTED);
  });

  it("sends Content-Length: 0 for an empty POST", async () => {
    const srv = await server((request, _index, socket) => writeResponse(socket, { body: request.headers.join("|") }));
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_POST, "/empty");
    expect((await readBody(client)).body.toString()).toContain("Content-Length: 0");
  });

  it("does not reuse the connection after an early answer cut the upload short", async () => {
    const received: number[] = [];
    const srv = track(
      await startTcpServer((socket) => {
        // Answer as soon as the head is in, without reading the body: the upload stalls.
        void readRequestHead(socket).then(
          (head) => {
            received.push(head.rest.length);
            writeResponse(socket, { status: 413, reason: "Content Too Large", body: "too big" });
          },
          () => undefined,
        );
      }),
    );
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", srv.port);
    const payload = new Uint8Array(32 * 1024 * 1024);
    expect(client.request(Method.METHOD_POST, "/upload", [], payload)).toBe(Err.OK);
    await pollForResponse(client, 10_000);
    expect(client.getResponseCode()).toBe(413);
    const read = await readBody(client);
    expect(read.body.toString()).toBe("too big");
    // The server still expects the rest of the body: the next request would be read as body bytes.
    expect(read.status).toBe(Status.STATUS_DISCONNECTED);
    expect(client.getErrorReason()).toMatch(/request body/);
  });

  it("reads an early answer whose server then closed with unread upload bytes (a reset)", async () => {
    const srv = track(
      await startTcpServer((socket) => {
        void readRequestHead(socket).then(
          () => socket.write(TOO_BIG),
          () => undefined,
        );
      }),
    );
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", srv.port);
    expect(client.request(Method.METHOD_POST, "/upload", [], new Uint8Array(32 * 1024 * 1024))).toBe(Err.OK);
    await pollForResponse(client, 10_000);
    expect(client.getResponseCode(), client.getErrorReason()).toBe(413);
    // The answer's head is read: now the server closes with unread upload bytes in its receive
    // buffer (the kernel sends a reset), and the body is read after the reset.
    await resetOnceReceived(client, srv, null, (socket) => socket.destroy());
    const read = await readBody(client);
    expect(read.body.toString()).toBe("too big");
    expect(read.status).toBe(Status.STATUS_DISCONNECTED);
  });

  it("reads an early answer that was buffered before the upload failed", async () => {
    const srv = track(
      await startTcpServer((socket) => {
        void readRequestHead(socket).then(
          () => socket.write(TOO_BIG),
          () => undefined,
        );
      }),
    );
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", srv.port);
    expect(client.request(Method.METHOD_POST, "/upload", [], new Uint8Array(32 * 1024 * 1024))).toBe(Err.OK);
    client.poll();
    // Nobody polls until the server has closed with unread upload bytes (the kernel sends a reset):
    // the answer is still in the peer's buffer.
    await resetOnceReceived(client, srv, TOO_BIG.length, (socket) => socket.destroy());
    await pollForResponse(client);
    expect(client.getResponseCode(), client.getErrorReason()).toBe(413);
    const read = await readBody(client);
    expect(read.body.toString()).toBe("too big");
    expect(read.status).toBe(Status.STATUS_DISCONNECTED);
  });
});

describe("HTTPClient over loopback: connection persistence", () => {
  it("does not reuse an HTTP/1.0 connection without keep-alive, even with Content-Length", async () => {
    const srv = await server((_request, _index, socket) => socket.write("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc"));
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/");
    const read = await readBody(client);
    expect(read.body.toString()).toBe("abc");
    expect(read.status).toBe(Status.STATUS_DISCONNECTED);
  });

  it("reuses an HTTP/1.0 connection that says Connection: keep-alive", async () => {
    const srv = await server((_request, index, socket) =>
      socket.write(`HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nr${index}`),
    );
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", srv.port);
    for (let i = 0; i < 2; i++) {
      await requestAndWait(client, Method.METHOD_GET, "/");
      const read = await readBody(client);
      expect(read.body.toString()).toBe(`r${i}`);
      expect(read.status).toBe(Status.STATUS_CONNECTED);
    }
    expect(srv.connections.length).toBe(1);
  });

  it("does not reuse a connection whose response says close anywhere in Connection", async () => {
    const srv = await server((_request, _index, socket) =>
      socket.write("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\nok"),
    );
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/");
    const read = await readBody(client);
    expect(read.body.toString()).toBe("ok");
    expect(read.status).toBe(Status.STATUS_DISCONNECTED);
  });

  it("completes a close-delimited body whose FIN arrived before it was read, however often poll() ran", async () => {
    const srv = await server((_request, _index, socket) => {
      socket.end("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it");
    });
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", srv.port);
    expect(client.request(Method.METHOD_GET, "/", [])).toBe(Err.OK);
    await pollForResponse(client);
    await waitUntil(() => client.getConnection()?.isEnded() === true, "the FIN");
    for (let i = 0; i < 5; i++) expect(client.poll()).toBe(Err.OK);
    expect(client.getStatus()).toBe(Status.STATUS_BODY);
    const read = await readBody(client);
    expect(read.body.toString()).toBe("all of it");
    expect(read.status).toBe(Status.STATUS_DISCONNECTED);
  });

  it("completes a Content-Length body followed by a FIN, polled before it is read", async () => {
    const srv = await server((_request, _index, socket) => {
      socket.end("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nall of it");
    });
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", srv.port);
    expect(client.request(Method.METHOD_GET, "/", [])).toBe(Err.OK);
    await pollForResponse(client);
    await waitUntil(() => client.getConnection()?.isEnded() === true, "the FIN");
    for (let i = 0; i < 5; i++) expect(client.poll()).toBe(Err.OK);
    const read = await readBody(client);
    expect(read.body.toString()).toBe("all of it");
    expect(read.status).toBe(Status.STATUS_DISCONNECTED);
  });

  it("becomes DISCONNECTED (not an error) when the server closes an idle keep-alive connection", async () => {
    const srv = await server((_request, _index, socket) => writeResponse(socket, { body: "bye" }));
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/");
    const read = await readBody(client);
    expect(read.status).toBe(Status.STATUS_CONNECTED);
    // The response is read and the connection idle: now the server closes it.
    srv.connections[0]?.end();
    const err = await pollUntil(client, (s) => s !== Status.STATUS_CONNECTED, "the close to be seen");
    expect(err).toBe(Err.OK);
    expect(client.getStatus()).toBe(Status.STATUS_DISCONNECTED);
    expect(client.getErrorReason()).toMatch(/closed the idle connection/);
    expect(client.getResponseCode()).toBe(200);
    expect(client.poll()).toBe(Err.ERR_UNCONFIGURED);
  });

  it("closes the socket on close() and can connect again", async () => {
    const srv = await server((_request, index, socket) => writeResponse(socket, { body: `n${index}` }));
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", srv.port);
    const first = client.getConnection();
    client.close();
    expect(client.getStatus()).toBe(Status.STATUS_DISCONNECTED);
    expect(first?.getState()).toBe(PeerState.CLOSED);
    await waitUntil(
      () => srv.connections[0]?.readableEnded === true || srv.connections[0]?.destroyed === true,
      "the server to see the close",
    );
    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/");
    expect((await readBody(client)).body.toString()).toBe("n0");
    expect(srv.connections.length).toBe(2);
  });

  it("completes a body that exactly fills readChunkSize even when the server then resets the connection", async () => {
    const response = Buffer.concat([Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 65536\r\n\r\n"), Buffer.alloc(65536, 0x61)]);
    const srv = await server((_request, _index, socket) => socket.write(response));
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", srv.port);
    expect(client.request(Method.METHOD_GET, "/", [])).toBe(Err.OK);
    client.poll();
    await resetOnceReceived(client, srv, response.length);
    await pollForResponse(client);
    // A game loop: one chunk per frame, then poll().
    const chunk = client.readResponseBodyChunk();
    expect(chunk.length).toBe(65536);
    client.poll();
    expect(client.readResponseBodyChunk().length).toBe(0);
    expect(client.getResponseBodyBytesRead()).toBe(65536);
    expect(client.getStatus(), client.getErrorReason()).toBe(Status.STATUS_DISCONNECTED);
  });

  it("completes a response whose head and body were buffered before the server reset the connection", async () => {
    const response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    const srv = await server((_request, _index, socket) => socket.write(response));
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", srv.port);
    expect(client.request(Method.METHOD_GET, "/", [])).toBe(Err.OK);
    client.poll();
    await resetOnceReceived(client, srv, response.length);
    await pollForResponse(client);
    expect(client.getResponseCode()).toBe(200);
    const read = await readBody(client);
    expect(read.body.toString()).toBe("hello");
    expect(read.status).toBe(Status.STATUS_DISCONNECTED);
  });
});
