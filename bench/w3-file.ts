// W3, bulk into a file: the same large bodies as W3 (Content-Length, then chunked) written to a
// file in the OS temp dir, which is removed after each download.
import { closeSync, createWriteStream, openSync, rmSync, writeSync } from "node:fs";
import { get as httpGet } from "node:http";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Err, HTTPRequest, Result, SceneTree, TreeRunner } from "../src/index.ts";
import { type ChildSample, type ChildSpec, runInChild } from "./child.ts";
import { type ClientEntry, type Column, type Row, RssSampler, selectClients, startSpan, withTimeout } from "./measure.ts";
import { connectClient, getOnce } from "./poll-driver.ts";
import { bulkPath, bulkResponseWireBytes } from "./server.ts";
import { runW3Framings, type W3Options } from "./w3-bulk.ts";
import { WireEnd } from "./wire-end.ts";
import { loadUndici } from "./undici-peer.ts";

/** Downloads one body into `file` over a new connection; returns the body bytes written (-1: wire bytes). */
type FileClient = (path: string, file: string, wireBytes: number) => Promise<number>;

const PIECE_MAX = 1 << 20;

/** poll-http HTTPClient, each received piece written with fs.writeSync. */
function pollHttp(port: number): FileClient {
  return async (path, file) => {
    const client = await connectClient("immediate", port);
    const fd = openSync(file, "w");
    let bytes = 0;
    try {
      await getOnce(client, "immediate", path, PIECE_MAX, (piece) => {
        bytes += writeSync(fd, piece);
      });
    } finally {
      client.close();
      closeSync(fd);
    }
    return bytes;
  };
}

/** poll-http HTTPRequest with `downloadFile`, in a SceneTree run by TreeRunner as-fast-as-possible. */
function pollNode(port: number): FileClient {
  return async (path, file) => {
    const tree = new SceneTree();
    const request = new HTTPRequest();
    tree.root.addChild(request);
    request.downloadFile = file;
    const runner = new TreeRunner(tree, { mode: "as-fast-as-possible" });
    let outcome = "";
    request.requestCompleted.connect((result, code) => {
      outcome = result === Result.RESULT_SUCCESS && code === 200 ? "" : `result ${result}, code ${code}: ${request.getErrorReason()}`;
      runner.stop();
    });
    if (request.request(`http://127.0.0.1:${port}${path}`) !== Err.OK) throw new Error(`request(): ${request.getErrorReason()}`);
    runner.start();
    await runner.whenStopped();
    const bytes = request.getDownloadedBytes();
    request.queueFree();
    tree.process(0);
    if (outcome !== "") throw new Error(outcome);
    return bytes;
  };
}

function undici(port: number): FileClient {
  return async (path, file) => {
    const { Client } = await loadUndici();
    const client = new Client(`http://127.0.0.1:${port}`);
    try {
      const { body } = await client.request({ path, method: "GET" });
      const out = createWriteStream(file);
      await pipeline(body, out);
      return out.bytesWritten;
    } finally {
      await client.close();
    }
  };
}

function nodeHttp(port: number): FileClient {
  return (path, file) =>
    new Promise<number>((resolve, reject) => {
      const req = httpGet({ host: "127.0.0.1", port, path, agent: false }, (res) => {
        const out = createWriteStream(file);
        pipeline(res, out).then(() => resolve(out.bytesWritten), reject);
      });
      req.on("error", reject);
    });
}

function globalFetch(port: number): FileClient {
  return async (path, file) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    if (res.body === null) return 0;
    const out = createWriteStream(file);
    await pipeline(Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>), out);
    return out.bytesWritten;
  };
}

