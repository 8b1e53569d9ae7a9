/**
 * HTTPRequest.downloadFile over real loopback sockets: content identical, the previous file kept
 * byte for byte on every failure, no temporary file left behind, decoded content on disk.
 */
import * as fs from "node:fs";
import type { Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Method } from "../../src/status/method.ts";
import { Result } from "../../src/status/result.ts";
import { writeResponse } from "../helpers/loopback-server.ts";
import {
  afterTick,
  Cleanup,
  gz,
  makeTree,
  partFiles,
  patternBytes,
  runTree,
  runUntilComplete,
  serveHttp,
  sha256,
  writeChunked,
  writeHead,
  type ServedRequest,
} from "./loopback-helpers.ts";

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const OLD = Buffer.from("the previous content, which must survive\n");

async function serve(respond: (socket: Socket, request: ServedRequest) => void | Promise<void>) {
  return cleanup.server(await serveHttp(respond));
}

/** A temp dir holding `target` with the {@link OLD} content. */
function dirWithOldFile(): { dir: string; target: string } {
  const dir = cleanup.tempDir();
  const target = join(dir, "file.bin");
  fs.writeFileSync(target, OLD);
  return { dir, target };
}

/** A server that sends a head and the first `first` bytes of a `total`-byte body, then waits for `release`. */
async function stallingServer(total: number, first: number, after: (socket: Socket) => void = () => {}) {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const server = await serve(async (socket) => {
    writeHead(socket, 200, [`Content-Length: ${total}`]);
    socket.write(patternBytes(first, 5));
    await released;
    after(socket);
  });
  return { server, release };
}

describe("downloadFile: success", () => {
  it("a multi-MiB body lands identical (hash); the signal's body is empty; no .part remains", async () => {
    const body = patternBytes(6 * 1024 * 1024 + 123, 7);
    const server = await serve((socket) => writeResponse(socket, { body }));
    const { dir, target } = dirWithOldFile();
    const { node } = makeTree();
    node.downloadFile = target;
    node.request(`http://127.0.0.1:${server.port}/big`);
    let sawPart = false;
    const done = await runUntilComplete(node, {
      mode: "fixed",
      maxMs: 8000,
      onTick: () => {
        sawPart ||= partFiles(dir).length > 0;
      },
    });
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(done.code).toBe(200);
    expect(done.body.length).toBe(0);
    expect(sha256(fs.readFileSync(target))).toBe(sha256(body));
    expect(node.getDownloadedBytes()).toBe(body.length);
    expect(sawPart).toBe(true);
    expect(partFiles(dir)).toEqual([]);
  });

  it("a chunked body written in many small pieces lands identical", async () => {
    const body = patternBytes(300_000, 3);
    const server = await serve((socket) => {
      writeHead(socket, 200, ["Transfer-Encoding: chunked"]);
      writeChunked(socket, body, 777);
    });
    const { dir, target } = dirWithOldFile();
    const { node } = makeTree();
    node.downloadFile = target;
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_SUCCESS);
    expect(done.body.length).toBe(0);
    expect(sha256(fs.readFileSync(target))).toBe(sha256(body));
    expect(partFiles(dir)).toEqual([]);
  });

  it("a 0-byte 200 makes an empty file (replacing the previous one)", async () => {
    const server = await serve((socket) => writeResponse(socket, { body: "" }));
    const { dir, target } = dirWithOldFile();
    const { node } = makeTree();
    node.downloadFile = target;
    node.request(`http://127.0.0.1:${server.port}/empty`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_SUCCESS);
    expect(done.code).toBe(200);
    expect(done.headers).toEqual(["Content-Length: 0"]);
    expect(done.body.length).toBe(0);
    expect(fs.readFileSync(target).length).toBe(0);
    expect(partFiles(dir)).toEqual([]);
    // A fresh target is created too.
    const fresh = join(dir, "fresh.bin");
    node.downloadFile = fresh;
    node.request(`http://127.0.0.1:${server.port}/empty`);
    expect((await runUntilComplete(node, { mode: "fast", maxMs: 5000 })).result).toBe(Result.RESULT_SUCCESS);
    expect(fs.statSync(fresh).size).toBe(0);
  });

  it("a gzip response is written decoded", async () => {
    const plain = Buffer.from("line of text that compresses well\n".repeat(20_000));
    const server = await serve((socket) => writeResponse(socket, { headers: ["Content-Encoding: gzip"], body: gz(plain) }));
    const { dir, target } = dirWithOldFile();
    const { node } = makeTree();
    node.downloadFile = target;
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_SUCCESS);
    expect(done.body.length).toBe(0);
    expect(sha256(fs.readFileSync(target))).toBe(sha256(plain));
    expect(node.getDownloadedBytes()).toBe(gz(plain).length);
    expect(partFiles(dir)).toEqual([]);
  });
});

