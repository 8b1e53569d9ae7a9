/**
 * A loopback server that misbehaves on purpose: each accepted connection is counted (bytes
 * received, bytes handed to the socket, when the client hung up) and passed to a script written by
 * the test. `close()` destroys every socket, so a script that loops forever still ends.
 */
import type { Socket } from "node:net";
import type { TLSSocket, TlsOptions } from "node:tls";
import { startTcpServer, startTlsServer, type LoopbackServer } from "./loopback-server.ts";
import { sleep, tick } from "./wait.ts";

/** What one connection of a {@link HostileServer} saw. */
export interface HostileConnection {
  /** The server-side socket. */
  readonly socket: Socket;
  /** Bytes received from the client so far. */
  received: number;
  /** Bytes the script handed to {@link HostileConnection.send} before the client went away. */
  sent: number;
  /** True once the client closed or reset the connection (or it failed). */
  gone: boolean;
  /** Every received byte, in order (only the first 1 MiB is kept). */
  readonly bytes: Buffer[];
  /**
   * Writes bytes unless the connection is gone; counts them in `sent`.
   *
   * @returns False when the connection is gone (nothing written).
   */
  send(bytes: string | Uint8Array): boolean;
  /**
   * Waits until the received bytes hold the `index`-th request head (from 0; requests without
   * bodies) or the connection is gone.
   *
   * @returns The head as Latin-1 text, or null when the connection went away first.
   */
  head(index?: number): Promise<string | null>;
}

/** A running {@link HostileServer}. */
export interface HostileServer<S extends Socket = Socket> extends LoopbackServer<S> {
  /** Per-connection accounting, in order of arrival. */
  readonly log: readonly HostileConnection[];
  /** Bytes received over every connection. */
  totalReceived(): number;
}

const KEEP = 1024 * 1024;

function account(socket: Socket): HostileConnection {
  const conn: HostileConnection = {
    socket,
    received: 0,
    sent: 0,
    gone: false,
    bytes: [],
    send(bytes) {
      if (conn.gone || socket.destroyed || !socket.writable) return false;
      const data = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
      conn.sent += data.length;
      socket.write(data);
      return true;
    },
    head(index = 0) {
      return new Promise<string | null>((resolve) => {
        const check = (): void => {
          const heads = Buffer.concat(conn.bytes).toString("latin1").split("\r\n\r\n");
          const found = heads.length - 1 > index;
          if (!found && !conn.gone) return;
          socket.off("data", check);
          socket.off("close", check);
          resolve(found ? `${heads[index] ?? ""}\r\n\r\n` : null);
        };
        socket.on("data", check);
        socket.on("close", check);
        check();
      });
    },
  };
  let kept = 0;
  socket.on("data", (chunk: Buffer) => {
    conn.received += chunk.length;
    if (kept < KEEP) {
      conn.bytes.push(chunk);
      kept += chunk.length;
    }
  });
  const gone = (): void => {
    conn.gone = true;
  };
  socket.on("end", gone);
  socket.on("close", gone);
  socket.on("error", gone);
  return conn;
}

/** The connection handler of a hostile server: accounts each connection in `log` and runs `script` on it; a script that throws or rejects destroys its connection. */
function runScript(
  log: HostileConnection[],
  script: (conn: HostileConnection, index: number) => void | Promise<void>,
): (socket: Socket) => void {
  return (socket) => {
    const conn = account(socket);
    log.push(conn);
    Promise.resolve()
      .then(() => script(conn, log.length - 1))
      .catch(() => socket.destroy());
  };
}

function withLog<S extends Socket>(server: LoopbackServer<S>, log: HostileConnection[]): HostileServer<S> {
  return Object.assign(server, {
    log,
    totalReceived: () => log.reduce((sum, c) => sum + c.received, 0),
  });
}

/**
 * Starts a raw TCP server on 127.0.0.1, port 0, running `script` for each connection. A script
 * that throws or rejects destroys its connection.
 *
 * @param script - What the server does with a connection (`index` counts from 0).
 * @returns The server with its accounting.
 */
export async function startHostileServer(script: (conn: HostileConnection, index: number) => void | Promise<void>): Promise<HostileServer> {
  const log: HostileConnection[] = [];
  const server = await startTcpServer(runScript(log, script));
  return withLog(server, log);
}

/**
 * Starts a TLS server on 127.0.0.1, port 0, running `script` for each connection whose handshake
 * completed on the server side (a client that rejects the certificate may still get this far).
 *
 * @param options - `node:tls` server options.
 * @param script - What the server does with a secured connection.
 * @returns The server with its accounting.
 */
export async function startHostileTlsServer(
  options: TlsOptions,
  script: (conn: HostileConnection, index: number) => void | Promise<void>,
): Promise<HostileServer<TLSSocket>> {
  const log: HostileConnection[] = [];
  const server = await startTlsServer(options, runScript(log, script));
  return withLog(server, log);
}

/**
 * Writes `piece` again and again, waiting `pauseMs` between writes (and for `drain` when the
 * socket's buffer is full), until the connection is gone or `maxBytes` were sent.
 *
 * @param conn - The connection.
 * @param piece - What to repeat.
 * @param pauseMs - Real milliseconds between writes; 0 only yields to the event loop.
 * @param maxBytes - Stop after this many bytes.
 */
export async function trickle(conn: HostileConnection, piece: string | Uint8Array, pauseMs: number, maxBytes: number): Promise<void> {
  const bytes = typeof piece === "string" ? Buffer.from(piece, "latin1") : piece;
  while (conn.sent + bytes.length <= maxBytes && conn.send(bytes)) {
    if (conn.socket.writableNeedDrain) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          conn.socket.off("drain", done);
          conn.socket.off("close", done);
          resolve();
        };
        conn.socket.on("drain", done);
        conn.socket.on("close", done);
      });
    }
    await (pauseMs > 0 ? sleep(pauseMs) : tick());
  }
}
