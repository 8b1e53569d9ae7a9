// A loopback origin server run as a child process, for tests whose own thread never yields (a
// synchronous loop over poll() or tree.process()): a server in the test's thread could not answer.
// Prints one JSON line {"http":PORT,"https":PORT} once both listen on 127.0.0.1 port 0.
//
// Routes (both ports):
//   /chunked        a chunked body: "chunk-0\n" … "chunk-9\n", one write per chunk
//   /small/ANY      "small ANY PORT" (PORT: the client's port, telling connections apart), keep-alive
//   /bytes?n=N      N bytes, byte i = i % 251, Content-Length
//   /count          "N": the number of request body bytes received
//   /slow           "late" after 1 s (the connection is accepted and read at once)
//   /stall          never answers
import { createServer as createHttp } from "node:http";
import { createServer as createHttps } from "node:https";
import { readFileSync } from "node:fs";

const fixture = (name) => readFileSync(new URL(`../fixtures/tls/${name}.pem`, import.meta.url), "utf8");
const BLOCK = Buffer.alloc(251 * 4096);
for (let i = 0; i < BLOCK.length; i++) BLOCK[i] = i % 251;

function sendBytes(res, total) {
  res.writeHead(200, { "Content-Length": String(total), "Content-Type": "application/octet-stream" });
  let sent = 0;
  const more = () => {
    while (sent < total) {
      const n = Math.min(BLOCK.length, total - sent);
      sent += n;
      if (!res.write(n === BLOCK.length ? BLOCK : BLOCK.subarray(0, n))) {
        res.once("drain", more);
        return;
      }
    }
    res.end();
  };
  more();
}

function handle(req, res) {
  const url = new URL(req.url, "http://origin");
  if (url.pathname === "/count") {
    let n = 0;
    req.on("data", (chunk) => {
      n += chunk.length;
    });
    req.on("end", () => {
      res.writeHead(200, { "Content-Length": String(String(n).length) });
      res.end(String(n));
    });
    return;
  }
  req.resume();
  if (url.pathname === "/chunked") {
    res.writeHead(200, { "Content-Type": "text/plain" });
    for (let i = 0; i < 10; i++) res.write(`chunk-${i}\n`);
    res.end();
  } else if (url.pathname.startsWith("/small/")) {
    const body = `small ${url.pathname.slice(7)} ${req.socket.remotePort}`;
    res.writeHead(200, { "Content-Length": String(body.length) });
    res.end(body);
  } else if (url.pathname === "/bytes") {
    sendBytes(res, Number(url.searchParams.get("n") ?? "0"));
  } else if (url.pathname === "/slow") {
    setTimeout(() => {
      res.writeHead(200, { "Content-Length": "4" });
      res.end("late");
    }, 1000);
  } else if (url.pathname === "/stall") {
    // never answers
  } else {
    res.writeHead(404, { "Content-Length": "0" });
    res.end();
  }
}

const http = createHttp({ keepAliveTimeout: 60_000 }, handle);
const https = createHttps({ cert: fixture("server"), key: fixture("server-key"), keepAliveTimeout: 60_000 }, handle);
const listen = (server) => new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
const [httpPort, httpsPort] = await Promise.all([listen(http), listen(https)]);
process.stdout.write(`${JSON.stringify({ http: httpPort, https: httpsPort })}\n`);
process.on("SIGTERM", () => process.exit(0));