/** The floor: a bare socket writing every received byte (head and framing too) with fs.writeSync. */
function rawSocket(port: number): FileClient {
  return (path, file, wireBytes) =>
    new Promise<number>((resolve, reject) => {
      const fd = openSync(file, "w");
      const end = new WireEnd(wireBytes);
      const socket = netConnect({ host: "127.0.0.1", port });
      socket.setNoDelay(true);
      let done = false;
      socket.on("connect", () =>
        socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: raw\r\nAccept: */*\r\n\r\n`, "latin1"),
      );
      socket.on("data", (chunk: Buffer) => {
        writeSync(fd, chunk);
        if (end.push(chunk)) {
          done = true;
          socket.destroy();
          closeSync(fd);
          resolve(-1);
        }
      });
      socket.on("error", reject);
      socket.on("close", () => {
        if (!done) {
          closeSync(fd);
          reject(new Error("closed before the end of the response"));
        }
      });
    });
}

function entries(port: number): ReadonlyArray<ClientEntry<FileClient>> {
  return [
    { id: "poll", name: "poll-http", make: () => pollHttp(port) },
    { id: "poll-node", name: "poll-http HTTPRequest downloadFile", make: () => pollNode(port) },
    { id: "undici", name: "undici", make: () => undici(port) },
    { id: "http", name: "node:http", make: () => nodeHttp(port) },
    { id: "fetch", name: "fetch", make: () => globalFetch(port) },
    { id: "raw", name: "raw socket", make: () => rawSocket(port) },
  ];
}

/** The rows run when `--clients` is not given (fetch only with `--clients …,fetch`; it is the slowest by far). */
const DEFAULT_FILE_CLIENTS = ["poll", "poll-node", "undici", "http", "raw"];

const MIB = 1024 * 1024;

/**
 * Measures one download into a file in this process: RSS baseline after a full GC, a warm-up
 * download, then the measured one; the file is removed after each.
 *
 * @returns The sample.
 */
export async function measureW3File(spec: Extract<ChildSpec, { kind: "w3file" }>): Promise<ChildSample> {
  const entry = entries(spec.port).find((e) => e.id === spec.client);
  if (entry === undefined) throw new Error(`unknown W3 file client ${spec.client}`);
  const wire = (n: number): number => (spec.nginx === true ? -1 : bulkResponseWireBytes(n, spec.chunked));
  const file = join(tmpdir(), `poll-http-bench-${process.pid}.bin`);
  const rss = new RssSampler(5);
  try {
    if (spec.warmupMib > 0) {
      const warm = spec.warmupMib * MIB;
      await withTimeout(entry.make()(bulkPath(warm, spec.chunked), file, wire(warm)), 60_000, `${entry.name} warm-up`);
      rmSync(file, { force: true });
    }
    const bytes = spec.mib * MIB;
    const download = entry.make();
    const end = startSpan();
    const got = await withTimeout(download(bulkPath(bytes, spec.chunked), file, wire(bytes)), 120_000, `${entry.name} download`);
    const span = end();
    return { seconds: span.seconds, cpuSeconds: span.cpuSeconds, rssGrowth: rss.stop(), steps: NaN, bytes: got };
  } finally {
    rss.stop();
    rmSync(file, { force: true });
  }
}

const COLUMNS: readonly Column[] = [
  { title: "MiB/s", key: "mbps", digits: 0, higherIsBetter: true, ratio: true },
  { title: "CPU s / GiB", key: "cpu", digits: 3, higherIsBetter: false, ratio: true },
  { title: "peak RSS growth MiB", key: "rss", digits: 1, higherIsBetter: false, ratio: false },
];

/**
 * Runs W3 into a file, Content-Length then chunked: every client `runs` times, interleaved with
 * the order rotated, each measurement in a fresh child process unless `inProcess`.
 *
 * @returns The printed tables and their rows, one list per framing.
 */
export async function runW3File(options: W3Options): Promise<{ text: string; tables: Array<{ title: string; rows: Row[] }> }> {
  const selected = selectClients(entries(options.port), options.clients.length === 0 ? DEFAULT_FILE_CLIENTS : options.clients);

  return runW3Framings(
    options,
    selected,
    COLUMNS,
    (fields) => {
      const spec = { kind: "w3file", ...fields } as const;
      return options.inProcess ? measureW3File(spec) : runInChild(options.entry, spec);
    },
    (framing, server, where) =>
      `W3 bulk into a file (${server}), ${framing}: ${options.mib} MiB body written to ${tmpdir()}, ${where} (median of ${options.runs})`,
  );
}
