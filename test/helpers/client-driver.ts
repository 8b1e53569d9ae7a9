/**
 * Drives an `HTTPClient` over real sockets from a test: poll, let the event loop run, repeat, with
 * a hard deadline so a test never hangs. A timeout names the client's status, the last `poll()`
 * result and `getErrorReason()`.
 */
import type { Socket } from "node:net";
import { Err, errName, type HTTPClient, Status, statusName, type TLSOptions } from "../../src/index.ts";
import { readRequestHead, type RequestHead } from "./loopback-server.ts";
import { sleep, tick } from "./wait.ts";

/** Statuses after which nothing more happens. */
export const TERMINAL: ReadonlySet<Status> = new Set<Status>([
  Status.STATUS_DISCONNECTED,
  Status.STATUS_CANT_RESOLVE,
  Status.STATUS_CANT_CONNECT,
  Status.STATUS_CONNECTION_ERROR,
  Status.STATUS_TLS_HANDSHAKE_ERROR,
]);

/**
 * Describes a client for failure messages.
 *
 * @param client - The client.
 * @param err - The last `poll()` result, if known.
 * @returns `status NAME (n), last poll() ERR, reason "…"`.
 */
export function describeClient(client: HTTPClient, err?: Err): string {
  const status = client.getStatus();
  const last = err === undefined ? "" : `, last poll() ${errName(err)} (${err})`;
  return `status ${statusName(status)} (${status})${last}, reason ${JSON.stringify(client.getErrorReason())}`;
}

/** Lets the event loop run: mostly one turn, every 16th call a 1 ms sleep so timers fire too. */
async function yieldLoop(round: number): Promise<void> {
  await (round % 16 === 15 ? sleep(1) : tick());
}

/**
 * Polls until `done(status)` holds.
 *
 * @param client - The client.
 * @param done - The condition on the status.
 * @param what - Names the condition in the timeout error.
 * @param timeoutMs - Hard cap; default 5000.
 * @returns The `poll()` result of the call after which the condition held.
 */
