/**
 * Helpers for the real-socket HTTPRequest tests (`loopback-*.test.ts`): run a {@link SceneTree}
 * with a {@link TreeRunner} (fixed frame rate or as fast as possible) or a hand-written async loop
 * until a request completes, always under a hard cap of ticks and milliseconds; plus cleanup
 * tracking, temp dirs, hashing and small server pieces.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { performance } from "node:perf_hooks";
import type { Socket } from "node:net";
import { gzipSync, deflateRawSync, constants as zc, crc32 } from "node:zlib";
import { HTTPRequest } from "../../src/request-node/http-request.ts";
import type { RequestCompletedArgs } from "../../src/request-node/tick-emissions.ts";
import { Node } from "../../src/request-node/node.ts";
import { TreeRunner } from "../../src/request-node/runner.ts";
import { SceneTree } from "../../src/request-node/scene-tree.ts";
import type { Result } from "../../src/status/result.ts";
import { startTcpServer, type LoopbackServer } from "../helpers/loopback-server.ts";
import { sleep, tick } from "../helpers/wait.ts";

export { Cleanup } from "../helpers/cleanup.ts";

/**
 * How the tree is stepped: `fixed` (a TreeRunner at `fps`, default 60), `fast` (a TreeRunner in
 * `as-fast-as-possible` mode) or `loop` (`tree.process(realDelta)` in an async loop that awaits a
 * turn of the event loop — `setImmediate` or a 1 ms sleep — between ticks).
 */
export type LoopMode = "fixed" | "fast" | "loop";

/** Options of {@link runTree} and {@link runUntilComplete}. */
export interface RunOptions {
  /** How the tree is stepped. Default `fast`. */
  readonly mode?: LoopMode;
  /** Frames per second in `fixed` mode. Default 60. */
  readonly fps?: number;
  /** Fail after this many ticks. Default 5000. */
  readonly maxTicks?: number;
  /** Fail after this many milliseconds. Default 10000. */
  readonly maxMs?: number;
  /** In `loop` mode, sleep this many ms between ticks instead of one `setImmediate` turn. Default 0. */
  readonly sleepMs?: number;
  /** Called after every tick (after all nodes were processed) with the tick count of this run. */
  readonly onTick?: (ticks: number) => void;
}

/** What {@link runTree} measured. */
export interface RunStats {
  /** Ticks run. */
  readonly ticks: number;
  /** Real milliseconds from start to the end. */
  readonly ms: number;
}

/** A completed request: the signal's arguments plus the measurements. */
export interface Completion extends RunStats {
  readonly result: Result;
  readonly code: number;
  readonly headers: string[];
  readonly body: Uint8Array;
  /** Ticks from the start of the run to the tick that emitted the signal (inclusive). */
  readonly completedAtTick: number;
}

/** A node that calls a function every tick; added last so it runs after the nodes under test. */
class TickProbe extends Node {
  private readonly fn: () => void;

  constructor(fn: () => void) {
    super("tick-probe");
    this.fn = fn;
  }

  override _process(): void {
    this.fn();
  }
}

/**
 * Resolves at the end of the first tick of `tree` after which `condition()` holds (checked after
 * every node of the tick ran): a server in a test waits on what the client has done, not on a delay.
 *
 * @param tree - The tree whose ticks to watch.
 * @param condition - Checked at the end of each tick.
 * @returns A promise resolved at the end of that tick.
 */
export function afterTick(tree: SceneTree, condition: () => boolean = () => true): Promise<void> {
  return new Promise((resolve) => {
    const probe = new TickProbe(() => {
      if (!condition()) return;
      probe.queueFree();
      resolve();
    });
    tree.root.addChild(probe);
  });
}

/**
 * Writes `data` and resolves once Node handed it to the operating system (the write callback).
 *
 * @param socket - The socket.
 * @param data - The bytes.
 */
export function written(socket: Socket, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve())));
}

