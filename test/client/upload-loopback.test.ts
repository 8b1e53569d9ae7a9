// Streaming uploads over real loopback sockets to a node:http server that hashes what it receives:
// 256 MiB generated on the fly (Content-Length and chunked) with flat memory, and a file byte-exact.
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type BodySource, Err, FileBodySource, HTTPClient, Method, Status, StreamingBodySource } from "../../src/index.ts";
import { connect, describeClient, readBody } from "../helpers/client-driver.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { tick } from "../helpers/wait.ts";

const MiB = 1024 * 1024;
const BIG = 256 * MiB;
const track = cleanupAfterEach().track;

/** What the server saw: body size, SHA-256 and the framing headers. */
interface Received {
  readonly bytes: number;
  readonly sha256: string;
  readonly transferEncoding: string;
  readonly contentLength: string;
}

/** A node:http server (its parser de-chunks) that answers each request with what it received. */
async function hashingServer(): Promise<{ port: number }> {
  const server: Server = createServer((req, res) => {
    const hash = createHash("sha256");
    let bytes = 0;
    req.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    req.on("end", () => {
      const received: Received = {
        bytes,
        sha256: hash.digest("hex"),
        transferEncoding: req.headers["transfer-encoding"] ?? "",
        contentLength: req.headers["content-length"] ?? "",
      };
      res.end(JSON.stringify(received));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  track({
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { port: address.port };
}

/** Deterministic pseudo-random bytes: views into one 1 MiB block at shifting offsets (no allocation). */
class Generator {
  readonly hash = createHash("sha256");
  readonly total: number;
  produced = 0;
  readonly #block = randomBytes(MiB);
  #piece = 0;

  constructor(total: number) {
    this.total = total;
  }

  next(max: number): Uint8Array {
    const n = Math.min(max, this.total - this.produced, 256 * 1024);
    const offset = (this.#piece++ * 4099) % (this.#block.length - n + 1);
    const out = this.#block.subarray(offset, offset + n);
    this.hash.update(out);
    this.produced += n;
    return out;
  }
}

/** A custom BodySource of known length that generates its bytes as the client asks. */
function generatedSource(generator: Generator): BodySource {
  return {
    length: generator.total,
    read: (max) => (generator.produced === generator.total ? null : generator.next(max)),
    getError: () => "",
    close: () => undefined,
  };
}

const gc = (globalThis as { gc?: () => void }).gc;
const rss = (): number => process.memoryUsage.rss();

/**
 * Polls until the response head is in, calling `feed` before each poll and sampling RSS.
 *
 * @returns The largest RSS growth over `baseline` seen.
 */
async function pollUpload(client: HTTPClient, baseline: number, feed: () => void, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let peak = 0;
  for (let round = 0; client.getStatus() === Status.STATUS_REQUESTING; round++) {
    feed();
    client.poll();
    if (round % 8 === 0) peak = Math.max(peak, rss() - baseline);
    if (Date.now() > deadline)
      throw new Error(`upload timed out after ${client.getRequestBodyBytesSent()} bytes: ${describeClient(client)}`);
    await tick();
  }
  return peak;
}

async function answer(client: HTTPClient): Promise<Received> {
  expect(client.getStatus(), describeClient(client)).toBe(Status.STATUS_BODY);
  expect(client.getResponseCode()).toBe(200);
  const { body } = await readBody(client);
  return JSON.parse(body.toString("utf8")) as Received;
}

describe("HTTPClient streaming uploads over loopback", () => {
  it("streams 256 MiB with Content-Length, then 256 MiB chunked, with flat memory", async () => {
    const { port } = await hashingServer();
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", port);
    gc?.();
    const baseline = rss();
    const started = Date.now();

    // Content-Length: a custom source generating bytes as the client asks for them.
    const fixed = new Generator(BIG);
    expect(client.request(Method.METHOD_PUT, "/fixed", [], generatedSource(fixed))).toBe(Err.OK);
    const peakFixed = await pollUpload(client, baseline, () => undefined, 15_000);
    const first = await answer(client);
    expect(first).toEqual({ bytes: BIG, sha256: fixed.hash.digest("hex"), transferEncoding: "", contentLength: String(BIG) });
    expect(client.getRequestBodyBytesSent()).toBe(BIG);
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);

    // Chunked: the application writes a StreamingBodySource between polls, respecting write()'s false.
    const streamed = new Generator(BIG);
    const body = new StreamingBodySource();
    expect(client.request(Method.METHOD_POST, "/chunked", [], body)).toBe(Err.OK);
    let maxBuffered = 0;
    const peakChunked = await pollUpload(
      client,
      baseline,
      () => {
        while (streamed.produced < BIG && body.write(streamed.next(64 * 1024)));
        maxBuffered = Math.max(maxBuffered, body.getBufferedBytes());
        if (streamed.produced === BIG) body.end();
      },
      15_000,
    );
    const second = await answer(client);
    expect(second).toEqual({ bytes: BIG, sha256: streamed.hash.digest("hex"), transferEncoding: "chunked", contentLength: "" });
    expect(client.getRequestBodyBytesSent()).toBe(BIG);
    expect(maxBuffered).toBeLessThan(body.highWaterMark + 64 * 1024);

    const seconds = (Date.now() - started) / 1000;
    const growth = Math.max(peakFixed, peakChunked);
    console.log(
      `[upload] 2 × 256 MiB in ${seconds.toFixed(2)} s; RSS growth peak ${(growth / MiB).toFixed(1)} MiB ` +
        `(Content-Length ${(peakFixed / MiB).toFixed(1)}, chunked ${(peakChunked / MiB).toFixed(1)}; gc ${gc === undefined ? "not " : ""}exposed)`,
    );
    // 256 MiB held whole would show; with gc exposed the bound is tight, without it V8 may keep garbage a while.
    expect(growth).toBeLessThan((gc === undefined ? 96 : 64) * MiB);
  }, 30_000);

  it("uploads a 16 MiB file byte-exact and closes it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "poll-http-upload-"));
    track({ close: () => rmSync(dir, { recursive: true, force: true }) });
    const path = join(dir, "payload.bin");
    const content = randomBytes(16 * MiB);
    writeFileSync(path, content);
    const { port } = await hashingServer();
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", port);

    const opened = FileBodySource.open(path);
    if (!opened.ok) throw new Error(opened.reason);
    const source = track(opened.source);
    expect(client.request(Method.METHOD_PUT, "/file", ["Content-Type: application/octet-stream"], source)).toBe(Err.OK);
    expect(client.getRequestBodyLength()).toBe(16 * MiB);
    await pollUpload(client, rss(), () => undefined, 10_000);
    const received = await answer(client);
    expect(received).toEqual({
      bytes: 16 * MiB,
      sha256: createHash("sha256").update(content).digest("hex"),
      transferEncoding: "",
      contentLength: String(16 * MiB),
    });
    expect(source.isOpen()).toBe(false);
  });
});
