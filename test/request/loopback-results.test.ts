/**
 * HTTPRequest over real loopback sockets: every failure Result produced for real, and the success
 * cases (JSON, HTTPS with the fixture CA, a redirect across two servers).
 */
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { TLSOptions } from "../../src/client/tls-options.ts";
import { Result } from "../../src/status/result.ts";
import { Err } from "../../src/status/err.ts";
import { Method } from "../../src/status/method.ts";
import { getRefusedPort, readRequestHead, startTlsServer, writeResponse } from "../helpers/loopback-server.ts";
import { fixtures } from "../helpers/tls-fixtures.ts";
import {
  afterTick,
  Cleanup,
  gz,
  makeTree,
  runUntilComplete,
  serveHttp,
  writeChunked,
  writeHead,
  type LoopMode,
  type ServedRequest,
} from "./loopback-helpers.ts";

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("utf8");

/** A keep-alive server answering each request with `respond(socket, request)`. */
async function serve(respond: (socket: Socket, request: ServedRequest) => void | Promise<void>) {
  return cleanup.server(await serveHttp(respond));
}

describe("connection failures", () => {
  it("CANT_RESOLVE for a name in .invalid", async () => {
    const { node } = makeTree();
    expect(node.request("http://nonexistent.invalid/")).toBe(Err.OK);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 8000 });
    expect(done.result).toBe(Result.RESULT_CANT_RESOLVE);
    expect(done.code).toBe(0);
    expect(done.headers).toEqual([]);
    expect(done.body.length).toBe(0);
    expect(node.getErrorReason()).toMatch(/nonexistent\.invalid|ENOTFOUND|EAI_/);
  });

  it.each<LoopMode>(["fixed", "fast", "loop"])("CANT_CONNECT for a refused port (%s)", async (mode) => {
    const port = await getRefusedPort();
    const { node } = makeTree();
    expect(node.request(`http://127.0.0.1:${port}/`)).toBe(Err.OK);
    const done = await runUntilComplete(node, { mode, maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_CANT_CONNECT);
    expect([done.code, done.headers, done.body.length]).toEqual([0, [], 0]);
    expect(node.getErrorReason()).toContain("ECONNREFUSED");
  });

  it("TLS_HANDSHAKE_ERROR against a self-signed server without a CA, with Node's code in the reason", async () => {
    const server = cleanup.server(
      await startTlsServer({ cert: fixtures.selfSignedCert, key: fixtures.selfSignedKey }, (socket) => {
        writeResponse(socket, { body: "never" });
      }),
    );
    const { node } = makeTree();
    node.request(`https://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_TLS_HANDSHAKE_ERROR);
    expect([done.code, done.headers, done.body.length]).toEqual([0, [], 0]);
    expect(node.getErrorReason()).toContain("DEPTH_ZERO_SELF_SIGNED_CERT");
  });

  it("NO_RESPONSE when the server reads the request and closes without a byte", async () => {
    let requests = 0;
    const server = await serve((socket) => {
      requests++;
      socket.end();
    });
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fixed", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_NO_RESPONSE);
    expect([done.code, done.headers, done.body.length]).toEqual([0, [], 0]);
    expect(node.getErrorReason()).toMatch(/no response/);
    expect(requests).toBe(1);
  });

  it("TIMEOUT from a server that accepts and never answers (timeout 0.3 s, real-time runner)", async () => {
    const server = await serve(() => {});
    for (const mode of ["fixed", "fast"] as const) {
      const { node } = makeTree();
      node.timeout = 0.3;
      node.request(`http://127.0.0.1:${server.port}/`);
      const done = await runUntilComplete(node, { mode, maxMs: 3000 });
      expect(done.result).toBe(Result.RESULT_TIMEOUT);
      expect([done.code, done.headers, done.body.length]).toEqual([0, [], 0]);
      expect(node.getErrorReason()).toMatch(/timed out after 0\.3 s/);
      if (mode === "fast") expect(done.ticks).toBeLessThan(30); // it sleeps until the deadline
    }
  });
});

