// Measures a decompression bomb with no bodySizeLimit against the per-tick decoding budget: peak
// RSS and the longest tick, for a 1 GiB gzip body and a 4 GiB `gzip, gzip` body, streamed through
// bodyData, written to downloadFile, and through the command (`poll-http URL > /dev/null`).
// Each case runs in a process of its own so its peak RSS is its own.
//   node scripts/run-ts.mjs scripts/measure-decode-bomb.ts
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, openSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, deflateRawSync, constants as zc, gzipSync } from "node:zlib";
import { HTTPRequest, SceneTree, TreeRunner } from "../src/index.ts";

const MiB = 1024 * 1024;

/** A gzip member of `mib` MiB of zeros (about 1 KiB per MiB). */
function gzipOfZeros(mib: number): Buffer {
  const zeros = Buffer.alloc(MiB);
  const block = deflateRawSync(zeros, { finishFlush: zc.Z_FULL_FLUSH });
  let crc = 0;
  for (let i = 0; i < mib; i++) crc = crc32(zeros, crc);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE((mib * MiB) % 2 ** 32, 4);
  return Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]), ...Array.from({ length: mib }, () => block), deflateRawSync(Buffer.alloc(0)), trailer]);
}

function serve(body: Buffer, coding: string): Promise<{ server: Server; url: string }> {
  const server = createServer((socket) => {
    socket.once("data", () => socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: ${coding}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body])));
    socket.on("error", () => undefined);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}/` });
  }));
}

const BOMBS: Record<string, () => [Buffer, string, number]> = {
  "1gib": () => [gzipOfZeros(1024), "gzip", 1024 * MiB],
  "4gib": () => [gzipSync(gzipOfZeros(4096), { level: 9 }), "gzip, gzip", 4096 * MiB],
};

async function child(bomb: string, mode: string): Promise<void> {
  const [body, coding, size] = (BOMBS[bomb] as () => [Buffer, string, number])();
  const { server, url } = await serve(body, coding);
  const dir = mkdtempSync(join(tmpdir(), "bomb-"));
  const tree = new SceneTree();
  const node = new HTTPRequest();
  tree.root.addChild(node);
  let total = 0;
  let largest = 0;
  if (mode === "stream") node.bodyData.connect((chunk) => {
    total += chunk.length;
    largest = Math.max(largest, chunk.length);
  });
  else node.downloadFile = join(dir, "out.bin");
  let longest = 0;
  const durations: number[] = [];
  let ticks = 0;
  const wrapped = tree.process.bind(tree);
  tree.process = (delta: number): void => {
    const t0 = performance.now();
    wrapped(delta);
    const took = performance.now() - t0;
    durations.push(took);
    longest = Math.max(longest, took);
    ticks++;
  };
  const runner = new TreeRunner(tree, { fps: 60, mode: "as-fast-as-possible" });
  const baseRss = process.resourceUsage().maxRSS;
  const started = performance.now();
  const result = await new Promise<number>((resolve) => {
    node.requestCompleted.connect((r) => {
      runner.stop();
      resolve(r);
    });
    node.request(url);
    runner.start();
  });
  durations.sort((a, b) => a - b);
  const at = (q: number): number => Math.round(durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? 0);
  if (mode === "file") total = statSync(join(dir, "out.bin")).size;
  rmSync(dir, { recursive: true, force: true });
  server.close();
  const out = { bomb, mode, result, complete: total === size, decodedMiB: total / MiB, largestChunkMiB: largest / MiB, ticks,
    medianTickMs: at(0.5), p99TickMs: at(0.99), longestTickMs: Math.round(longest), rssBeforeMiB: Math.round(baseRss / 1024), peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), seconds: Math.round((performance.now() - started) / 100) / 10 };
  console.log(JSON.stringify(out));
}

async function cli(bomb: string): Promise<void> {
  const [body, coding, size] = (BOMBS[bomb] as () => [Buffer, string, number])();
  const { server, url } = await serve(body, coding);
  const dir = mkdtempSync(join(tmpdir(), "bomb-cli-"));
  execFileSync(process.execPath, ["scripts/build.mjs", "--outdir", join(dir, "dist")]);
  const started = performance.now();
  const ran = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
    // Not spawnSync: the server lives in this process.
    const p = timedSpawn(["-f", "%M", process.execPath, join(dir, "dist/cli.js"), url]);
    let stderr = "";
    p.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    p.on("close", (status) => resolve({ status, stderr }));
  });
  server.close();
  rmSync(dir, { recursive: true, force: true });
  const lines = ran.stderr.trim().split("\n");
  console.log(JSON.stringify({ bomb, mode: "cli > /dev/null", exit: ran.status, peakRssMiB: Math.round(Number(lines.at(-1)) / 1024),
    messages: lines.slice(0, -1), seconds: Math.round((performance.now() - started) / 100) / 10, sizeMiB: size / MiB }));
}

/** Runs `/usr/bin/time args` with stdout to /dev/null; its last stderr line is the peak RSS in KiB. */
function timedSpawn(args: string[]): ReturnType<typeof spawn> {
  return spawn("/usr/bin/time", args, { stdio: ["ignore", openSync("/dev/null", "w"), "pipe"] });
}

const [, , role, bomb, mode] = process.argv;
if (role === "child" && bomb !== undefined && mode !== undefined) await child(bomb, mode);
else if (role === "cli" && bomb !== undefined) await cli(bomb);
else {
  for (const b of Object.keys(BOMBS)) {
    for (const m of ["stream", "file"]) {
      const r = spawnSync(process.execPath, ["scripts/run-ts.mjs", "scripts/measure-decode-bomb.ts", "child", b, m], { encoding: "utf8" });
      process.stdout.write(r.stdout || r.stderr);
    }
    const r = spawnSync(process.execPath, ["scripts/run-ts.mjs", "scripts/measure-decode-bomb.ts", "cli", b], { encoding: "utf8" });
    process.stdout.write(r.stdout || r.stderr);
  }
}