/**
 * Ends the server's side of a connection and resolves once the client's side has seen the FIN:
 * the client's socket ends its own side in answer, so the server's socket closes.
 *
 * @param socket - The server's socket.
 */
export function finSeenByClient(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once("close", () => resolve());
    socket.end();
  });
}

/**
 * Steps `tree` until `until()` is true, then stops. Rejects (with `describe()` in the message)
 * when `maxTicks` or `maxMs` is exceeded, so no test can hang.
 *
 * @param tree - The tree to step.
 * @param until - Checked after every tick.
 * @param options - Mode and caps.
 * @param describe - Extra diagnostics for the failure message.
 * @returns Ticks run and elapsed milliseconds.
 */
export async function runTree(
  tree: SceneTree,
  until: () => boolean,
  options: RunOptions = {},
  describe: () => string = () => "",
): Promise<RunStats> {
  const mode = options.mode ?? "fast";
  const maxTicks = options.maxTicks ?? 5000;
  const maxMs = options.maxMs ?? 10_000;
  const started = performance.now();
  let ticks = 0;
  let failure: string | null = null;
  let done = false;
  const check = (): void => {
    ticks++;
    options.onTick?.(ticks);
    if (until()) done = true;
    else if (ticks >= maxTicks) failure = `not done after ${ticks} ticks`;
    else if (performance.now() - started > maxMs) failure = `not done after ${maxMs} ms (${ticks} ticks)`;
  };
  const probe = new TickProbe(check);
  tree.root.addChild(probe);
  try {
    if (mode === "loop") {
      let last = performance.now();
      while (!done && failure === null) {
        if (options.sleepMs !== undefined && options.sleepMs > 0) await sleep(options.sleepMs);
        else await tick();
        const now = performance.now();
        tree.process((now - last) / 1000);
        last = now;
      }
    } else {
      const runner = new TreeRunner(tree, { mode: mode === "fixed" ? "fixed" : "as-fast-as-possible", fps: options.fps ?? 60 });
      // A runner sleeping with no deadline would never notice the cap: a timer checks it too.
      const guard = setTimeout(() => {
        failure ??= `not done after ${maxMs} ms (${ticks} ticks, runner asleep)`;
        runner.stop();
      }, maxMs + 50);
      const stopWhenDone = (): void => {
        if (done || failure !== null) runner.stop();
      };
      const stopper = new TickProbe(stopWhenDone);
      tree.root.addChild(stopper);
      runner.start();
      await runner.whenStopped();
      clearTimeout(guard);
      tree.root.removeChild(stopper);
    }
  } finally {
    tree.root.removeChild(probe);
  }
  const ms = performance.now() - started;
  if (failure !== null) {
    const extra = describe();
    throw new Error(`${failure}${extra === "" ? "" : `; ${extra}`}`);
  }
  return { ticks, ms };
}

/**
 * Runs the tree of `node` until its `requestCompleted` is emitted; rejects with the node's error
 * reason and client status after the caps.
 *
 * @param node - A node inside a tree with a request started (or started by `options.onTick`).
 * @param options - Mode and caps.
 * @returns The signal's arguments, the tick it came in and the run's totals.
 */
export async function runUntilComplete(node: HTTPRequest, options: RunOptions = {}): Promise<Completion> {
  const tree = node.getTree();
  if (tree === null) throw new Error("the node is not inside a tree");
  let args: RequestCompletedArgs | null = null;
  let completedAtTick = 0;
  let ticksSoFar = 0;
  const onTick = options.onTick;
  const listener = (...received: RequestCompletedArgs): void => {
    args ??= received;
    completedAtTick = ticksSoFar + 1;
  };
  node.requestCompleted.connect(listener);
  try {
    const stats = await runTree(
      tree,
      () => args !== null,
      {
        ...options,
        onTick: (ticks) => {
          ticksSoFar = ticks;
          onTick?.(ticks);
        },
      },
      () =>
        `status ${node.getHttpClientStatus()}, downloaded ${node.getDownloadedBytes()}, reason ${JSON.stringify(node.getErrorReason())}`,
    );
    const got = args as RequestCompletedArgs | null;
    if (got === null) throw new Error("no completion");
    const [result, code, headers, body] = got;
    return { result, code, headers, body, completedAtTick, ...stats };
  } finally {
    node.requestCompleted.disconnect(listener);
  }
}