describe("a response cut short", () => {
  it("CONNECTION_ERROR on a reset mid-body; code and headers kept, body empty", async () => {
    const { tree, node } = makeTree();
    const server = await serve(async (socket) => {
      writeHead(socket, 200, ["Content-Length: 100000", "X-Test: reset"]);
      socket.write(Buffer.alloc(30000, 7));
      await afterTick(tree, () => node.getDownloadedBytes() >= 30000); // the client has read them: the reset lands mid-body
      socket.resetAndDestroy();
    });
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_CONNECTION_ERROR);
    expect(done.code).toBe(200);
    expect(done.headers).toEqual(["Content-Length: 100000", "X-Test: reset"]);
    expect(done.body.length).toBe(0);
    expect(node.getErrorReason()).toContain("ECONNRESET");
    expect(node.getDownloadedBytes()).toBe(30000);
  });

  it("CONNECTION_ERROR when a Content-Length body is cut short by a close (not CANT_CONNECT as in Godot, W12)", async () => {
    const server = await serve((socket) => {
      writeHead(socket, 200, ["Content-Length: 5000"]);
      socket.end(Buffer.alloc(1234, 1));
    });
    for (const mode of ["fixed", "fast", "loop"] as const) {
      const { node } = makeTree();
      node.request(`http://127.0.0.1:${server.port}/`);
      const done = await runUntilComplete(node, { mode, maxMs: 5000 });
      expect(done.result).toBe(Result.RESULT_CONNECTION_ERROR);
      expect(done.code).toBe(200);
      expect(done.headers).toEqual(["Content-Length: 5000"]);
      expect(done.body.length).toBe(0);
      expect(node.getErrorReason()).toMatch(/1234/);
      expect(node.getErrorReason()).toMatch(/5000|short|closed/);
    }
  });

  it("CONNECTION_ERROR when a chunked body is cut short by a close (not SUCCESS as in Godot, W12)", async () => {
    const server = await serve((socket) => {
      writeHead(socket, 200, ["Transfer-Encoding: chunked"]);
      writeChunked(socket, Buffer.from("partial body"), 4, false);
      socket.end();
    });
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_CONNECTION_ERROR);
    expect(done.code).toBe(200);
    expect(done.headers).toEqual(["Transfer-Encoding: chunked"]);
    expect(done.body.length).toBe(0);
    expect(node.getErrorReason()).toMatch(/closed|short|end/i);
  });

  it("BODY_DECOMPRESS_FAILED for a truncated gzip stream delivered completely (not SUCCESS as in Godot, W12)", async () => {
    const whole = gz("x".repeat(10000) + "the end");
    const cut = whole.subarray(0, whole.length - 12);
    const server = await serve((socket) => writeResponse(socket, { headers: ["Content-Encoding: gzip"], body: cut }));
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_BODY_DECOMPRESS_FAILED);
    expect(done.code).toBe(200);
    expect(done.headers).toContain("Content-Encoding: gzip");
    expect(done.body.length).toBe(0);
    expect(node.getErrorReason()).toMatch(/unexpected end of gzip stream/);
  });

  it("BODY_DECOMPRESS_FAILED for corrupt gzip data", async () => {
    const corrupt = Buffer.from(gz("hello hello hello hello"));
    corrupt.fill(0xa5, 10, 20);
    const server = await serve((socket) => writeResponse(socket, { headers: ["Content-Encoding: gzip"], body: corrupt }));
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_BODY_DECOMPRESS_FAILED);
    expect(done.code).toBe(200);
    expect(done.body.length).toBe(0);
    expect(node.getErrorReason()).toMatch(/corrupt gzip data/);
  });
});

