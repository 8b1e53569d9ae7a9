// The embedded server of the demo: a node:http server on a free loopback port with a JSON API,
// a redirect chain, a gzip response and a large streamed download.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";

/** Size of the large download, in bytes. */
export const LARGE_FILE_BYTES = 96 * 1024 * 1024;

/** A running demo server. */
export interface DemoServer {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** Stops the server and drops its connections. */
  close(): Promise<void>;
}

/** The byte at offset `i` of the large file: a pattern a reader can check without storing it. */
export function largeFileByte(i: number): number {
  return (i * 31 + (i >>> 12)) & 0xff;
}

/** Starts the demo server. */
export async function startDemoServer(): Promise<DemoServer> {
  const block = Buffer.alloc(1024 * 1024);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://demo");
    if (url.pathname === "/api/player") {
      const body = JSON.stringify({ id: 42, name: "Ada", level: 7, inventory: ["sword", "lamp", "map"] });
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
      res.end(body);
    } else if (url.pathname.startsWith("/hop/")) {
      const n = Number(url.pathname.slice(5));
      if (n > 0) {
        res.writeHead(n % 2 === 0 ? 302 : 307, { Location: `/hop/${n - 1}`, "Content-Length": 0 });
        res.end();
      } else {
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end("you followed every hop\n");
      }
    } else if (url.pathname === "/news.txt") {
      const text = Array.from({ length: 2000 }, (_, i) => `line ${i}: the quick brown fox jumps over the lazy dog\n`).join("");
      const gz = gzipSync(text);
      res.writeHead(200, { "Content-Type": "text/plain", "Content-Encoding": "gzip", "Content-Length": gz.length });
      res.end(gz);
    } else if (url.pathname === "/level.pak") {
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": LARGE_FILE_BYTES });
      let offset = 0;
      const pump = (): void => {
        while (offset < LARGE_FILE_BYTES) {
          const n = Math.min(block.length, LARGE_FILE_BYTES - offset);
          for (let i = 0; i < n; i++) block[i] = largeFileByte(offset + i);
          offset += n;
          if (!res.write(Buffer.from(block.subarray(0, n)))) {
            res.once("drain", pump);
            return;
          }
        }
        res.end();
      };
      pump();
    } else {
      res.writeHead(404, { "Content-Length": 0 });
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
