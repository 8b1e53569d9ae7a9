/**
 * HTTPClient against real loopback sockets: how response bodies are delimited (Content-Length,
 * chunked, close, HTTP/1.0), keep-alive reuse, bodiless responses and interim responses.
 */
import { createHash } from "node:crypto";
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { Err, Method, Status } from "../../src/index.ts";
import { connect, pollForResponse, readBody, requestAndWait } from "../helpers/client-driver.ts";
import { writeResponse } from "../helpers/loopback-server.ts";
import { sleep, waitUntil } from "../helpers/wait.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { loopbackKit } from "./loopback-kit.ts";

const track = cleanupAfterEach().track;
const { server, newClient } = loopbackKit(track);

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** Position-dependent bytes, so loss or reordering changes the hash. */
function pattern(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 31 + (i >>> 8) * 7 + (i >>> 16)) & 0xff;
  return out;
}

/** Writes `data` in pieces of the given sizes (cycled), waiting `delayMs` between them. */
async function writeInSplits(socket: Socket, data: Buffer, sizes: readonly number[], delayMs: number): Promise<void> {
  let offset = 0;
  for (let i = 0; offset < data.length; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    socket.write(data.subarray(offset, offset + size));
    offset += size;
    await sleep(delayMs);
  }
}

describe("HTTPClient over loopback: body framing", () => {
  it("reads a Content-Length body and is CONNECTED again", async () => {
    const srv = await server((request, _index, socket) => {
      expect(request.requestLine).toBe("GET /hello HTTP/1.1");
      writeResponse(socket, { body: "hello world", headers: ["X-Test: yes"] });
    });
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    expect(await requestAndWait(client, Method.METHOD_GET, "/hello")).toBe(Err.OK);
    expect(client.getStatus()).toBe(Status.STATUS_BODY);
    expect(client.getResponseCode()).toBe(200);
    expect(client.hasResponse()).toBe(true);
    expect(client.getResponseBodyLength()).toBe(11);
    expect(client.isResponseChunked()).toBe(false);
    expect(client.getResponseHeaders()).toEqual(["X-Test: yes", "Content-Length: 11"]);
    const read = await readBody(client);
    expect(read.body.toString()).toBe("hello world");
    expect(read.status).toBe(Status.STATUS_CONNECTED);
    expect(client.getResponseBodyBytesRead()).toBe(11);
    expect(client.poll()).toBe(Err.OK);
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
  });

  it("reads a 3 MiB Content-Length body, never more than readChunkSize per call, intact", async () => {
    const payload = pattern(3 * 1024 * 1024);
    const srv = await server(() => writeResponse(srv.connections[0]!, { body: payload }));
    const client = newClient();
    expect(client.setReadChunkSize(100_000)).toBe(Err.OK);
    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/big");
    expect(client.getResponseBodyLength()).toBe(payload.length);
    const read = await readBody(client);
    expect(read.largestChunk).toBeLessThanOrEqual(100_000);
    expect(read.chunks).toBeGreaterThanOrEqual(Math.ceil(payload.length / 100_000));
    expect(read.body.length).toBe(payload.length);
    expect(sha256(read.body)).toBe(sha256(payload));
    expect(read.status).toBe(Status.STATUS_CONNECTED);
    expect(client.getResponseBodyBytesRead()).toBe(payload.length);
  });

  it("reads a chunked body with extensions and trailers sent in odd splits with delays", async () => {
    const wire = Buffer.from(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n" +
        "5;name=value\r\nhello\r\n" +
        '7 ; ext ; other="quoted;x"\r\n, world\r\n' +
        "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n" +
        "0;last=1\r\nX-Checksum: abc123\r\nX-Other:  two words \r\n\r\n",
      "latin1",
    );
    const srv = await server((_request, index) => {
      const socket = srv.connections[0]!;
      if (index === 0) void writeInSplits(socket, wire, [1, 2, 3, 5, 7, 11, 13], 2);
      else writeResponse(socket, { body: "second" });
    });
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/chunked");
    expect(client.getStatus()).toBe(Status.STATUS_BODY);
    expect(client.isResponseChunked()).toBe(true);
    expect(client.getResponseBodyLength()).toBe(-1);
    const read = await readBody(client);
    expect(read.body.toString()).toBe("hello, worldabcdefghijklmnopqrstuvwxyz");
    expect(read.status).toBe(Status.STATUS_CONNECTED);
    expect(client.getResponseTrailers()).toEqual(["X-Checksum: abc123", "X-Other: two words"]);
    // The connection is still good for another request.
    await requestAndWait(client, Method.METHOD_GET, "/after");
    expect((await readBody(client)).body.toString()).toBe("second");
    expect(srv.connections.length).toBe(1);
  });

  it("reads a close-delimited body (Connection: close, no length) to the end and is DISCONNECTED", async () => {
    const srv = await server(() => {
      const socket = srv.connections[0]!;
      socket.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nfirst part, ");
    });
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/close");
    srv.connections[0]?.end("second part"); // the head is read: the rest of the body, then the close
    expect(client.getStatus()).toBe(Status.STATUS_BODY);
    expect(client.getResponseBodyLength()).toBe(-1);
    const read = await readBody(client);
    expect(read.body.toString()).toBe("first part, second part");
    expect(read.status).toBe(Status.STATUS_DISCONNECTED);
    expect(client.getResponseCode()).toBe(200);
  });

  it("reads an HTTP/1.0 response without a length to the end and is DISCONNECTED", async () => {
    const srv = await server(() => {
      const socket = srv.connections[0]!;
      socket.write("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nold ");
    });
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/old");
    srv.connections[0]?.end("school"); // the head is read: the rest of the body, then the close
    const read = await readBody(client);
    expect(read.body.toString()).toBe("old school");
    expect(read.status).toBe(Status.STATUS_DISCONNECTED);
  });

  it("sends three requests on one keep-alive connection", async () => {
    const seen: string[] = [];
    const srv = await server((request, index) => {
      seen.push(request.requestLine);
      writeResponse(srv.connections[0]!, { body: `response ${index}` });
    });
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    for (let i = 0; i < 3; i++) {
      await requestAndWait(client, Method.METHOD_GET, `/r${i}`);
      const read = await readBody(client);
      expect(read.body.toString()).toBe(`response ${i}`);
      expect(read.status).toBe(Status.STATUS_CONNECTED);
    }
    expect(seen).toEqual(["GET /r0 HTTP/1.1", "GET /r1 HTTP/1.1", "GET /r2 HTTP/1.1"]);
    expect(srv.connections.length).toBe(1);
  });

  it("reads no body for HEAD even with Content-Length: 100", async () => {
    const srv = await server((request, index) => {
      const socket = srv.connections[0]!;
      if (index === 0) {
        expect(request.requestLine).toBe("HEAD /h HTTP/1.1");
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
      } else {
        writeResponse(socket, { body: "after head" });
      }
    });
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    expect(await requestAndWait(client, Method.METHOD_HEAD, "/h")).toBe(Err.OK);
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    expect(client.getResponseCode()).toBe(200);
    expect(client.getResponseBodyLength()).toBe(0);
    expect(client.getResponseHeaders()).toEqual(["Content-Length: 100"]);
    expect(client.readResponseBodyChunk().length).toBe(0);
    await requestAndWait(client, Method.METHOD_GET, "/next");
    expect((await readBody(client)).body.toString()).toBe("after head");
    expect(srv.connections.length).toBe(1);
  });

  it("reads no body for 204 and 304 with Content-Length and reuses the connection", async () => {
    const srv = await server((_request, index) => {
      const socket = srv.connections[0]!;
      if (index === 0) socket.write("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n");
      else if (index === 1) socket.write('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nETag: "x"\r\n\r\n');
      else writeResponse(socket, { body: "fresh" });
    });
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_DELETE, "/thing");
    expect(client.getResponseCode()).toBe(204);
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    expect(client.getResponseBodyLength()).toBe(0);
    await requestAndWait(client, Method.METHOD_GET, "/thing", ['If-None-Match: "x"']);
    expect(client.getResponseCode()).toBe(304);
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    expect(client.getResponseBodyLength()).toBe(0);
    await requestAndWait(client, Method.METHOD_GET, "/thing");
    expect(client.getResponseCode()).toBe(200);
    const read = await readBody(client);
    expect(read.body.toString()).toBe("fresh");
    expect(read.status).toBe(Status.STATUS_CONNECTED);
    expect(srv.connections.length).toBe(1);
  });

  it("reports the final 200 after 100 Continue and 103 Early Hints, listing the interim responses", async () => {
    const srv = await server((request) => {
      expect(request.body.toString()).toBe("payload");
      const socket = srv.connections[0]!;
      // Three writes, each handed to the kernel before the next.
      socket.write("HTTP/1.1 100 Continue\r\n\r\n", () =>
        socket.write("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\nLink: </app.js>; rel=preload\r\n\r\n", () =>
          writeResponse(socket, { status: 200, body: "final" }),
        ),
      );
    });
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    expect(client.request(Method.METHOD_POST, "/upload", ["Content-Type: text/plain"], "payload")).toBe(Err.OK);
    await pollForResponse(client);
    expect(client.getResponseCode()).toBe(200);
    expect(client.getInformationalResponses()).toEqual([
      { code: 100, headers: [] },
      { code: 103, headers: ["Link: </style.css>; rel=preload", "Link: </app.js>; rel=preload"] },
    ]);
    const read = await readBody(client);
    expect(read.body.toString()).toBe("final");
    expect(read.status).toBe(Status.STATUS_CONNECTED);
  });

  it("does not reuse a connection when the server sent bytes beyond Content-Length", async () => {
    const srv = await server(() => {
      srv.connections[0]!.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil");
    });
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/");
    const read = await readBody(client);
    expect(read.body.toString()).toBe("hello");
    expect(read.status).toBe(Status.STATUS_DISCONNECTED);
    expect(client.getErrorReason()).toMatch(/more bytes than/);
    expect(client.getResponseCode()).toBe(200);
    expect(client.request(Method.METHOD_GET, "/next", [])).toBe(Err.ERR_INVALID_PARAMETER);
  });

  it("does not let late extra bytes on an idle connection become the next response", async () => {
    let sendStray = (): void => {};
    const srv = await server(() => {
      const socket = srv.connections[0]!;
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
      sendStray = () => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil");
    });
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/");
    const read = await readBody(client);
    expect(read.body.toString()).toBe("hello");
    expect(read.status).toBe(Status.STATUS_CONNECTED);
    // The stray bytes arrive (in the peer's buffer) while nobody polls; the next request must not
    // take them as its answer.
    sendStray();
    await waitUntil(() => (client.getConnection()?.getAvailableBytes() ?? 0) > 0, "the stray bytes to arrive");
    // The arguments are fine; the connection is not: a connection error, not an invalid parameter.
    expect(client.request(Method.METHOD_GET, "/next", [])).toBe(Err.ERR_CONNECTION_ERROR);
    expect(client.getStatus()).toBe(Status.STATUS_DISCONNECTED);
    expect(client.getErrorReason()).toMatch(/belong to no request/);
  });

  it("de-chunks Transfer-Encoding written in any case and as the last of several codings", async () => {
    const srv = await server((_request, index, socket) => {
      const coding = index === 0 ? "Chunked" : "gzip, CHUNKED";
      socket.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: ${coding}\r\n\r\n3\r\nr${index}!\r\n0\r\n\r\n`);
    });
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    for (let i = 0; i < 2; i++) {
      await requestAndWait(client, Method.METHOD_GET, "/");
      expect(client.isResponseChunked()).toBe(true);
      const read = await readBody(client);
      // HTTPClient removes only the chunked framing; content codings are HTTPRequest's business.
      expect(read.body.toString()).toBe(`r${i}!`);
      expect(read.status).toBe(Status.STATUS_CONNECTED);
    }
  });

  it("reads one 20 MiB chunk in pieces of at most readChunkSize", async () => {
    const payload = pattern(20 * 1024 * 1024);
    const srv = await server((_request, _index, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${payload.length.toString(16)}\r\n`);
      socket.write(payload);
      socket.write("\r\n0\r\n\r\n");
    });
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/one-chunk");
    const read = await readBody(client, { timeoutMs: 10_000 });
    expect(read.largestChunk).toBeLessThanOrEqual(client.readChunkSize);
    expect(read.body.length).toBe(payload.length);
    expect(sha256(read.body)).toBe(sha256(payload));
    expect(read.status).toBe(Status.STATUS_CONNECTED);
  });

  it("reports a response with a status line and no header fields as a response", async () => {
    const srv = await server((_request, _index, socket) => socket.end("HTTP/1.1 200 OK\r\n\r\nbare"));
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/");
    expect(client.hasResponse()).toBe(true);
    expect(client.getResponseHeaders()).toEqual([]);
    const read = await readBody(client);
    expect(read.body.toString()).toBe("bare");
    expect(read.status).toBe(Status.STATUS_DISCONNECTED);
  });
});