export async function pollUntil(client: HTTPClient, done: (status: Status) => boolean, what: string, timeoutMs = 5000): Promise<Err> {
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; ; round++) {
    const err = client.poll();
    if (done(client.getStatus())) return err;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${describeClient(client, err)}`);
    await yieldLoop(round);
  }
}

/**
 * Polls until the client reaches `status`; fails at once when it lands in another terminal status.
 *
 * @param client - The client.
 * @param status - The status to reach.
 * @param timeoutMs - Hard cap; default 5000.
 * @returns The `poll()` result of the call that reached it.
 */
export async function pollToStatus(client: HTTPClient, status: Status, timeoutMs = 5000): Promise<Err> {
  const err = await pollUntil(client, (s) => s === status || TERMINAL.has(s), statusName(status), timeoutMs);
  if (client.getStatus() !== status) throw new Error(`expected ${statusName(status)}, got ${describeClient(client, err)}`);
  return err;
}

/**
 * Connects (plain or TLS) and polls until CONNECTED.
 *
 * @param client - The client.
 * @param host - Host (or `https://host`).
 * @param port - Port.
 * @param tls - TLS options, or null.
 */
export async function connect(client: HTTPClient, host: string, port: number, tls: TLSOptions | null = null): Promise<void> {
  const err = client.connectToHost(host, port, tls);
  if (err !== Err.OK) throw new Error(`connectToHost returned ${errName(err)}: ${client.getErrorReason()}`);
  await pollToStatus(client, Status.STATUS_CONNECTED);
}

/** What {@link readBody} collected. */
export interface BodyRead {
  /** Every body byte, in order. */
  readonly body: Buffer;
  /** The largest single `readResponseBodyChunk()` result. */
  readonly largestChunk: number;
  /** Non-empty chunks returned. */
  readonly chunks: number;
  /** The status once the body ended (anything but BODY). */
  readonly status: Status;
}

/**
 * Polls until a response head is in (the status leaves REQUESTING).
 *
 * @param client - The client, in REQUESTING.
 * @param timeoutMs - Hard cap.
 * @returns The `poll()` result.
 */
export function pollForResponse(client: HTTPClient, timeoutMs = 5000): Promise<Err> {
  return pollUntil(client, (s) => s !== Status.STATUS_REQUESTING, "a response head", timeoutMs);
}

/**
 * Reads the body with `readResponseBodyChunk()` until the status leaves BODY, polling and letting
 * the event loop run whenever no byte is waiting.
 *
 * @param client - The client, in BODY (or already past it).
 * @param options - `timeoutMs` (default 5000) and `onChunk` called with each non-empty chunk.
 * @returns The body and how it was read.
 */
export async function readBody(
  client: HTTPClient,
  options: { readonly timeoutMs?: number; readonly onChunk?: (chunk: Uint8Array) => void; readonly pauseMs?: number } = {},
): Promise<BodyRead> {
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  const pieces: Buffer[] = [];
  let largest = 0;
  let round = 0;
  while (client.getStatus() === Status.STATUS_BODY) {
    const chunk = client.readResponseBodyChunk();
    if (chunk.length > 0) {
      pieces.push(Buffer.from(chunk));
      largest = Math.max(largest, chunk.length);
      options.onChunk?.(chunk);
      continue;
    }
    if (client.getStatus() !== Status.STATUS_BODY) break;
    const err = client.poll();
    if (Date.now() > deadline)
      throw new Error(`timed out reading the body after ${Buffer.concat(pieces).length} bytes: ${describeClient(client, err)}`);
    if (options.pauseMs !== undefined) await sleep(options.pauseMs);
    else await yieldLoop(round++);
  }
  return { body: Buffer.concat(pieces), largestChunk: largest, chunks: pieces.length, status: client.getStatus() };
}

/**
 * Serves requests on one server-side connection in order: reads each request head (and as many
 * body bytes as its Content-Length says) and passes it to `answer`.
 *
 * @param socket - The server-side socket.
 * @param answer - Called with each request, its 0-based index on this connection and the socket.
 */
export function serveRequests(
  socket: Socket,
  answer: (request: RequestHead & { readonly body: Buffer }, index: number, socket: Socket) => void,
): void {
  const loop = async (): Promise<void> => {
    let rest: Buffer = Buffer.alloc(0);
    for (let index = 0; ; index++) {
      const head = await readRequestHead(socket, rest);
      const lengthLine = head.headers.find((h) => /^content-length:/i.test(h));
      const length = lengthLine === undefined ? 0 : Number(lengthLine.slice(lengthLine.indexOf(":") + 1).trim());
      const pieces: Buffer[] = [head.rest];
      let size = head.rest.length;
      while (size < length) {
        const piece = await nextData(socket);
        pieces.push(piece);
        size += piece.length;
      }
      const buffered = pieces.length === 1 ? head.rest : Buffer.concat(pieces, size);
      rest = buffered.subarray(length);
      answer({ ...head, body: buffered.subarray(0, length) }, index, socket);
    }
  };
  loop().catch(() => {
    // The connection ended; nothing more to serve.
  });
}

function nextData(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      cleanup();
      resolve(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error("ended"));
    };
    const cleanup = (): void => {
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
    };
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("close", onEnd);
  });
}

/**
 * Sends a GET (or another method) on a CONNECTED client and polls until the head is in.
 *
 * @param client - A CONNECTED client.
 * @param method - The method.
 * @param target - The request target.
 * @param headers - Header lines.
 * @returns The `poll()` result once the status left REQUESTING.
 */
export async function requestAndWait(
  client: HTTPClient,
  method: Parameters<HTTPClient["request"]>[0],
  target: string,
  headers: readonly string[] = [],
): Promise<Err> {
  const err = client.request(method, target, headers);
  if (err !== Err.OK) throw new Error(`request() returned ${errName(err)}: ${client.getErrorReason()}`);
  return pollForResponse(client);
}