describe("downloadFile: the previous file is kept on every failure", () => {
  function expectKept(dir: string, target: string): void {
    expect(fs.readFileSync(target)).toEqual(OLD);
    expect(partFiles(dir)).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual(["file.bin"]);
  }

  it("reset mid-body → CONNECTION_ERROR", async () => {
    const { server, release } = await stallingServer(1_000_000, 100_000, (socket) => socket.resetAndDestroy());
    const { dir, target } = dirWithOldFile();
    const { node } = makeTree();
    node.downloadFile = target;
    node.request(`http://127.0.0.1:${server.port}/`);
    let sawPart = false;
    const done = await runUntilComplete(node, {
      mode: "fast",
      maxMs: 5000,
      onTick: () => {
        if (node.getDownloadedBytes() === 100_000 && !sawPart) {
          sawPart = partFiles(dir).length === 1;
          release();
        }
      },
    });
    expect(sawPart).toBe(true);
    expect(done.result).toBe(Result.RESULT_CONNECTION_ERROR);
    expect(done.code).toBe(200);
    expect(done.body.length).toBe(0);
    expect(node.getErrorReason()).toContain("ECONNRESET");
    expectKept(dir, target);
  });

  it("a close before the Content-Length is complete → CONNECTION_ERROR", async () => {
    const { server, release } = await stallingServer(1_000_000, 100_000, (socket) => socket.end());
    const { dir, target } = dirWithOldFile();
    const { node } = makeTree();
    node.downloadFile = target;
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, {
      mode: "loop",
      maxMs: 5000,
      onTick: () => {
        if (node.getDownloadedBytes() > 0) release();
      },
    });
    expect(done.result).toBe(Result.RESULT_CONNECTION_ERROR);
    expectKept(dir, target);
  });

  it("a body over bodySizeLimit (chunked, so only known while streaming) → BODY_SIZE_LIMIT_EXCEEDED", async () => {
    const server = await serve((socket) => {
      writeHead(socket, 200, ["Transfer-Encoding: chunked"]);
      writeChunked(socket, patternBytes(400_000), 10_000);
    });
    const { dir, target } = dirWithOldFile();
    const { node } = makeTree();
    node.downloadFile = target;
    node.bodySizeLimit = 150_000;
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_BODY_SIZE_LIMIT_EXCEEDED);
    expect(done.code).toBe(200);
    expectKept(dir, target);
  });

  it("a Content-Length over bodySizeLimit → BODY_SIZE_LIMIT_EXCEEDED before any file is created", async () => {
    const server = await serve((socket) => writeResponse(socket, { body: patternBytes(200_000) }));
    const { dir, target } = dirWithOldFile();
    const { node } = makeTree();
    node.downloadFile = target;
    node.bodySizeLimit = 1000;
    node.request(`http://127.0.0.1:${server.port}/`);
    let sawPart = false;
    const done = await runUntilComplete(node, {
      mode: "fast",
      maxMs: 5000,
      onTick: () => {
        sawPart ||= partFiles(dir).length > 0;
      },
    });
    expect(done.result).toBe(Result.RESULT_BODY_SIZE_LIMIT_EXCEEDED);
    expect(sawPart).toBe(false);
    expectKept(dir, target);
  });

  it("corrupt gzip data mid-stream → BODY_DECOMPRESS_FAILED", async () => {
    const good = gz(patternBytes(200_000, 11));
    const bad = Buffer.from(good);
    bad.fill(0x5a, Math.floor(bad.length / 2), Math.floor(bad.length / 2) + 64);
    const { tree, node } = makeTree();
    const server = await serve(async (socket) => {
      writeHead(socket, 200, ["Content-Encoding: gzip", `Content-Length: ${bad.length}`]);
      socket.write(bad.subarray(0, 1000));
      await afterTick(tree, () => node.getDownloadedBytes() >= 1000); // the first part is decoded into the file first
      socket.write(bad.subarray(1000));
    });
    const { dir, target } = dirWithOldFile();
    node.downloadFile = target;
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_BODY_DECOMPRESS_FAILED);
    expect(node.getErrorReason()).toMatch(/corrupt gzip data/);
    expectKept(dir, target);
  });

  it("a truncated gzip stream → BODY_DECOMPRESS_FAILED", async () => {
    const good = gz(patternBytes(100_000, 12));
    const server = await serve((socket) =>
      writeResponse(socket, { headers: ["Content-Encoding: gzip"], body: good.subarray(0, good.length - 20) }),
    );
    const { dir, target } = dirWithOldFile();
    const { node } = makeTree();
    node.downloadFile = target;
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_BODY_DECOMPRESS_FAILED);
    expectKept(dir, target);
  });

  it("cancelRequest() mid-body: nothing emitted, file kept", async () => {
    const { server } = await stallingServer(1_000_000, 100_000);
    const { dir, target } = dirWithOldFile();
    const { tree, node } = makeTree();
    node.downloadFile = target;
    node.request(`http://127.0.0.1:${server.port}/`);
    let emitted = 0;
    node.requestCompleted.connect(() => emitted++);
    let cancelled = false;
    await runTree(tree, () => cancelled, {
      mode: "fast",
      maxMs: 5000,
      onTick: () => {
        if (node.getDownloadedBytes() === 100_000 && partFiles(dir).length === 1) {
          node.cancelRequest();
          cancelled = true;
        }
      },
    });
    await runTree(tree, () => false, { mode: "loop", maxTicks: 5, maxMs: 1000 }).catch(() => {});
    expect(emitted).toBe(0);
    expectKept(dir, target);
    expect(node.getHttpClientStatus()).toBe(0);
  });

  it("timeout mid-body → TIMEOUT", async () => {
    const { server } = await stallingServer(1_000_000, 100_000);
    const { dir, target } = dirWithOldFile();
    const { node } = makeTree();
    node.downloadFile = target;
    node.timeout = 0.3;
    node.request(`http://127.0.0.1:${server.port}/`);
    let sawPart = false;
    const done = await runUntilComplete(node, {
      mode: "fixed",
      maxMs: 3000,
      onTick: () => {
        sawPart ||= partFiles(dir).length > 0;
      },
    });
    expect(sawPart).toBe(true);
    expect(done.result).toBe(Result.RESULT_TIMEOUT);
    expect(done.body.length).toBe(0);
    expectKept(dir, target);
  });

  it("the node removed from the tree mid-body: nothing emitted, file kept, connection closed", async () => {
    const { server } = await stallingServer(1_000_000, 100_000);
    const { dir, target } = dirWithOldFile();
    const { tree, node } = makeTree();
    node.downloadFile = target;
    node.request(`http://127.0.0.1:${server.port}/`);
    let emitted = 0;
    node.requestCompleted.connect(() => emitted++);
    let removed = false;
    await runTree(tree, () => removed, {
      mode: "fast",
      maxMs: 5000,
      onTick: () => {
        if (!removed && node.getDownloadedBytes() === 100_000 && partFiles(dir).length === 1) {
          tree.root.removeChild(node);
          removed = true;
        }
      },
    });
    expect(emitted).toBe(0);
    expectKept(dir, target);
    const socket = server.connections[0];
    await runTree(tree, () => socket?.destroyed === true || socket?.readableEnded === true, { mode: "loop", sleepMs: 1, maxMs: 2000 });
  });
});