/** A tree with `count` HTTPRequest nodes under its root. */
export function makeTree(count = 1): { tree: SceneTree; nodes: HTTPRequest[]; node: HTTPRequest } {
  const tree = new SceneTree();
  const nodes: HTTPRequest[] = [];
  for (let i = 0; i < count; i++) {
    const n = new HTTPRequest({ name: `req${i}` });
    tree.root.addChild(n);
    nodes.push(n);
  }
  const node = nodes[0];
  if (node === undefined) throw new Error("count must be at least 1");
  return { tree, nodes, node };
}

/** SHA-256 of bytes, hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Pseudo-random bytes (deterministic for a seed), fast for many MiB. */
export function patternBytes(length: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  for (; i < length; i++) out[i] = i & 0xff;
  return out;
}

/** Files in `dir` that look like a download's temporary file (`.*.part`). */
export function partFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => name.endsWith(".part"));
}

/**
 * A gzip stream (one member) of `mib` MiB of zeros, built without compressing them all: a 1 MiB
 * raw-deflate run ended by a full flush does not depend on what came before, so it is repeated.
 *
 * @param mib - Decoded size in MiB.
 * @returns The gzip bytes (about 1 KiB per MiB).
 */
export function gzipOfZeros(mib: number): Buffer {
  const zeros = Buffer.alloc(1024 * 1024);
  const block = deflateRawSync(zeros, { finishFlush: zc.Z_FULL_FLUSH });
  const last = deflateRawSync(Buffer.alloc(0));
  let crc = 0;
  for (let i = 0; i < mib; i++) crc = crc32(zeros, crc);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE((mib * 1024 * 1024) % 2 ** 32, 4);
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  return Buffer.concat([header, ...Array.from({ length: mib }, () => block), last, trailer]);
}

/** gzip of a string (for small JSON-ish bodies). */
export function gz(text: string | Uint8Array): Buffer {
  return gzipSync(text);
}

/**
 * Writes a chunked body in pieces of `piece` bytes, each its own chunk, one `write()` per chunk.
 *
 * @param socket - Server-side socket.
 * @param body - The body.
 * @param piece - Chunk size.
 * @param end - Write the terminating `0` chunk. Default true.
 */