describe("framing and limits", () => {
  it("CHUNKED_BODY_SIZE_MISMATCH when the server sends both Content-Length and Transfer-Encoding: chunked", async () => {
    const server = await serve((socket) => {
      writeHead(socket, 200, ["Content-Length: 5", "Transfer-Encoding: chunked"]);
      writeChunked(socket, Buffer.from("hello"), 5);
    });
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_CHUNKED_BODY_SIZE_MISMATCH);
    expect(done.body.length).toBe(0);
    expect(node.getErrorReason()).toMatch(/Content-Length with Transfer-Encoding/);
  });

  it("BODY_SIZE_LIMIT_EXCEEDED at the head for a Content-Length over the limit: no body byte kept, quickly", async () => {
    const server = await serve((socket) => {
      writeHead(socket, 200, [`Content-Length: ${64 * 1024 * 1024}`]);
      // Stream plenty; the client must not wait for it.
      const piece = Buffer.alloc(256 * 1024, 3);
      const pump = (): void => {
        while (!socket.destroyed && socket.write(piece));
        if (!socket.destroyed) socket.once("drain", pump);
      };
      pump();
    });
    const { node } = makeTree();
    node.bodySizeLimit = 1000;
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fixed", maxMs: 3000 });
    expect(done.result).toBe(Result.RESULT_BODY_SIZE_LIMIT_EXCEEDED);
    expect(done.code).toBe(200);
    expect(done.headers).toEqual([`Content-Length: ${64 * 1024 * 1024}`]);
    expect(done.body.length).toBe(0);
    expect(node.getDownloadedBytes()).toBe(0);
    expect(node.getBodySize()).toBe(64 * 1024 * 1024);
    expect(node.getErrorReason()).toMatch(/Content-Length 67108864 exceeds bodySizeLimit 1000/);
    expect(done.ticks).toBeLessThanOrEqual(6);
  });

  it("BODY_SIZE_LIMIT_EXCEEDED for a chunked body growing over the limit", async () => {
    const server = await serve((socket) => {
      writeHead(socket, 200, ["Transfer-Encoding: chunked"]);
      writeChunked(socket, Buffer.alloc(50_000, 9), 1000);
    });
    const { node } = makeTree();
    node.bodySizeLimit = 20_000;
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_BODY_SIZE_LIMIT_EXCEEDED);
    expect(done.code).toBe(200);
    expect(done.headers).toEqual(["Transfer-Encoding: chunked"]);
    expect(done.body.length).toBe(0);
    expect(node.getDownloadedBytes()).toBeGreaterThan(20_000);
    expect(node.getDownloadedBytes()).toBeLessThanOrEqual(21_000);
    expect(node.getErrorReason()).toMatch(/exceeds bodySizeLimit \(20000 bytes/);
  });

  it("a body exactly at the limit succeeds", async () => {
    const server = await serve((socket) => writeResponse(socket, { body: Buffer.alloc(20_000, 1) }));
    const { node } = makeTree();
    node.bodySizeLimit = 20_000;
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_SUCCESS);
    expect(done.body.length).toBe(20_000);
  });
});

