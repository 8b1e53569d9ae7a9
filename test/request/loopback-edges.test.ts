/**
 * HTTPRequest over real loopback sockets: framing and connection edge cases — read-until-close
 * bodies (Godot W13), HTTP/1.0, kept connections the server closes, interim responses, bodies
 * without content, redirects with bodies, TLS verification failures.
 */
import * as fs from "node:fs";
import type { Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TLSOptions } from "../../src/client/tls-options.ts";
import { SceneTree } from "../../src/request-node/scene-tree.ts";
import { Method } from "../../src/status/method.ts";
import { Result } from "../../src/status/result.ts";
import { Status } from "../../src/status/status.ts";
import { readRequestHead, startTcpServer, startTlsServer, writeResponse } from "../helpers/loopback-server.ts";
import { fixtures } from "../helpers/tls-fixtures.ts";
import {
  afterTick,
  Cleanup,
  finSeenByClient,
  gz,
  makeTree,
  partFiles,
  patternBytes,
  runUntilComplete,
  serveHttp,
  sha256,
  writeChunked,
  writeHead,
  written,
  type ServedRequest,
} from "./loopback-helpers.ts";

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function serve(respond: (socket: Socket, request: ServedRequest) => void | Promise<void>) {
  return cleanup.server(await serveHttp(respond));
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("utf8");

describe("bodies delimited by the close (Godot W13)", () => {
  it.each(["fixed", "fast", "loop"] as const)("data and FIN in separate writes → SUCCESS with the whole body (%s)", async (mode) => {
    const body = patternBytes(200_000, 4);
    const { tree, node } = makeTree();
    const server = await serve(async (socket) => {
      writeHead(socket, 200, ["Connection: close"]);
      socket.write(body.subarray(0, 65536)); // exactly one read chunk
      await afterTick(tree, () => node.getDownloadedBytes() >= 65536); // the client has read it
      socket.write(body.subarray(65536));
      await afterTick(tree, () => node.getDownloadedBytes() >= body.length);
      socket.end(); // the FIN comes alone, after every body byte was read
    });
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode, maxMs: 5000 });
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(sha256(done.body)).toBe(sha256(body));
    expect(node.getBodySize()).toBe(-1);
  });

  it("an HTTP/1.0 response without Content-Length", async () => {
    const server = await serve((socket) => {
      socket.end("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nold school");
    });
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_SUCCESS);
    expect(text(done.body)).toBe("old school");
  });

  it("a close-delimited body reset by the server → CONNECTION_ERROR, not a truncated SUCCESS", async () => {
    const { tree, node } = makeTree();
    const server = await serve(async (socket) => {
      writeHead(socket, 200, ["Connection: close"]);
      socket.write("some bytes");
      await afterTick(tree, () => node.getDownloadedBytes() >= 10); // the client has read them
      socket.resetAndDestroy();
    });
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_CONNECTION_ERROR);
    expect(node.getErrorReason()).toContain("ECONNRESET");
  });
});

