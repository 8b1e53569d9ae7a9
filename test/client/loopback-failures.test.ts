/**
 * HTTPClient against real loopback sockets: bodies cut short, servers that never answer, refused
 * connections, unknown names, and requests refused before a byte is written.
 */
import { describe, expect, it } from "vitest";
import { Err, Method, Status } from "../../src/index.ts";
import { connect, pollForResponse, pollUntil, readBody, requestAndWait, TERMINAL } from "../helpers/client-driver.ts";
import { getRefusedPort, startTcpServer } from "../helpers/loopback-server.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { loopbackKit } from "./loopback-kit.ts";

const track = cleanupAfterEach().track;
const { server, newClient } = loopbackKit(track);

describe("HTTPClient over loopback: bodies cut short", () => {
  it("fails a Content-Length body cut by the server's close with CONNECTION_ERROR, naming the byte counts", async () => {
    const srv = await server((_request, _index, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n${"x".repeat(300)}`);
    });
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/");
    srv.connections[0]?.end(); // the head is read: now the close
    const read = await readBody(client);
    expect(read.body.length).toBe(300);
    expect(read.status).toBe(Status.STATUS_CONNECTION_ERROR);
    expect(client.getErrorReason()).toMatch(/300/);
    expect(client.getErrorReason()).toMatch(/1000/);
    expect(client.poll()).toBe(Err.ERR_CONNECTION_ERROR);
  });

  it("fails a chunked body cut by the server's close inside a chunk with CONNECTION_ERROR", async () => {
    const srv = await server((_request, _index, socket) => {
      socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n20\r\npartial");
    });
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/");
    srv.connections[0]?.end(); // the head is read: now the close
    const read = await readBody(client);
    expect(read.body.toString()).toBe("0123456789abcdefpartial");
    expect(read.status).toBe(Status.STATUS_CONNECTION_ERROR);
    expect(client.getErrorReason()).toMatch(/chunked/);
  });

  it("fails a chunked body cut by the server's close between chunks (no last chunk) with CONNECTION_ERROR", async () => {
    const srv = await server((_request, _index, socket) => {
      socket.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    });
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/");
    const read = await readBody(client);
    expect(read.body.toString()).toBe("hello");
    expect(read.status).toBe(Status.STATUS_CONNECTION_ERROR);
  });

  it("fails a body when the server resets the connection mid-body", async () => {
    const srv = await server((_request, _index, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${"y".repeat(5000)}`);
    });
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/");
    // The head (and the bytes written with it) is read: now the reset, which the client's socket
    // then reports as such (a reset behind unread bytes can read as an orderly end).
    srv.connections[0]?.resetAndDestroy();
    const read = await readBody(client);
    expect(read.status).toBe(Status.STATUS_CONNECTION_ERROR);
    expect(read.body.length).toBeLessThan(100000);
    expect(client.getErrorReason()).toMatch(/cut short/);
    expect(client.getErrorReason()).toContain("ECONNRESET");
  });

  it("reports CONNECTION_ERROR with no wire bytes and a 'no response' reason when the server closes without answering", async () => {
    const srv = await server((_request, _index, socket) => socket.end());
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    expect(client.request(Method.METHOD_GET, "/", [])).toBe(Err.OK);
    const err = await pollUntil(client, (s) => TERMINAL.has(s), "a terminal status");
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTION_ERROR);
    expect(err).toBe(Err.ERR_CONNECTION_ERROR);
    expect(client.getResponseWireBytes()).toBe(0);
    expect(client.hasResponse()).toBe(false);
    expect(client.getErrorReason().startsWith("no response")).toBe(true);
  });
});

describe("HTTPClient over loopback: connecting fails", () => {
  it("reports CANT_CONNECT and ERR_CANT_CONNECT for a refused port, with ECONNREFUSED in the reason", async () => {
    const port = await getRefusedPort();
    const client = newClient();
    expect(client.connectToHost("127.0.0.1", port)).toBe(Err.OK);
    const err = await pollUntil(client, (s) => TERMINAL.has(s), "a terminal status");
    expect(client.getStatus()).toBe(Status.STATUS_CANT_CONNECT);
    expect(err).toBe(Err.ERR_CANT_CONNECT);
    expect(err).toBe(25);
    expect(client.getErrorReason()).toContain("ECONNREFUSED");
    expect(client.poll()).toBe(Err.ERR_CANT_CONNECT);
  });

  it("reports CANT_RESOLVE and ERR_CANT_RESOLVE for nonexistent.invalid, with the DNS code in the reason", async () => {
    const client = newClient();
    expect(client.connectToHost("nonexistent.invalid", 80)).toBe(Err.OK);
    expect(client.getStatus()).toBe(Status.STATUS_RESOLVING);
    const err = await pollUntil(client, (s) => TERMINAL.has(s), "a terminal status", 10_000);
    expect(client.getStatus()).toBe(Status.STATUS_CANT_RESOLVE);
    expect(err).toBe(Err.ERR_CANT_RESOLVE);
    expect(err).toBe(26);
    expect(client.getErrorReason()).toMatch(/nonexistent\.invalid/);
    expect(client.getErrorReason()).toMatch(/ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL|ENODATA|ESERVFAIL/);
    expect(client.poll()).toBe(Err.ERR_CANT_RESOLVE);
  });
});