export function writeChunked(socket: Socket, body: Uint8Array, piece: number, end = true): void {
  for (let off = 0; off < body.length; off += piece) {
    const part = body.subarray(off, Math.min(body.length, off + piece));
    socket.write(Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`, "latin1"), part, Buffer.from("\r\n", "latin1")]));
  }
  if (end) socket.write("0\r\n\r\n");
}

/**
 * Writes a response head only (the body follows with other writes).
 *
 * @param socket - Server-side socket.
 * @param status - Status code.
 * @param headers - Header lines.
 */
export function writeHead(socket: Socket, status: number, headers: readonly string[]): void {
  socket.write(`HTTP/1.1 ${status} X\r\n${headers.map((h) => `${h}\r\n`).join("")}\r\n`, "latin1");
}

/** Bytes currently held by `ArrayBuffer`s and `Buffer`s of this process. */
export function arrayBufferBytes(): number {
  return process.memoryUsage().arrayBuffers;
}

/** A request read by {@link serveHttp}. */
export interface ServedRequest {
  /** E.g. `GET /x HTTP/1.1`. */
  readonly requestLine: string;
  /** E.g. `GET`. */
  readonly method: string;
  /** E.g. `/x?y=1`. */
  readonly target: string;
  /** Header lines as received. */
  readonly headers: readonly string[];
  /** The body (Content-Length framed). */
  readonly body: Buffer;
  /** The number of this request on the server, from 1. */
  readonly index: number;
  /** The number of this request on its connection, from 1. */
  readonly onConnection: number;
  /**
   * The first value of a header, case-insensitively.
   *
   * @param name - The header name.
   */
  header(name: string): string | undefined;
}

/**
 * Reads the requests of one connection in order (keep-alive), with Content-Length bodies, keeping
 * every received byte (one `data` listener for the connection's life, so nothing is lost between
 * requests).
 *
 * @param socket - The server-side socket.
 * @returns A function giving the next request, or null when the connection ended first.
 */
export function requestReader(socket: Socket): () => Promise<Omit<ServedRequest, "index" | "onConnection"> | null> {
  let buffered = Buffer.alloc(0);
  let incoming: Buffer[] = [];
  let incomingBytes = 0;
  let ended = false;
  let wake: (() => void) | null = null;
  socket.on("data", (chunk: Buffer) => {
    incoming.push(chunk);
    incomingBytes += chunk.length;
    wake?.();
  });
  /** Joins what arrived (once per wake, not per chunk, so a big body is not copied quadratically). */
  const take = (): void => {
    if (incoming.length === 0) return;
    buffered = Buffer.concat([buffered, ...incoming], buffered.length + incomingBytes);
    incoming = [];
    incomingBytes = 0;
  };
  const onEnd = (): void => {
    ended = true;
    wake?.();
  };
  socket.on("end", onEnd);
  socket.on("close", onEnd);
  const waitMore = (): Promise<void> =>
    new Promise((resolve) => {
      wake = () => {
        wake = null;
        resolve();
      };
    });
  return async () => {
    for (;;) {
      take();
      const end = buffered.indexOf("\r\n\r\n");
      if (end >= 0) {
        const lines = buffered.subarray(0, end).toString("latin1").split("\r\n");
        const headers = lines.slice(1);
        const header = (name: string): string | undefined => {
          const found = headers.find((h) => h.toLowerCase().startsWith(`${name.toLowerCase()}:`));
          return found?.slice(found.indexOf(":") + 1).trim();
        };
        const length = Number(header("content-length") ?? 0);
        while (buffered.length + incomingBytes < end + 4 + length && !ended) await waitMore();
        take();
        if (buffered.length >= end + 4 + length) {
          const body = Buffer.from(buffered.subarray(end + 4, end + 4 + length));
          buffered = buffered.subarray(end + 4 + length);
          const requestLine = lines[0] ?? "";
          const [method = "", target = ""] = requestLine.split(" ");
          return { requestLine, method, target, headers, body, header };
        }
      }
      if (ended) return null;
      await waitMore();
    }
  };
}

/**
 * Starts a loopback HTTP server (raw `node:net`) whose handler answers each request, one after
 * the other on each connection (keep-alive). The handler writes the response itself (e.g. with
 * `writeResponse`); the next request on the connection is read after its promise settles.
 *
 * @param handler - Answers one request.
 * @returns The server and the list of requests received.
 */
export async function serveHttp(
  handler: (socket: Socket, request: ServedRequest) => void | Promise<void>,
): Promise<LoopbackServer & { readonly requests: ServedRequest[] }> {
  const requests: ServedRequest[] = [];
  const server = await startTcpServer((socket) => {
    const next = requestReader(socket);
    void (async () => {
      for (let onConnection = 1; ; onConnection++) {
        const request = await next();
        if (request === null || socket.destroyed) return;
        const served: ServedRequest = { ...request, index: requests.length + 1, onConnection };
        requests.push(served);
        await handler(socket, served);
      }
    })().catch(() => socket.destroy());
  });
  return Object.assign(server, { requests });
}