describe("kept-alive connections", () => {
  it("a second request after the server closed the idle connection goes on a new connection", async () => {
    const server = await serve((socket, request) => {
      writeResponse(socket, { body: `answer ${request.index}` });
    });
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/1`);
    expect(text((await runUntilComplete(node, { mode: "fast", maxMs: 5000 })).body)).toBe("answer 1");
    // Keep-alive announced (HTTP/1.1 default) but closed while idle: the client has seen the FIN
    // before the next request, so that request never goes on the closed connection.
    const first = server.connections[0];
    if (first !== undefined) await finSeenByClient(first);
    node.request(`http://127.0.0.1:${server.port}/2`);
    const second = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(second.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(text(second.body)).toBe("answer 2");
    expect(server.connections.length).toBe(2);
  });

  it("a kept connection the server closes on receiving the next request is retried once on a new one (GET)", async () => {
    const server = await serve((socket, request) => {
      if (request.onConnection === 2) {
        socket.end(); // closes instead of answering the second request on this connection
        return;
      }
      writeResponse(socket, { body: `answer ${request.index}` });
    });
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/1`);
    await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    node.request(`http://127.0.0.1:${server.port}/2`);
    const second = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(second.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(text(second.body)).toBe("answer 3");
    expect(server.requests.map((r) => [r.target, r.onConnection])).toEqual([
      ["/1", 1],
      ["/2", 2],
      ["/2", 1],
    ]);
  });

  it("the same for a POST is not retried: NO_RESPONSE", async () => {
    const server = await serve((socket, request) => {
      if (request.onConnection === 2) {
        socket.end();
        return;
      }
      writeResponse(socket, { body: "first" });
    });
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/1`);
    await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    node.request(`http://127.0.0.1:${server.port}/2`, [], Method.METHOD_POST, "data");
    const second = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(second.result).toBe(Result.RESULT_NO_RESPONSE);
    expect(server.requests).toHaveLength(2);
  });

  it("bytes after the announced body make the connection unusable; the next request opens a new one", async () => {
    const server = await serve((socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA GARBAGE");
    });
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/1`);
    const first = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(first.result).toBe(Result.RESULT_SUCCESS);
    expect(text(first.body)).toBe("ok");
    node.request(`http://127.0.0.1:${server.port}/2`);
    const second = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(second.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(text(second.body)).toBe("ok");
    expect(server.connections.length).toBe(2);
  });
});

describe("responses without content and interim responses", () => {
  it("HEAD: Content-Length announced, no body read", async () => {
    const server = await serve((socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n");
    });
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/`, [], Method.METHOD_HEAD);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_SUCCESS);
    expect(done.headers).toEqual(["Content-Length: 12345"]);
    expect(done.body.length).toBe(0);
  });

  it("204 and 304 with a Content-Length complete at once (Godot W9)", async () => {
    const server = await serve((socket, request) => {
      const code = request.target === "/204" ? "204 No Content" : "304 Not Modified";
      socket.write(`HTTP/1.1 ${code}\r\nContent-Length: 50\r\n\r\n`);
    });
    for (const [path, code] of [
      ["/204", 204],
      ["/304", 304],
    ] as const) {
      const { node } = makeTree();
      node.request(`http://127.0.0.1:${server.port}${path}`);
      const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
      expect(done.result).toBe(Result.RESULT_SUCCESS);
      expect(done.code).toBe(code);
      expect(done.body.length).toBe(0);
    }
  });

  it("100 Continue and 103 Early Hints before the final response (Godot W9)", async () => {
    const server = await serve(async (socket) => {
      await written(socket, "HTTP/1.1 100 Continue\r\n\r\n");
      await written(socket, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n");
      writeResponse(socket, { body: "final" });
    });
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_SUCCESS);
    expect(done.code).toBe(200);
    expect(text(done.body)).toBe("final");
  });

  it("a response head over 64 KiB → CONNECTION_ERROR with a reason", async () => {
    const server = await serve((socket) => {
      writeHead(socket, 200, [`X-Big: ${"a".repeat(70_000)}`, "Content-Length: 0"]);
    });
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_CONNECTION_ERROR);
    expect(node.getErrorReason()).toMatch(/head|header/i);
  });

  it("a head dribbled byte by byte", async () => {
    const server = await serve(async (socket) => {
      const raw = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Slow: yes\r\n\r\nhello";
      for (const ch of raw) await written(socket, ch); // one write each, each handed to the kernel before the next
    });
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_SUCCESS);
    expect(done.headers).toEqual(["Content-Length: 5", "X-Slow: yes"]);
    expect(text(done.body)).toBe("hello");
  });
});

