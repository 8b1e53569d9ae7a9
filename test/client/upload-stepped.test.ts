// Streaming request bodies stepped over ScriptedNetwork/ScriptedPeer: exact wire bytes, back-pressure,
// wrong lengths, source errors, early answers, framing headers, progress counters.
import { describe, expect, it } from "vitest";
import {
  type BodySource,
  BytesSource,
  Err,
  HTTPClient,
  Method,
  ScriptedNetwork,
  type ScriptedPeer,
  Status,
  StreamingBodySource,
} from "../../src/index.ts";

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1");
const HEAD_TAIL = "User-Agent: poll-http/0.1.0\r\nAccept: */*\r\n\r\n";

/** A connected client over a scripted peer that takes at most `writeCapacity` bytes in flight. */
function connected(writeCapacity = Infinity): { client: HTTPClient; peer: ScriptedPeer } {
  const network = new ScriptedNetwork().addHost("up.test", ["10.0.0.9"]);
  network.autoAccept = true;
  const client = new HTTPClient({ network });
  expect(client.connectToHost("up.test", 8080)).toBe(Err.OK);
  client.poll();
  expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
  const peer = network.connections[0]!;
  peer.writeCapacity = writeCapacity;
  return { client, peer };
}

/** A custom source: yields `body` in pieces of at most `piece` bytes, reusing one buffer; records reads and closes. */
class PieceSource implements BodySource {
  readonly length: number;
  taken = 0;
  closed = 0;
  error = "";
  readonly #body: Uint8Array;
  readonly #piece: number;
  readonly #buffer: Uint8Array;
  #extra: Uint8Array;

  constructor(body: string, piece: number, length = body.length, extra = "") {
    this.#body = Buffer.from(body, "latin1");
    this.#piece = piece;
    this.#buffer = Buffer.alloc(piece); // a Buffer: slice() on it is a view, so the client must really copy
    this.#extra = Buffer.from(extra, "latin1");
    this.length = length;
  }

