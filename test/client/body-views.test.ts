/**
 * The validity of the body bytes HTTPClient hands out over a real TCP connection, whose peer
 * copies received bytes into recycled memory: `readResponseBodyChunk()` arrays belong to the
 * caller; `readResponseBodyPiece()` views are valid until the next `poll()`, and bytes the parser
 * still holds across a `poll()` are never overwritten.
 */
import { createHash } from "node:crypto";
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { type HTTPClient, Method, Status } from "../../src/index.ts";
import { connect, readBody, requestAndWait } from "../helpers/client-driver.ts";
import { writeResponse } from "../helpers/loopback-server.ts";
import { prng, seededBytes } from "../helpers/prng.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { tick } from "../helpers/wait.ts";
import { loopbackKit } from "./loopback-kit.ts";

const MiB = 1024 * 1024;
const track = cleanupAfterEach().track;
const { server, newClient } = loopbackKit(track);
const sha = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** `body` in chunked framing, in chunks of random sizes up to 20,000 bytes. */
function chunked(body: Buffer, seed: number): Buffer {
  const random = prng(seed);
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; ) {
    const size = Math.min(body.length - at, 1 + Math.floor(random() * 20_000));
    parts.push(Buffer.from(`${size.toString(16)}\r\n`, "latin1"), body.subarray(at, at + size), Buffer.from("\r\n"));
    at += size;
  }
  parts.push(Buffer.from("0\r\n\r\n"));
  return Buffer.concat(parts);
}

async function open(answer: (socket: Socket) => void): Promise<HTTPClient> {
  const srv = await server((_request, _index, socket) => answer(socket));
  const client = newClient();
  await connect(client, "127.0.0.1", srv.port);
  await requestAndWait(client, Method.METHOD_GET, "/");
  expect(client.getStatus()).toBe(Status.STATUS_BODY);
  return client;
}

/**
 * Reads the body with `readResponseBodyPiece(max())`, a few pieces per poll, letting the event
 * loop run between polls so new reads land in recycled memory.
 */
async function readPieces(client: HTTPClient, max: () => number, onPiece: (piece: Uint8Array) => void): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (client.getStatus() === Status.STATUS_BODY) {
    for (let n = 0; n < 4; n++) {
      const piece = client.readResponseBodyPiece(max());
      if (piece.length === 0) break;
      onPiece(piece);
    }
    await tick();
    client.poll();
    if (Date.now() > deadline) throw new Error(`timed out in status ${client.getStatus()}`);
  }
}

describe("HTTPClient body bytes over a recycling TCP peer", () => {
  it("readResponseBodyChunk() arrays are the caller's: kept across many polls, they still hash to the body", async () => {
    const body = seededBytes(8 * MiB + 3, 21);
    const client = await open((socket) => writeResponse(socket, { body }));
    const kept: Uint8Array[] = [];
    const read = await readBody(client, { timeoutMs: 15_000, onChunk: (chunk) => kept.push(chunk) });
    expect(read.status).toBe(Status.STATUS_CONNECTED);
    expect(sha(Buffer.concat(kept))).toBe(sha(body));
  });

  it("readResponseBodyPiece() views are valid until the next poll(): copies taken before hash to the body, kept views do not", async () => {
    const body = seededBytes(8 * MiB + 11, 22);
    const client = await open((socket) => writeResponse(socket, { body }));
    const copies: Buffer[] = [];
    const views: Uint8Array[] = [];
    await readPieces(
      client,
      () => 1 << 20,
      (piece) => {
        copies.push(Buffer.from(piece));
        views.push(piece);
      },
    );
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    expect(sha(Buffer.concat(copies))).toBe(sha(body));
    // The memory under old views was reused: a consumer keeping them would be caught by a hash.
    expect(sha(Buffer.concat(views))).not.toBe(sha(body));
  });

  it("never overwrites bytes the parser holds across poll() (small pieces of a chunked body)", async () => {
    const body = seededBytes(3 * MiB + 5, 23);
    const wire = chunked(body, 5);
    const client = await open((socket) => {
      socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      socket.write(wire);
    });
    const random = prng(9);
    const copies: Buffer[] = [];
    await readPieces(
      client,
      () => 1 + Math.floor(random() * 9000),
      (piece) => copies.push(Buffer.from(piece)),
    );
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    expect(sha(Buffer.concat(copies))).toBe(sha(body));
  });

  it("reads two responses on one kept-alive connection whole while its memory is recycled", async () => {
    const first = seededBytes(2 * MiB + 1, 24);
    const second = seededBytes(300_000, 25);
    const srv = await server((_request, index, socket) => {
      writeResponse(socket, { body: index === 0 ? first : second });
    });
    const client = newClient();
    await connect(client, "127.0.0.1", srv.port);
    for (const expected of [first, second]) {
      await requestAndWait(client, Method.METHOD_GET, "/");
      const copies: Buffer[] = [];
      const random = prng(expected.length);
      await readPieces(
        client,
        () => 1 + Math.floor(random() * 70_000),
        (piece) => copies.push(Buffer.from(piece)),
      );
      expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
      expect(sha(Buffer.concat(copies))).toBe(sha(expected));
    }
  });
});