describe("redirects with bodies", () => {
  it("a 302 with a chunked body arriving over several ticks, then the target", async () => {
    const { tree, node } = makeTree();
    const server = await serve(async (socket, request) => {
      if (request.target === "/from") {
        writeHead(socket, 302, ["Location: /to", "Transfer-Encoding: chunked"]);
        for (let i = 0; i < 5; i++) {
          writeChunked(socket, Buffer.alloc(1000, 65 + i), 1000, false);
          const frame = tree.getFrame();
          await afterTick(tree, () => tree.getFrame() > frame); // each chunk in a tick of its own
        }
        socket.write("0\r\n\r\n");
      } else {
        writeResponse(socket, { body: "arrived" });
      }
    });
    node.request(`http://127.0.0.1:${server.port}/from`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(text(done.body)).toBe("arrived");
    expect(server.requests.map((r) => r.onConnection)).toEqual([1, 2]);
  });

  it("a 301 with a 1 MiB body: the body is not read to the end, the next hop uses a new connection", async () => {
    const server = await serve((socket, request) => {
      if (request.target === "/from")
        writeResponse(socket, { status: 301, headers: ["Location: /to"], body: Buffer.alloc(1024 * 1024, 1) });
      else writeResponse(socket, { body: "arrived" });
    });
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/from`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(text(done.body)).toBe("arrived");
    expect(server.connections.length).toBe(2);
  });

  it("303 after POST becomes a GET without body; downloadFile receives only the final body", async () => {
    const server = await serve((socket, request) => {
      if (request.target === "/post") writeResponse(socket, { status: 303, headers: ["Location: /result"], body: "see other page" });
      else writeResponse(socket, { body: "final body" });
    });
    const dir = cleanup.tempDir();
    const target = join(dir, "out.txt");
    const { node } = makeTree();
    node.downloadFile = target;
    node.request(`http://127.0.0.1:${server.port}/post`, ["Content-Type: text/plain"], Method.METHOD_POST, "payload");
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_SUCCESS);
    expect(fs.readFileSync(target, "utf8")).toBe("final body");
    expect(partFiles(dir)).toEqual([]);
    const [post, get] = server.requests;
    expect([post?.method, post?.body.toString()]).toEqual(["POST", "payload"]);
    expect([get?.method, get?.body.length, get?.header("content-type")]).toEqual(["GET", 0, undefined]);
  });

  it("http → https across servers with the fixture CA", async () => {
    const secure = cleanup.server(
      await startTlsServer({ cert: fixtures.serverCert, key: fixtures.serverKey }, (socket) => {
        readRequestHead(socket)
          .then(() => writeResponse(socket, { headers: ["Content-Encoding: gzip"], body: gz("over tls") }))
          .catch(() => {});
      }),
    );
    const plain = await serve((socket) =>
      writeResponse(socket, { status: 308, headers: [`Location: https://localhost:${secure.port}/x`] }),
    );
    const { node } = makeTree();
    node.setTlsOptions(TLSOptions.client(fixtures.ca));
    node.request(`http://127.0.0.1:${plain.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(text(done.body)).toBe("over tls");
  });
});

describe("TLS verification failures name their cause", () => {
  it.each([
    ["a certificate for another host", fixtures.wrongHostCert, fixtures.wrongHostKey, "ERR_TLS_CERT_ALTNAME_INVALID"],
    ["an expired certificate", fixtures.expiredCert, fixtures.expiredKey, "CERT_HAS_EXPIRED"],
  ])("%s → TLS_HANDSHAKE_ERROR", async (_name, cert, key, code) => {
    const server = cleanup.server(await startTlsServer({ cert, key }, (socket) => writeResponse(socket, { body: "no" })));
    const { node } = makeTree();
    node.setTlsOptions(TLSOptions.client(fixtures.ca));
    node.request(`https://localhost:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_TLS_HANDSHAKE_ERROR);
    expect(node.getErrorReason()).toContain(code);
  });

  it("TLSOptions.clientUnsafe() accepts the self-signed server", async () => {
    const server = cleanup.server(
      await startTlsServer({ cert: fixtures.selfSignedCert, key: fixtures.selfSignedKey }, (socket) => {
        readRequestHead(socket)
          .then(() => writeResponse(socket, { body: "unsafe ok" }))
          .catch(() => {});
      }),
    );
    const { node } = makeTree();
    node.setTlsOptions(TLSOptions.clientUnsafe());
    node.request(`https://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(text(done.body)).toBe("unsafe ok");
  });
});

describe("timeouts in every phase", () => {
  it("during the TLS handshake (a TCP server that never speaks TLS)", async () => {
    const server = cleanup.server(await startTcpServer(() => {}));
    const { node } = makeTree();
    node.timeout = 0.2;
    node.request(`https://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "loop", sleepMs: 5, maxMs: 3000 });
    expect(done.result).toBe(Result.RESULT_TIMEOUT);
    expect(node.getErrorReason()).toBe("timed out after 0.2 s");
  });

  it("a body that keeps trickling does not reset the overall deadline", async () => {
    const { tree, node } = makeTree();
    const server = await serve(async (socket) => {
      writeHead(socket, 200, ["Content-Length: 100000"]);
      // A byte after each tick in which the client read one: the body never stops arriving, and
      // could not end before the deadline (100,000 ticks).
      while (!socket.destroyed) {
        await written(socket, "x");
        const downloaded = node.getDownloadedBytes();
        await afterTick(tree, () => node.getDownloadedBytes() > downloaded || !node.isInsideTree() || socket.destroyed);
      }
    });
    node.timeout = 0.3;
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fixed", fps: 60, maxMs: 3000 }); // a byte per frame
    expect(done.result).toBe(Result.RESULT_TIMEOUT);
    expect(node.getDownloadedBytes()).toBeGreaterThan(0); // bytes kept coming until the deadline
    expect(done.body.length).toBe(0);
  });
});

describe("uploads", () => {
  it.each(["fixed", "fast"] as const)(
    "an 8 MiB POST body arrives intact (%s): the runner is woken when the socket takes more",
    async (mode) => {
      const body = patternBytes(8 * 1024 * 1024, 8);
      const server = await serve((socket, request) => writeResponse(socket, { body: sha256(request.body) }));
      const { node } = makeTree();
      node.request(`http://127.0.0.1:${server.port}/upload`, ["Content-Type: application/octet-stream"], Method.METHOD_POST, body);
      const done = await runUntilComplete(node, { mode, maxMs: 5000 });
      expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
      expect(text(done.body)).toBe(sha256(body));
      if (mode === "fixed") expect(done.completedAtTick).toBeLessThanOrEqual(20); // about 1 MiB (the write bound) per tick
    },
  );

  it("an early 413 while the body is still being sent: the answer is delivered", async () => {
    const server = cleanup.server(
      await startTcpServer((socket) => {
        readRequestHead(socket)
          .then(() => writeResponse(socket, { status: 413, reason: "Too Large", body: "too big", close: true }))
          .catch(() => {});
      }),
    );
    const { node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/`, [], Method.METHOD_POST, patternBytes(16 * 1024 * 1024));
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(done.code).toBe(413);
    expect(text(done.body)).toBe("too big");
  });
});

describe("the node and its connection", () => {
  it("a node moved to another tree wakes that tree's runner (as-fast-as-possible sleeps until woken)", async () => {
    let asleep: (() => Promise<void>) | null = null;
    const server = await serve(async (socket, request) => {
      await asleep?.(); // the runner is asleep when the answer comes
      writeResponse(socket, { body: `answer ${request.index}` });
    });
    const { tree, node } = makeTree();
    node.request(`http://127.0.0.1:${server.port}/`);
    expect(text((await runUntilComplete(node, { mode: "fast", maxMs: 3000 })).body)).toBe("answer 1");
    tree.root.removeChild(node);
    const other = new SceneTree();
    other.root.addChild(node);
    // Asleep: a tick found the request sent and nothing to do, and no wake is pending after it.
    asleep = async () => {
      // No wake pending after a tick that left the request waiting: the runner sleeps until woken.
      while (other.isWakePending() || node.getHttpClientStatus() !== Status.STATUS_REQUESTING) await afterTick(other);
    };
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 3000 });
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(text(done.body)).toBe("answer 2");
    expect(done.ticks).toBeLessThan(50);
  });

  it("a kept TLS connection verified with clientUnsafe() is not reused once verifying options are set", async () => {
    const server = cleanup.server(
      await startTlsServer({ cert: fixtures.selfSignedCert, key: fixtures.selfSignedKey }, (socket) => {
        const next = (rest?: Buffer): void => {
          readRequestHead(socket, rest)
            .then((head) => {
              writeResponse(socket, { body: "ok" });
              next(head.rest);
            })
            .catch(() => {});
        };
        next();
      }),
    );
    const { node } = makeTree();
    const unsafe = TLSOptions.clientUnsafe();
    node.setTlsOptions(unsafe);
    node.request(`https://127.0.0.1:${server.port}/`);
    expect((await runUntilComplete(node, { mode: "fast", maxMs: 3000 })).result).toBe(Result.RESULT_SUCCESS);
    node.request(`https://127.0.0.1:${server.port}/`); // same options: the connection is reused
    expect((await runUntilComplete(node, { mode: "fast", maxMs: 3000 })).result).toBe(Result.RESULT_SUCCESS);
    expect(server.connections.length).toBe(1);
    node.setTlsOptions(TLSOptions.client());
    node.request(`https://127.0.0.1:${server.port}/`);
    const strict = await runUntilComplete(node, { mode: "fast", maxMs: 3000 });
    expect(strict.result).toBe(Result.RESULT_TLS_HANDSHAKE_ERROR);
    expect(node.getErrorReason()).toContain("DEPTH_ZERO_SELF_SIGNED_CERT");
  });
});