describe("downloadFile: only a 2xx with content replaces the file (Godot W29)", () => {
  it("a 404 leaves the file untouched; the error page is in the signal", async () => {
    const server = await serve((socket) => writeResponse(socket, { status: 404, reason: "Not Found", body: "no such file" }));
    const { dir, target } = dirWithOldFile();
    const { node } = makeTree();
    node.downloadFile = target;
    node.request(`http://127.0.0.1:${server.port}/missing`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_SUCCESS);
    expect(done.code).toBe(404);
    expect(Buffer.from(done.body).toString()).toBe("no such file");
    expect(fs.readFileSync(target)).toEqual(OLD);
    expect(partFiles(dir)).toEqual([]);
  });

  it("a 304 answering a conditional request leaves the file untouched", async () => {
    const server = await serve((socket) => {
      socket.write('HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n');
    });
    const { dir, target } = dirWithOldFile();
    const { node } = makeTree();
    node.downloadFile = target;
    node.request(`http://127.0.0.1:${server.port}/file.bin`, ['If-None-Match: "v1"']);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_SUCCESS);
    expect(done.code).toBe(304);
    expect(fs.readFileSync(target)).toEqual(OLD);
    expect(partFiles(dir)).toEqual([]);
  });

  it("a 204 and a HEAD request leave the file untouched", async () => {
    const server = await serve((socket, request) => {
      socket.write(request.method === "HEAD" ? "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n" : "HTTP/1.1 204 No Content\r\n\r\n");
    });
    const { dir, target } = dirWithOldFile();
    const { node } = makeTree();
    node.downloadFile = target;
    for (const method of [Method.METHOD_GET, Method.METHOD_HEAD]) {
      node.request(`http://127.0.0.1:${server.port}/`, [], method);
      const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
      expect(done.result).toBe(Result.RESULT_SUCCESS);
      expect(fs.readFileSync(target)).toEqual(OLD);
    }
    expect(partFiles(dir)).toEqual([]);
  });
});

