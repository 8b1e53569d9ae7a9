// The benchmark server: a raw node:net server on 127.0.0.1, port 0, that writes prepared responses,
// so it is never the bottleneck and costs the client nothing it would not cost in real life.
//
// It runs in a CHILD PROCESS (fork of the bundled bench entry with `--bench-server`), not in a
// worker thread: `process.cpuUsage()` and `process.memoryUsage().rss` are per process, so with a
// Worker the server's CPU time and buffers would be charged to whichever client is being measured.
// A child process also has its own event loop, so it runs on the second core alongside the client.
//
// Routes (GET, no request body; request heads are found by searching for CRLFCRLF and only the
// request target is looked at):
//   /small                   200, keep-alive, 13-byte body "Hello, World!"
//   /small-cacheable         as /small, with `Cache-Control: max-age=3600` (WC)
//   /bytes/<n>               200, Content-Length: n, body streamed from a preallocated 1 MiB block
//   /chunked/<n>             200, Transfer-Encoding: chunked, n body bytes in 64 KiB chunks,
//                            streamed from a preallocated block of ready-framed chunks
//   /hang                    never answered: the connection reads on and writes nothing (W4)
// Bulk bodies are written with back-pressure (write() returning false waits for 'drain').
import { fork, type ChildProcess } from "node:child_process";
import { createServer, type Socket } from "node:net";

/** The 13-byte body of `/small`. */
export const SMALL_BODY = "Hello, World!";
/** The whole `/small` response as it is on the wire. */
export const SMALL_RESPONSE: Buffer = Buffer.from(
  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nKeep-Alive: timeout=60\r\n\r\n" + SMALL_BODY,
  "latin1",
);

/** `/small` with `Cache-Control: max-age=3600`: a response an HTTP cache keeps. */
const SMALL_CACHEABLE_RESPONSE: Buffer = Buffer.from(
  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nCache-Control: max-age=3600\r\nKeep-Alive: timeout=60\r\n\r\n" +
    SMALL_BODY,
  "latin1",
);

/** Size of the preallocated body block, and of one framed group of chunks. */
const BLOCK_BYTES = 1024 * 1024;
/** Body bytes per chunk of a chunked response. */
const CHUNK_BYTES = 64 * 1024;
const CHUNKS_PER_BLOCK = BLOCK_BYTES / CHUNK_BYTES;

function lengthHead(n: number): string {
  return `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${n}\r\n\r\n`;
}

const CHUNKED_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
const LAST_CHUNK = "0\r\n\r\n";

function chunkFrameOverhead(size: number): number {
  return size.toString(16).length + 4; // "<hex>\r\n" + data + "\r\n"
}

/**
 * Bytes on the wire of a bulk response (head, framing and body), so a raw-socket client knows
 * where the response ends.
 *
 * @param n - Body bytes.
 * @param chunked - Chunked transfer coding instead of Content-Length.
 * @returns The wire size.
 */
export function bulkResponseWireBytes(n: number, chunked: boolean): number {
  if (!chunked) return Buffer.byteLength(lengthHead(n), "latin1") + n;
  const full = Math.floor(n / CHUNK_BYTES);
  const rest = n % CHUNK_BYTES;
  let total = CHUNKED_HEAD.length + LAST_CHUNK.length + n + full * chunkFrameOverhead(CHUNK_BYTES);
  if (rest > 0) total += chunkFrameOverhead(rest);
  return total;
}

/** A request target for a bulk response. */
export function bulkPath(n: number, chunked: boolean): string {
  return `${chunked ? "/chunked" : "/bytes"}/${n}`;
}

function makeBlock(): Buffer {
  const block = Buffer.allocUnsafe(BLOCK_BYTES);
  for (let i = 0; i < BLOCK_BYTES; i++) block[i] = 0x61 + (i % 26);
  return block;
}