describe("redirects", () => {
  it("REDIRECT_LIMIT_REACHED on a redirect loop with maxRedirects 3: the 3xx code and headers are in the signal", async () => {
    const server = await serve((socket, request) => {
      writeResponse(socket, { status: 302, reason: "Found", headers: [`Location: /loop/${request.index}`], body: "moved" });
    });
    const { node } = makeTree();
    node.maxRedirects = 3;
    node.request(`http://127.0.0.1:${server.port}/loop/0`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_REDIRECT_LIMIT_REACHED);
    expect(done.code).toBe(302);
    expect(done.headers).toEqual(["Location: /loop/4", "Content-Length: 5"]);
    expect(done.body.length).toBe(0);
    expect(server.requests.map((r) => r.requestLine)).toEqual([
      "GET /loop/0 HTTP/1.1",
      "GET /loop/1 HTTP/1.1",
      "GET /loop/2 HTTP/1.1",
      "GET /loop/3 HTTP/1.1",
    ]);
    expect(node.getErrorReason()).toMatch(/more than 3 redirects/);
  });

  it("SUCCESS across two real servers; Authorization and Cookie dropped for the new origin, kept on the same one", async () => {
    const b = await serve((socket) => writeResponse(socket, { headers: ["Content-Type: text/plain"], body: "from b" }));
    const a = await serve((socket, request) => {
      if (request.target === "/start") writeResponse(socket, { status: 302, headers: ["Location: /same"], body: "" });
      else writeResponse(socket, { status: 307, headers: [`Location: http://localhost:${b.port}/end?x=1`] });
    });
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${a.port}/start`, ["Authorization: Bearer secret", "Cookie: c=1", "X-Keep: yes"]);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_SUCCESS);
    expect(done.code).toBe(200);
    expect(text(done.body)).toBe("from b");
    expect(a.requests.map((r) => r.requestLine)).toEqual(["GET /start HTTP/1.1", "GET /same HTTP/1.1"]);
    expect(a.requests.map((r) => r.onConnection)).toEqual([1, 2]); // the same-origin hop reused the connection
    expect(a.requests[1]?.header("authorization")).toBe("Bearer secret");
    const last = b.requests[0];
    expect(last?.requestLine).toBe("GET /end?x=1 HTTP/1.1");
    expect(last?.header("host")).toBe(`localhost:${b.port}`);
    expect(last?.header("x-keep")).toBe("yes");
    expect(last?.header("authorization")).toBeUndefined();
    expect(last?.header("cookie")).toBeUndefined();
    expect(b.requests).toHaveLength(1);
  });
});

describe("success", () => {
  it.each<LoopMode>(["fixed", "fast", "loop"])("a JSON body (%s)", async (mode) => {
    const payload = { hello: "wörld", list: [1, 2, 3], nested: { ok: true } };
    const server = await serve((socket) => {
      writeResponse(socket, { headers: ["Content-Type: application/json; charset=utf-8"], body: JSON.stringify(payload) });
    });
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/data.json?q=1`, ["Accept: application/json"]);
    const done = await runUntilComplete(node, { mode, maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_SUCCESS);
    expect(done.code).toBe(200);
    expect(done.headers).toContain("Content-Type: application/json; charset=utf-8");
    expect(JSON.parse(text(done.body))).toEqual(payload);
    expect(node.getErrorReason()).toBe("");
    expect(server.requests[0]?.requestLine).toBe("GET /data.json?q=1 HTTP/1.1");
    expect(server.requests[0]?.header("host")).toBe(`127.0.0.1:${server.port}`);
    expect(server.requests[0]?.header("accept-encoding")).toBe("gzip, deflate");
    if (mode === "fixed") expect(done.completedAtTick).toBeLessThanOrEqual(8);
  });

  it("HTTPS with the fixture CA through setTlsOptions(TLSOptions.client(ca))", async () => {
    const server = cleanup.server(
      await startTlsServer({ cert: fixtures.serverCert, key: fixtures.serverKey }, (socket) => {
        readRequestHead(socket)
          .then(() => writeResponse(socket, { body: "secure hello" }))
          .catch(() => {});
      }),
    );
    for (const host of ["127.0.0.1", "localhost"]) {
      const { node } = makeTree();
      node.setTlsOptions(TLSOptions.client(fixtures.ca));
      node.request(`https://${host}:${server.port}/`);
      const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
      expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
      expect(text(done.body)).toBe("secure hello");
    }
  });

  it("a POST body arrives intact and a new request can start from the completion handler", async () => {
    const server = await serve((socket, request) => writeResponse(socket, { body: `got ${request.body.length}` }));
    const { node } = makeTree();
    let second = false;
    node.requestCompleted.connect(() => {
      if (!second) {
        second = true;
        expect(node.request(`http://127.0.0.1:${server.port}/2`, [], Method.METHOD_POST, "second")).toBe(Err.OK);
      }
    });
    node.request(`http://127.0.0.1:${server.port}/1`, ["Content-Type: text/plain"], Method.METHOD_POST, "x".repeat(300_000));
    const first = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(text(first.body)).toBe("got 300000");
    const next = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(next.result).toBe(Result.RESULT_SUCCESS);
    expect(text(next.body)).toBe("got 6");
    expect(server.requests.map((r) => r.body.toString("utf8"))).toEqual(["x".repeat(300_000), "second"]);
    expect(server.requests.map((r) => r.onConnection)).toEqual([1, 2]);
  });
});
