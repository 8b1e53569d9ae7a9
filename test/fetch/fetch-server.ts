/**
 * A node:http server for the fetch tests: it records each request (method, target, headers and
 * the body bytes received) and answers by route. Closed by the test's `afterAll`.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request as the server received it. */
export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: Buffer;
}

/** The running server. */
export interface FetchServer {
  readonly base: string;
  readonly received: Received[];
  /** Resolves when the next request's head has arrived (for abort-while-waiting tests). */
  nextArrival(): Promise<Received>;
  /** Ends the responses the `/stall` routes hold. */
  release(): void;
  close(): Promise<void>;
}

export const INTEGRITY_BODY = "integrity-checked body";
/** The body of `/pattern`: 3 MiB + 7 bytes of `i % 251`, sent in pieces of 100,000 bytes. */
export const PATTERN: Buffer = Buffer.from(Array.from({ length: 3 * 1024 * 1024 + 7 }, (_, i) => i % 251));
export const INTEGRITY_GOOD = `sha256-${createHash("sha256").update(INTEGRITY_BODY).digest("base64")}`;

/** Starts the server on port 0. */
export async function startFetchServer(): Promise<FetchServer> {
  const received: Received[] = [];
  const waiters: ((r: Received) => void)[] = [];
  const held: ServerResponse[] = [];
  const route = (req: IncomingMessage, res: ServerResponse, got: Received): void => {
    const path = (req.url ?? "/").split("?")[0];
    switch (path) {
      case "/redirect":
        res.writeHead(302, { Location: "/final?from=redirect" }).end("moved");
        return;
      case "/redirect-307":
        res.writeHead(307, { Location: "/echo" }).end();
        return;
      case "/final":
        res.end("final");
        return;
      case "/integrity":
        res.end(INTEGRITY_BODY);
        return;
      case "/no-content":
        res.writeHead(204).end();
        return;
      case "/pattern": {
        res.writeHead(200, { "Content-Length": String(PATTERN.length) });
        for (let at = 0; at < PATTERN.length; at += 100_000) res.write(PATTERN.subarray(at, at + 100_000));
        res.end();
        return;
      }
      case "/stall-head": // never answers until release()
        held.push(res);
        return;
      case "/stall-body": // the head and a first piece, then nothing until release()
        res.writeHead(200, { "Content-Length": "10" });
        res.write("first");
        held.push(res);
        return;
      default:
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify({ method: got.method, url: got.url, length: got.body.length }));
    }
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    const arrived = { method: req.method ?? "", url: req.url ?? "", headers: req.headers };
    const waiter = waiters.shift();
    if (waiter !== undefined) waiter({ ...arrived, body: Buffer.alloc(0) });
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const got: Received = { ...arrived, body: Buffer.concat(chunks) };
      received.push(got);
      route(req, res, got);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    received,
    nextArrival: () => new Promise((resolve) => waiters.push(resolve)),
    release() {
      for (const res of held.splice(0)) if (!res.destroyed) res.end(res.headersSent ? "later" : "late");
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