describe("downloadFile: file errors", () => {
  it("DOWNLOAD_FILE_CANT_OPEN for a directory that does not exist; code and headers kept", async () => {
    const server = await serve((socket) => writeResponse(socket, { headers: ["X-A: 1"], body: "abc" }));
    const dir = cleanup.tempDir();
    const { node } = makeTree();
    node.downloadFile = join(dir, "missing", "file.bin");
    node.request(`http://127.0.0.1:${server.port}/`);
    const done = await runUntilComplete(node, { mode: "fast", maxMs: 5000 });
    expect(done.result).toBe(Result.RESULT_DOWNLOAD_FILE_CANT_OPEN);
    expect(done.code).toBe(200);
    expect(done.headers).toEqual(["X-A: 1", "Content-Length: 3"]);
    expect(done.body.length).toBe(0);
    expect(node.getErrorReason()).toMatch(/does not exist/);
    expect(fs.existsSync(join(dir, "missing"))).toBe(false);
  });

  it("DOWNLOAD_FILE_WRITE_ERROR when the directory is removed between the head and the end of the body", async () => {
    const { server, release } = await stallingServer(300_000, 100_000, (socket) => socket.write(patternBytes(200_000, 6)));
    const dir = cleanup.tempDir();
    const sub = join(dir, "downloads");
    fs.mkdirSync(sub);
    const target = join(sub, "file.bin");
    const { node } = makeTree();
    node.downloadFile = target;
    node.request(`http://127.0.0.1:${server.port}/`);
    let removed = false;
    const done = await runUntilComplete(node, {
      mode: "fast",
      maxMs: 5000,
      onTick: () => {
        if (!removed && node.getDownloadedBytes() === 100_000 && partFiles(sub).length === 1) {
          fs.rmSync(sub, { recursive: true, force: true });
          removed = true;
          release();
        }
      },
    });
    expect(removed).toBe(true);
    expect(done.result).toBe(Result.RESULT_DOWNLOAD_FILE_WRITE_ERROR);
    expect(done.code).toBe(200);
    expect(done.body.length).toBe(0);
    expect(node.getErrorReason()).toMatch(/ENOENT/);
    expect(fs.existsSync(sub)).toBe(false);
  });
});
