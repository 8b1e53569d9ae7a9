/**
 * A loopback HTTP origin for cache tests that counts what reaches it: requests, connections, and
 * the conditional requests it answered 304. Each path picks the caching headers:
 * - `/fresh/…`: `Cache-Control: max-age=60`, body `fresh #N` (N counts requests to that path);
 * - `/etag/…`: `Cache-Control: max-age=0`, `ETag: "v1"`, `Last-Modified`; `If-None-Match: "v1"` gets 304;
 * - `/vary/…`: `Vary: Accept-Language`, `max-age=60`, body `lang=<Accept-Language> #N`;
 * - `/nostore/…`: `Cache-Control: no-store, max-age=60`;
 * - `/stale/…`: `Cache-Control: max-age=0` and no validator;
 * - `/big/<bytes>/…`: `max-age=60` and a body of that many bytes;
 * - `/missing/…`: `404` with `max-age=60` and the body `not here`;
 * - `/swr/…`: `Cache-Control: max-age=0, stale-while-revalidate=60`, `ETag: "s1"`; `If-None-Match: "s1"`
 *   gets a 304 with `max-age=60`, held back until {@link CacheServer.release} is called.
 * Any other method than GET and HEAD answers `204` (and counts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** One request as the server saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** A running cache origin. */
export interface CacheServer {
  /** `http://127.0.0.1:port`. */
  readonly origin: string;
  /** Requests received so far. */
  readonly requests: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** 304 answers sent so far. */
  readonly notModified: number;
  /** Every request, in order. */
  readonly seen: readonly SeenRequest[];
  /** Connections open now. */
  readonly openSockets: number;
  /** Resolves once no connection is open. */
  whenNoSockets(): Promise<void>;
  /** 304 answers to `/swr/…` held back now. */
  readonly held: number;
  /** Sends the held `/swr/…` 304 answers. */
  release(): void;
  /** Stops the server and destroys its sockets. */
  close(): Promise<void>;
}

const LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT";

/**
 * Starts the origin on 127.0.0.1, port 0.
 *
 * @returns The running server.
 */
export async function startCacheServer(): Promise<CacheServer> {
  const counts = { requests: 0, connections: 0, notModified: 0 };
  const perPath = new Map<string, number>();
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const held: (() => void)[] = [];
  const quiet: (() => void)[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    counts.requests++;
    req.resume();
    req.on("end", () => {
      const url = req.url ?? "/";
      const method = req.method ?? "GET";
      seen.push({ method, url, headers: { ...req.headers } });
      if (method !== "GET" && method !== "HEAD") {
        res.writeHead(204).end();
        return;
      }
      const n = (perPath.get(url) ?? 0) + 1;
      perPath.set(url, n);
      const send = (headers: Record<string, string>, body: string | Buffer): void => {
        res.writeHead(200, { "Content-Length": String(Buffer.byteLength(body)), ...headers }).end(body);
      };
      if (url.startsWith("/fresh/")) return send({ "Cache-Control": "max-age=60" }, `fresh #${n}`);
      if (url.startsWith("/etag/")) {
        const validators = { "Cache-Control": "max-age=0", ETag: '"v1"', "Last-Modified": LAST_MODIFIED };
        if (req.headers["if-none-match"] === '"v1"') {
          counts.notModified++;
          res.writeHead(304, validators).end();
          return;
        }
        return send(validators, `etag body #${n}`);
      }
      if (url.startsWith("/swr/")) {
        if (req.headers["if-none-match"] === '"s1"') {
          held.push(() => {
            counts.notModified++;
            res.writeHead(304, { "Cache-Control": "max-age=60", ETag: '"s1"' }).end();
          });
          return;
        }
        return send({ "Cache-Control": "max-age=0, stale-while-revalidate=60", ETag: '"s1"' }, `swr #${n}`);
      }
      if (url.startsWith("/vary/")) {
        return send({ "Cache-Control": "max-age=60", Vary: "Accept-Language" }, `lang=${req.headers["accept-language"] ?? ""} #${n}`);
      }
      if (url.startsWith("/nostore/")) return send({ "Cache-Control": "no-store, max-age=60" }, `nostore #${n}`);
      if (url.startsWith("/stale/")) return send({ "Cache-Control": "max-age=0" }, `stale #${n}`);
      const big = /^\/big\/(\d+)\//.exec(url);
      if (big !== null) return send({ "Cache-Control": "max-age=60" }, Buffer.alloc(Number(big[1]), n % 256));
      if (url.startsWith("/missing/")) {
        res.writeHead(404, { "Cache-Control": "max-age=60", "Content-Length": "8" }).end("not here");
        return;
      }
      res.writeHead(404, { "Content-Length": "0" }).end();
    });
  });
  server.on("connection", (socket: Socket) => {
    counts.connections++;
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
      if (sockets.size === 0) for (const resolve of quiet.splice(0)) resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    origin: `http://127.0.0.1:${address.port}`,
    get requests() {
      return counts.requests;
    },
    get connections() {
      return counts.connections;
    },
    get notModified() {
      return counts.notModified;
    },
    seen,
    get openSockets() {
      return sockets.size;
    },
    whenNoSockets: () => new Promise<void>((resolve) => (sockets.size === 0 ? resolve() : quiet.push(resolve))),
    get held() {
      return held.length;
    },
    release: () => {
      for (const answer of held.splice(0)) answer();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