describe("HTTPClient over loopback: refused requests write nothing", () => {
  it("refuses CR, LF and NUL in header names, values and the target, and headers without a colon", async () => {
    const received: Buffer[] = [];
    const srv = track(await startTcpServer((socket) => socket.on("data", (chunk: Buffer) => received.push(chunk))));
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    const refusals: Array<[string, readonly string[]]> = [
      ["/", ["X-Value: a\r\nInjected: yes"]],
      ["/", ["X-Value: a\nb"]],
      ["/", ["X-Value: a\rb"]],
      ["/", ["X-Value: a\0b"]],
      ["/", ["X-Na\r\nme: v"]],
      ["/", ["X-Na\nme: v"]],
      ["/", ["X-Na\0me: v"]],
      ["/", ["NoColonHere"]],
      ["/", [": no name"]],
      ["/a\r\nInjected: yes", []],
      ["/a\nb", []],
      ["/a\rb", []],
      ["/a\0b", []],
    ];
    for (const [target, headers] of refusals) {
      expect(client.request(Method.METHOD_GET, target, headers), JSON.stringify([target, headers])).toBe(Err.ERR_INVALID_PARAMETER);
      expect(client.getErrorReason()).not.toBe("");
      expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
      expect(client.poll()).toBe(Err.OK);
    }
    for (let i = 0; i < 5; i++) client.poll();
    expect(Buffer.concat(received).length).toBe(0);
    // The connection is untouched: a valid request is the first thing the server sees (any byte a
    // refused request had written would arrive ahead of it).
    expect(client.request(Method.METHOD_GET, "/ok", ["X-Fine: yes"])).toBe(Err.OK);
    await pollUntil(client, () => Buffer.concat(received).includes("\r\n\r\n"), "the request to arrive");
    expect(Buffer.concat(received).toString("latin1")).toMatch(/^GET \/ok HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\nX-Fine: yes\r\n/);
  });

  it("refuses request() while not CONNECTED with ERR_INVALID_PARAMETER", async () => {
    const client = newClient();
    expect(client.request(Method.METHOD_GET, "/", [])).toBe(Err.ERR_INVALID_PARAMETER);
    expect(client.getErrorReason()).toMatch(/STATUS_CONNECTED|status/);
    const srv = await server(() => {
      // Never answers.
    });
    await connect(client, "127.0.0.1", srv.port);
    expect(client.request(Method.METHOD_GET, "/first", [])).toBe(Err.OK);
    expect(client.request(Method.METHOD_GET, "/second", [])).toBe(Err.ERR_INVALID_PARAMETER);
    expect(client.getStatus()).toBe(Status.STATUS_REQUESTING);
    await pollUntil(client, () => srv.connections.length === 1, "the connection");
    expect(client.request(Method.METHOD_GET, "/third", [])).toBe(Err.ERR_INVALID_PARAMETER);
  });

  it("refuses read chunk sizes out of 256 … 16 MiB and keeps the old value", () => {
    const client = newClient();
    expect(client.readChunkSize).toBe(65536);
    expect(client.setReadChunkSize(1000)).toBe(Err.OK);
    expect(client.setReadChunkSize(255)).toBe(Err.ERR_PARAMETER_RANGE_ERROR);
    expect(client.readChunkSize).toBe(1000);
    expect(client.getErrorReason()).toMatch(/255/);
    expect(client.setReadChunkSize(16_777_217)).toBe(Err.ERR_PARAMETER_RANGE_ERROR);
    expect(client.readChunkSize).toBe(1000);
    expect(client.setReadChunkSize(256)).toBe(Err.OK);
    expect(client.setReadChunkSize(16_777_216)).toBe(Err.OK);
    expect(client.readChunkSize).toBe(16_777_216);
  });
});

describe("HTTPClient over loopback: a refused request does not disturb a response in progress", () => {
  it("keeps reading the body after a refused request() in BODY", async () => {
    const srv = await server((_request, _index, socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234");
    });
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    expect(client.request(Method.METHOD_GET, "/", [])).toBe(Err.OK);
    await pollForResponse(client);
    expect(client.getStatus()).toBe(Status.STATUS_BODY);
    expect(client.request(Method.METHOD_GET, "/again", [])).toBe(Err.ERR_INVALID_PARAMETER);
    srv.connections[0]?.write("56789"); // the rest of the body once the refused request is behind
    const read = await readBody(client);
    expect(read.body.toString()).toBe("0123456789");
    expect(read.status).toBe(Status.STATUS_CONNECTED);
  });
});
