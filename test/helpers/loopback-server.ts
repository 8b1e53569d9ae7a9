/**
 * Loopback servers for tests: raw TCP (`node:net`) or TLS (`node:tls`) on 127.0.0.1, port 0,
 * with a per-connection handler written by the test, plus small helpers to read a request head and
 * write a response. `close()` destroys every socket the server ever accepted.
 */
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from "node:tls";

/** A running loopback server. */
export interface LoopbackServer<S extends Socket = Socket> {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The port the server listens on. */
  readonly port: number;
  /** Every socket handed to the handler, in order of arrival. */
  readonly connections: readonly S[];
  /** Errors of accepted sockets (resets are normal when a client closes), and TLS client errors. */
  readonly errors: readonly Error[];
  /** Stops listening and destroys every accepted socket. Idempotent. */
  close(): Promise<void>;
}

async function listen<S extends Socket>(server: Server, connections: S[], errors: Error[]): Promise<LoopbackServer<S>> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("error", (err) => errors.push(err));
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("tlsClientError", (err: Error) => errors.push(err));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("loopback server has no port");
  let closing: Promise<void> | null = null;
  return {
    host: "127.0.0.1",
    port: address.port,
    connections,
    errors,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        for (const socket of connections) socket.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}

/**
 * Starts a raw TCP server on 127.0.0.1, port 0.
 *
 * @param handler - Called with each accepted socket.
 * @returns The running server.
 */
export function startTcpServer(handler: (socket: Socket) => void): Promise<LoopbackServer> {
  const connections: Socket[] = [];
  const errors: Error[] = [];
  const server = createNetServer((socket) => {
    connections.push(socket);
    handler(socket);
  });
  return listen(server, connections, errors);
}

/**
 * Starts a TLS server on 127.0.0.1, port 0. The handler gets each socket once its handshake is
 * done; failed handshakes land in `errors`.
 *
 * @param options - `node:tls` server options (certificate, key, versions, `ALPNProtocols`, …).
 * @param handler - Called with each secured socket.
 * @returns The running server.
 */
export function startTlsServer(options: TlsOptions, handler: (socket: TLSSocket) => void): Promise<LoopbackServer<TLSSocket>> {
  const connections: TLSSocket[] = [];
  const errors: Error[] = [];
  const server = createTlsServer(options, (socket) => {
    connections.push(socket);
    socket.on("error", (err) => errors.push(err));
    handler(socket);
  });
  return listen(server, connections, errors);
}

/**
 * A port on 127.0.0.1 where nothing listens (a server is opened on port 0 and closed again), so a
 * connection to it is refused.
 *
 * @returns The port.
 */
export async function getRefusedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** A request head read by {@link readRequestHead}. */
export interface RequestHead {
  /** The head as Latin-1 text, up to and including the blank line. */
  readonly head: string;
  /** The request line, e.g. `GET / HTTP/1.1`. */
  readonly requestLine: string;
  /** Header lines as received (`Name: value`). */
  readonly headers: readonly string[];
  /** Bytes received after the head (start of the body or of the next request). */
  readonly rest: Buffer;
}

/**
 * Reads from `socket` until `\r\n\r\n`.
 *
 * @param socket - The server-side socket.
 * @param initial - Bytes already read from it (for a second request on the same connection).
 * @returns The head and whatever followed it.
 */
export function readRequestHead(socket: Socket, initial: Buffer = Buffer.alloc(0)): Promise<RequestHead> {
  return new Promise((resolve, reject) => {
    let buffered = initial;
    const finish = (): boolean => {
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return false;
      cleanup();
      const head = buffered.subarray(0, end + 4).toString("latin1");
      const lines = head.slice(0, -4).split("\r\n");
      resolve({ head, requestLine: lines[0] ?? "", headers: lines.slice(1), rest: buffered.subarray(end + 4) });
      return true;
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      finish();
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error(`connection ended before the request head was complete (${buffered.length} bytes)`));
    };
    const cleanup = (): void => {
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
    };
    if (finish()) return;
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("close", onEnd);
  });
}

/**
 * Reads from `socket` until the client ends its side.
 *
 * @param socket - The server-side socket.
 * @returns Every byte received.
 */
export function readToEnd(socket: Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("end", () => resolve(Buffer.concat(chunks)));
    socket.once("close", () => resolve(Buffer.concat(chunks)));
  });
}

/** A response for {@link writeResponse}. */
export interface LoopbackResponse {
  /** Status code; default 200. */
  readonly status?: number;
  /** Reason phrase; default `OK`. */
  readonly reason?: string;
  /** Header lines (`Name: value`); `Content-Length` is added unless present or `close` is set. */
  readonly headers?: readonly string[];
  /** The body; default empty. */
  readonly body?: string | Uint8Array;
  /** End the connection after the response. Default false. */
  readonly close?: boolean;
}

/**
 * Writes an HTTP/1.1 response.
 *
 * @param socket - The server-side socket.
 * @param response - What to send.
 */
export function writeResponse(socket: Socket, response: LoopbackResponse = {}): void {
  const body = typeof response.body === "string" ? Buffer.from(response.body, "utf8") : Buffer.from(response.body ?? new Uint8Array(0));
  const headers = [...(response.headers ?? [])];
  if (response.close !== true && !headers.some((h) => /^content-length:/i.test(h))) headers.push(`Content-Length: ${body.length}`);
  const head = `HTTP/1.1 ${response.status ?? 200} ${response.reason ?? "OK"}\r\n${headers.map((h) => `${h}\r\n`).join("")}\r\n`;
  socket.write(Buffer.concat([Buffer.from(head, "latin1"), body]));
  if (response.close === true) socket.end();
}