  read(maxBytes: number): Uint8Array | null {
    if (this.error !== "") return null;
    let from = this.#body.subarray(this.taken);
    if (from.length === 0) {
      if (this.#extra.length === 0) return null;
      from = this.#extra;
      this.#extra = new Uint8Array(0);
    }
    const n = Math.min(from.length, this.#piece, maxBytes);
    this.#buffer.set(from.subarray(0, n));
    this.taken += n;
    return this.#buffer.subarray(0, n); // reused on the next read: the client must copy
  }

  getError(): string {
    return this.error;
  }

  close(): void {
    this.closed++;
  }
}

describe("HTTPClient streaming uploads (stepped)", () => {
  it("sends a Content-Length source exactly, a piece at a time under back-pressure, never reading more than one piece ahead", () => {
    const { client, peer } = connected(40);
    const body = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!?";
    const source = new PieceSource(body, 10);
    expect(client.request(Method.METHOD_PUT, "/put", ["X-A: 1"], source)).toBe(Err.OK);
    expect(client.getRequestBodyLength()).toBe(64);
    expect(client.getRequestBodyBytesSent()).toBe(0);
    expect(source.taken).toBe(0); // nothing happens until poll()

    let wire = "";
    const sentTrace: number[] = [];
    for (let i = 0; i < 100 && client.getRequestBodyBytesSent() < body.length; i++) {
      expect(client.poll()).toBe(Err.OK);
      expect(client.getStatus()).toBe(Status.STATUS_REQUESTING);
      // Back-pressure: the source is never more than one piece ahead of what the peer took.
      expect(source.taken - client.getRequestBodyBytesSent()).toBeLessThanOrEqual(10);
      sentTrace.push(client.getRequestBodyBytesSent());
      wire += text(peer.takeOutgoing());
      peer.drainOutgoing();
    }
    expect(wire).toBe(`PUT /put HTTP/1.1\r\nHost: up.test:8080\r\nX-A: 1\r\nContent-Length: 64\r\n${HEAD_TAIL}${body}`);
    expect(new Set(sentTrace).size).toBeGreaterThan(3); // progress moved across several polls
    expect(source.closed).toBe(1); // closed once the body was sent

    peer.pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    client.poll();
    expect(text(client.readResponseBodyChunk())).toBe("ok");
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    expect(client.getRequestBodyBytesSent()).toBe(64);
  });

  it("writes as much as the peer accepts in one poll (loops over pieces)", () => {
    const { client, peer } = connected();
    const source = new PieceSource("x".repeat(1000), 7);
    client.request(Method.METHOD_POST, "/", [], source);
    client.poll();
    expect(client.getRequestBodyBytesSent()).toBe(1000);
    expect(text(peer.takeOutgoing()).endsWith(`\r\n\r\n${"x".repeat(1000)}`)).toBe(true);
  });

  it("sends a StreamingBodySource written between polls as chunks, then 0\\r\\n\\r\\n", () => {
    const { client, peer } = connected(16);
    const body = new StreamingBodySource();
    expect(client.request(Method.METHOD_POST, "/stream", ["Content-Type: text/plain"], body)).toBe(Err.OK);
    expect(client.getRequestBodyLength()).toBe(-1);
    let wire = "";
    const step = (): void => {
      expect(client.poll()).toBe(Err.OK);
      wire += text(peer.takeOutgoing());
      peer.drainOutgoing();
    };
    for (let i = 0; i < 10; i++) step(); // the head, in pieces of 16; nothing written yet: no chunk
    expect(wire).toBe(
      `POST /stream HTTP/1.1\r\nHost: up.test:8080\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n${HEAD_TAIL}`,
    );
    expect(client.getStatus()).toBe(Status.STATUS_REQUESTING);

    expect(body.write("hello ")).toBe(true);
    step();
    expect(body.write(new Uint8Array(Buffer.from("streaming world, this chunk is longer than sixteen")))).toBe(true);
    for (let i = 0; i < 6; i++) step();
    body.write("!");
    body.end();
    for (let i = 0; i < 3; i++) step();
    expect(wire.slice(wire.indexOf("\r\n\r\n") + 4)).toBe(
      "6\r\nhello \r\n32\r\nstreaming world, this chunk is longer than sixteen\r\n1\r\n!\r\n0\r\n\r\n",
    );
    expect(client.getRequestBodyBytesSent()).toBe(57);
    step();
    expect(peer.takeOutgoing().length).toBe(0);

    peer.pushIncoming("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    step();
    expect(client.getResponseCode()).toBe(201);
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED); // fully sent: the connection is reused
  });

  it("holds the piece that completes a Content-Length body until the source confirms its end", () => {
    const { client, peer } = connected();
    const body = new StreamingBodySource({ length: 5 });
    client.request(Method.METHOD_POST, "/", [], body);
    body.write("abc");
    client.poll();
    expect(text(peer.takeOutgoing())).toMatch(/Content-Length: 5\r\n.*\r\n\r\nabc$/s);
    body.write("de");
    client.poll();
    expect(peer.takeOutgoing().length).toBe(0); // "de" would complete the body: held until end()
    expect(client.getRequestBodyBytesSent()).toBe(3);
    body.end();
    client.poll();
    expect(text(peer.takeOutgoing())).toBe("de");
    expect(client.getRequestBodyBytesSent()).toBe(5);
  });

  it("fails a source that yields more than its length before the body could look complete", () => {
    const { client, peer } = connected();
    const source = new PieceSource("0123456789", 4, 10, "XY");
    client.request(Method.METHOD_POST, "/", [], source);
    expect(client.poll()).toBe(Err.ERR_CONNECTION_ERROR);
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTION_ERROR);
    expect(client.getErrorReason()).toBe("the request body source yielded more than the 10 bytes declared");
    const sent = text(peer.takeOutgoing());
    expect(sent.slice(sent.indexOf("\r\n\r\n") + 4)).toBe("01234567"); // the last piece was held back
    expect(peer.isClosed()).toBe(true);
    expect(source.closed).toBe(1);
  });

  it("fails a source that yields fewer bytes than its length", () => {
    const { client, peer } = connected();
    const source = new PieceSource("0123456789", 4, 12);
    client.request(Method.METHOD_POST, "/", [], source);
    expect(client.poll()).toBe(Err.ERR_CONNECTION_ERROR);
    expect(client.getErrorReason()).toBe("the request body source ended after 10 bytes, 12 declared");
    expect(peer.isClosed()).toBe(true);
    expect(source.closed).toBe(1);
  });

  it("enforces a caller's Content-Length on a source of unknown length", () => {
    const a = connected();
    const short = new StreamingBodySource();
    expect(a.client.request(Method.METHOD_POST, "/", ["Content-Length: 4"], short)).toBe(Err.OK);
    expect(a.client.getRequestBodyLength()).toBe(4);
    short.end("abc");
    expect(a.client.poll()).toBe(Err.ERR_CONNECTION_ERROR);
    expect(a.client.getErrorReason()).toBe("the request body source ended after 3 bytes, 4 declared");
  });

  it("fails with the source's error, and when read() throws", () => {
    const { client, peer } = connected();
    const source = new PieceSource("0123456789", 4);
    client.request(Method.METHOD_POST, "/", [], source);
    source.error = "EIO: disk on fire";
    expect(client.poll()).toBe(Err.ERR_CONNECTION_ERROR);
    expect(client.getErrorReason()).toBe("the request body source failed: EIO: disk on fire");
    expect(source.closed).toBe(1);
    expect(peer.isClosed()).toBe(true);

    const second = connected();
    const throwing: BodySource = {
      length: -1,
      getError: () => "",
      close: () => undefined,
      read: () => {
        throw new Error("boom");
      },
    };
    second.client.request(Method.METHOD_POST, "/", [], throwing);
    expect(second.client.poll()).toBe(Err.ERR_CONNECTION_ERROR);
    expect(second.client.getErrorReason()).toBe("the request body source threw: boom");

    const third = connected();
    const aborted = new StreamingBodySource();
    third.client.request(Method.METHOD_POST, "/", [], aborted);
    third.client.poll();
    aborted.write("abc");
    aborted.abort("the level could not be saved");
    expect(third.client.poll()).toBe(Err.ERR_CONNECTION_ERROR);
    expect(third.client.getErrorReason()).toBe("the request body source failed: the level could not be saved");
    expect(text(third.peer.takeOutgoing())).not.toContain("0\r\n\r\n");
  });

  it("stops the upload at an early final response and does not reuse the connection", () => {
    const { client, peer } = connected();
    const body = new StreamingBodySource();
    client.request(Method.METHOD_POST, "/big", [], body);
    body.write("first piece");
    client.poll();
    expect(client.getRequestBodyBytesSent()).toBe(11);
    peer.takeOutgoing();
    peer.pushIncoming("HTTP/1.1 413 Content Too Large\r\nContent-Length: 4\r\n\r\nno!!");
    body.write("second piece");
    client.poll();
    expect(client.getStatus()).toBe(Status.STATUS_BODY);
    expect(client.getResponseCode()).toBe(413);
    expect(peer.takeOutgoing().length).toBe(0); // nothing more was sent
    expect(body.write("third")).toBe(false); // the client closed the source
    expect(text(client.readResponseBodyChunk())).toBe("no!!");
    expect(client.getStatus()).toBe(Status.STATUS_DISCONNECTED);
    expect(client.getErrorReason()).toMatch(/answered before the whole request body was sent/);
    expect(peer.isClosed()).toBe(true);
    expect(client.getRequestBodyBytesSent()).toBe(11);
  });

  it("refuses framing headers that conflict with the source; nothing is sent and the source stays open", () => {
    const { client, peer } = connected();
    const source = new PieceSource("abc", 10);
    expect(client.request(Method.METHOD_POST, "/", ["Content-Length: 5"], source)).toBe(Err.ERR_INVALID_PARAMETER);
    expect(client.getErrorReason()).toBe("the Content-Length header (5) does not match the body source's length (3)");
    expect(client.request(Method.METHOD_POST, "/", ["Transfer-Encoding: gzip"], source)).toBe(Err.ERR_INVALID_PARAMETER);
    expect(client.getErrorReason()).toMatch(/^a Transfer-Encoding header may not be given/);
    expect(client.request(Method.METHOD_POST, "/", ["Transfer-Encoding: chunked"], source)).toBe(Err.ERR_INVALID_PARAMETER);
    expect(client.request(Method.METHOD_POST, "/", ["Transfer-Encoding: chunked"], new StreamingBodySource())).toBe(
      Err.ERR_INVALID_PARAMETER,
    );
    expect(client.request(Method.METHOD_POST, "/", ["Content-Length: 3", "Transfer-Encoding: chunked"], source)).toBe(
      Err.ERR_INVALID_PARAMETER,
    );
    expect(client.request(Method.METHOD_POST, "/", ["Content-Length: x"], new StreamingBodySource())).toBe(Err.ERR_INVALID_PARAMETER);
    const badLength: BodySource = { length: 1.5, read: () => null, getError: () => "", close: () => undefined };
    expect(client.request(Method.METHOD_POST, "/", [], badLength)).toBe(Err.ERR_INVALID_PARAMETER);
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    client.poll();
    expect(peer.takeOutgoing().length).toBe(0);
    expect(source.closed).toBe(0);

    // Framed by the client: the known length as Content-Length.
    expect(client.request(Method.METHOD_POST, "/", [], source)).toBe(Err.OK);
    client.poll();
    const wire = text(peer.takeOutgoing());
    expect(wire).toContain("\r\nContent-Length: 3\r\n");
    expect(wire).not.toContain("Transfer-Encoding");
    expect(wire.endsWith("\r\n\r\nabc")).toBe(true);
  });

  it("counts in-memory bodies too, and an empty source sends Content-Length: 0", () => {
    const { client, peer } = connected();
    client.request(Method.METHOD_POST, "/", [], "data");
    expect(client.getRequestBodyLength()).toBe(4);
    client.poll();
    expect(client.getRequestBodyBytesSent()).toBe(4);
    peer.pushIncoming("HTTP/1.1 204 No Content\r\n\r\n");
    client.poll();
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);

    client.request(Method.METHOD_POST, "/", [], new BytesSource(new Uint8Array(0)));
    peer.takeOutgoing();
    client.poll();
    expect(text(peer.takeOutgoing())).toContain("\r\nContent-Length: 0\r\n");
    expect(client.getRequestBodyLength()).toBe(0);
  });

  it("close() closes the source of a running upload", () => {
    const { client, peer } = connected(30);
    const source = new PieceSource("y".repeat(500), 50);
    client.request(Method.METHOD_POST, "/", [], source);
    client.poll();
    peer.drainOutgoing();
    client.poll();
    client.close();
    expect(source.closed).toBe(1);
    expect(peer.isClosed()).toBe(true);
    expect(client.getRequestBodyBytesSent()).toBe(0);
  });

  it("a failed connection mid-upload closes the source", () => {
    const { client, peer } = connected(30);
    const source = new PieceSource("y".repeat(500), 50);
    client.request(Method.METHOD_POST, "/", [], source);
    client.poll();
    peer.pushError("reset by the script");
    expect(client.poll()).toBe(Err.ERR_CONNECTION_ERROR);
    expect(source.closed).toBe(1);
  });
});

describe("StreamingBodySource wakes a sleeping runner", () => {
  it("calls the client's activity listener when the application writes or ends between polls", () => {
    const network = new ScriptedNetwork().addHost("up.test", ["10.0.0.9"]);
    network.autoAccept = true;
    const client = new HTTPClient({ network });
    let wakes = 0;
    client.setActivityListener(() => wakes++);
    client.connectToHost("up.test");
    const source = new StreamingBodySource();
    client.request(Method.METHOD_POST, "/up", [], source);
    client.poll();
    const before = wakes;
    source.write("abc");
    expect(wakes).toBe(before + 1);
    source.end();
    expect(wakes).toBe(before + 2);
    client.poll();
    expect(network.connections[0]!.takeOutgoingText()).toMatch(/\r\n\r\n3\r\nabc\r\n0\r\n\r\n$/);
    client.close(); // the source is released: later writes do not call the client
    source.write("late");
    expect(wakes).toBe(before + 2);
  });
});
