/**
 * A loopback HTTP server for the soak and release tests (raw `node:net`, port 0, keep-alive).
 * Routes, by request target:
 * - `/ok/N` — 200 with N bytes; `/gz` — a gzip body; `/redirect/N` — 302 to `/ok/N`;
 * - `/hang` — never answers; `/partial/N` — a head announcing 2N bytes, N of them, then nothing;
 * - `/reset` — destroys the connection; `/bad` — two conflicting Content-Length headers;
 * - `/redirect-drain` — a 302 announcing a 1000-byte body, 10 bytes of it, then nothing;
 * - `/redirect-hang` — a 302 to `/hang`.
 * The server counts the connections still open on its side, so a test can wait until every
 * connection a client closed has been seen closed.
 */
import { createServer, type Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { requestReader } from "../request/loopback-helpers.ts";

/** The running server. */
export interface SoakServer {
  readonly port: number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Requests read so far. */
  requests(): number;
  /** Connections on which at least one byte arrived. */
  spoken(): number;
  /** Connections open on the server side now. */
  open(): number;
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
}

const GZ_BODY = gzipSync(Buffer.from("soak ".repeat(200)));

/** The text `/gz` decodes to. */
export const GZ_TEXT = "soak ".repeat(200);

function answer(socket: Socket, target: string): Promise<void> | void {
  const [, route = "", arg = "0"] = target.split("/");
  const n = Number(arg) || 0;
  switch (route) {
    case "ok":
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${n}\r\n\r\n${"x".repeat(n)}`);
      return;
    case "gz":
      socket.write(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${GZ_BODY.length}\r\n\r\n`);
      socket.write(GZ_BODY);
      return;
    case "redirect":
      socket.write(`HTTP/1.1 302 Found\r\nLocation: /ok/${n}\r\nContent-Length: 0\r\n\r\n`);
      return;
    case "partial":
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${2 * n}\r\n\r\n${"p".repeat(n)}`);
      return new Promise((resolve) => socket.once("close", () => resolve()));
    case "redirect-drain":
      socket.write(`HTTP/1.1 302 Found\r\nLocation: /ok/1\r\nContent-Length: 1000\r\n\r\n${"r".repeat(10)}`);
      return new Promise((resolve) => socket.once("close", () => resolve()));
    case "redirect-hang":
      socket.write("HTTP/1.1 302 Found\r\nLocation: /hang\r\nContent-Length: 0\r\n\r\n");
      return;
    case "reset":
      socket.destroy();
      return;
    case "bad":
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello");
      return;
    default: // "hang"
      return new Promise((resolve) => socket.once("close", () => resolve()));
  }
}

/** Starts the server on 127.0.0.1, port 0. */
export async function startSoakServer(): Promise<SoakServer> {
  let accepted = 0;
  let requests = 0;
  let spoken = 0;
  const open = new Set<Socket>();
  // Plain node:net, keeping only the open sockets: a soak must not measure the server's memory.
  const server = createServer((socket) => {
    accepted++;
    socket.on("error", () => undefined); // resets are part of the mix
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.once("data", () => spoken++);
    const next = requestReader(socket);
    void (async () => {
      for (;;) {
        const request = await next();
        if (request === null || socket.destroyed) return;
        requests++;
        await answer(socket, request.target);
      }
    })().catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the soak server has no port");
  return {
    port: address.port,
    accepted: () => accepted,
    requests: () => requests,
    spoken: () => spoken,
    open: () => open.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