function frameChunk(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`, "latin1"), data, Buffer.from("\r\n", "latin1")]);
}

const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1");

interface Prepared {
  readonly block: Buffer;
  /** CHUNKS_PER_BLOCK framed chunks of CHUNK_BYTES each: BLOCK_BYTES of body. */
  readonly framedBlock: Buffer;
  readonly framedChunk: Buffer;
}

function prepare(): Prepared {
  const block = makeBlock();
  const framedChunk = frameChunk(block.subarray(0, CHUNK_BYTES));
  const framedBlock = Buffer.concat(Array.from({ length: CHUNKS_PER_BLOCK }, () => framedChunk));
  return { block, framedBlock, framedChunk };
}

/** Serves one connection: finds request heads, answers them in order. */
class Connection {
  private pending: Buffer | null = null;
  private readonly queue: string[] = [];
  private streaming = false;
  private readonly socket: Socket;
  private readonly prepared: Prepared;

  constructor(socket: Socket, prepared: Prepared) {
    this.socket = socket;
    this.prepared = prepared;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => socket.destroy());
  }

  private onData(chunk: Buffer): void {
    let buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    let start = 0;
    let small = 0;
    for (;;) {
      const end = buf.indexOf(CRLFCRLF, start);
      if (end === -1) break;
      const target = requestTarget(buf, start, end);
      start = end + 4;
      if (target === "/small" && !this.streaming && this.queue.length === 0) {
        small++;
      } else {
        this.queue.push(target);
      }
    }
    if (start < buf.length) {
      buf = buf.subarray(start);
      this.pending = Buffer.from(buf);
    }
    if (small === 1) this.socket.write(SMALL_RESPONSE);
    else if (small > 1) this.socket.write(Buffer.concat(Array.from({ length: small }, () => SMALL_RESPONSE)));
    this.serveQueue();
  }

  private serveQueue(): void {
    while (!this.streaming && this.queue.length > 0) {
      const target = this.queue.shift() ?? "";
      if (target === "/small") {
        this.socket.write(SMALL_RESPONSE);
        continue;
      }
      if (target === "/small-cacheable") {
        this.socket.write(SMALL_CACHEABLE_RESPONSE);
        continue;
      }
      if (target === "/hang") {
        this.streaming = true; // never answered; later requests on this connection wait behind it
        return;
      }
      const m = /^\/(bytes|chunked)\/(\d+)$/.exec(target);
      if (m === null) {
        this.socket.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        continue;
      }
      this.stream(Number(m[2]), m[1] === "chunked");
    }
  }

  private stream(n: number, chunked: boolean): void {
    const socket = this.socket;
    const { block, framedBlock, framedChunk } = this.prepared;
    this.streaming = true;
    socket.write(chunked ? CHUNKED_HEAD : lengthHead(n), "latin1");
    let left = n;
    const pump = (): void => {
      while (left > 0) {
        if (socket.destroyed) return;
        let ok: boolean;
        if (!chunked) {
          const size = Math.min(left, BLOCK_BYTES);
          ok = socket.write(size === BLOCK_BYTES ? block : block.subarray(0, size));
          left -= size;
        } else if (left >= BLOCK_BYTES) {
          ok = socket.write(framedBlock);
          left -= BLOCK_BYTES;
        } else if (left >= CHUNK_BYTES) {
          ok = socket.write(framedChunk);
          left -= CHUNK_BYTES;
        } else {
          ok = socket.write(frameChunk(block.subarray(0, left)));
          left = 0;
        }
        if (!ok) {
          socket.once("drain", pump);
          return;
        }
      }
      if (chunked) socket.write(LAST_CHUNK, "latin1");
      this.streaming = false;
      this.serveQueue();
    };
    pump();
  }
}

/** The request target of the head in `buf[start, end)`: the text between the first two spaces. */
function requestTarget(buf: Buffer, start: number, end: number): string {
  const sp1 = buf.indexOf(0x20, start);
  if (sp1 === -1 || sp1 >= end) return "";
  const sp2 = buf.indexOf(0x20, sp1 + 1);
  if (sp2 === -1 || sp2 >= end) return "";
  return buf.toString("latin1", sp1 + 1, sp2);
}

/** Child side: serves until the parent disconnects or says "stop"; sends `{ port }` when listening. */
export function runServerChild(): void {
  const prepared = prepare();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    new Connection(socket, prepared);
  });
  const stop = (): void => {
    server.close();
    for (const s of sockets) s.destroy();
    process.disconnect?.();
  };
  process.on("message", (msg: unknown) => {
    if (msg === "stop") stop();
  });
  process.on("disconnect", () => {
    server.close();
    for (const s of sockets) s.destroy();
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    process.send?.({ port });
  });
}

/** A running server child process. */
export interface BenchServer {
  readonly port: number;
  readonly pid: number;
  /** Stops the child and waits for it to exit. */
  close(): Promise<void>;
}

/**
 * Starts the server in a child process: a fork of `entry` (the bundled bench file) with
 * `--bench-server`. The child gets no execArgv, so `--cpu-prof` on the parent does not profile it.
 *
 * @param entry - The script to fork.
 * @returns The server once it listens.
 */
export function startServerProcess(entry: string): Promise<BenchServer> {
  const child: ChildProcess = fork(entry, ["--bench-server"], { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise<BenchServer>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`bench server exited early (code ${String(code)})`)));
    child.once("message", (msg: unknown) => {
      if (typeof msg !== "object" || msg === null || !("port" in msg) || typeof msg.port !== "number") {
        reject(new Error("bench server sent no port"));
        return;
      }
      resolve({
        port: msg.port,
        pid: child.pid ?? -1,
        close: async () => {
          if (child.connected) child.send("stop");
          const timer = setTimeout(() => child.kill(), 2000);
          await exited;
          clearTimeout(timer);
        },
      });
    });
  });
}
