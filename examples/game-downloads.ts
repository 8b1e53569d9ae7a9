// A game loop at 60 frames a second downloading four files at once, with one progress bar for all
// of them, against an embedded local server. Each frame the tree ticks every HTTPRequest once; a
// tick drains whatever bytes arrived, so the frame never waits on the network and the downloads
// are not capped at chunk size × frame rate. One file comes without a Content-Length (chunked),
// so its total is unknown until it ends. The bar is drawn on a terminal only; piped output gets
// one line per finished file.
// Run with `node scripts/run-ts.mjs examples/game-downloads.ts`.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HTTPRequest, Node, Result, SceneTree, TreeRunner, resultName } from "../src/index.ts";
import { ProgressBar } from "./progress-bar.ts";

const MiB = 1024 * 1024;
/** The files the server offers: name → size. `music.ogg` is sent chunked, without a Content-Length. */
const FILES: Readonly<Record<string, number>> = {
  "level1.pak": 24 * MiB,
  "level2.pak": 16 * MiB,
  "music.ogg": 12 * MiB,
  "voices.pak": 8 * MiB,
};

/** The content of a file, from its name: a pattern both sides can compute. */
function fileContent(name: string): Uint8Array {
  const size = FILES[name] ?? 0;
  const seed = name.length * 13;
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed + (i >>> 12)) & 0xff;
  return bytes;
}
const digest = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
const contents = new Map(Object.keys(FILES).map((name) => [name, fileContent(name)]));

const server = createServer((req, res) => {
  const name = (req.url ?? "/").slice(1);
  if (!(name in FILES)) {
    res.writeHead(404, { "Content-Length": 0 }).end();
    return;
  }
  const body = contents.get(name) ?? new Uint8Array(0);
  res.writeHead(200, name === "music.ogg" ? {} : { "Content-Length": body.length }); // no length: chunked
  let offset = 0;
  const pump = (): void => {
    while (offset < body.length) {
      const piece = body.subarray(offset, offset + 256 * 1024);
      offset += piece.length;
      if (!res.write(piece)) {
        res.once("drain", pump);
        return;
      }
    }
    res.end();
  };
  pump();
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const dir = mkdtempSync(join(tmpdir(), "poll-http-game-"));

// #region game-loop
const tree = new SceneTree();
const runner = new TreeRunner(tree, { fps: 60 }); // one frame every 1/60 s on a fixed timeline
const bar = new ProgressBar(process.stdout);
const started = performance.now();
const progress = new Map<string, { received: number; total: number }>();
let pending = 0;
let failures = 0;
let frameStart = 0;

/** First in the tree, so it runs first in each frame: notes when the frame's work began. */
class FrameStart extends Node {
  override _process(): void {
    frameStart = performance.now();
  }
}
tree.root.addChild(new FrameStart("frame-start"));

for (const name of Object.keys(FILES)) {
  const req = new HTTPRequest({ name });
  req.downloadFile = join(dir, name);
  req.downloadProgress.connect((received, total) => progress.set(name, { received, total }));
  req.requestCompleted.connect((result, code) => {
    pending--;
    if (result !== Result.RESULT_SUCCESS || code !== 200) failures++;
    bar.clear();
    const detail = result === Result.RESULT_SUCCESS ? `${(req.getDownloadedBytes() / MiB).toFixed(0)} MiB` : req.getErrorReason();
    console.log(`${name.padEnd(11)} ${resultName(result)} ${code}  ${detail}  (frame ${tree.getFrame()})`);
    if (pending === 0) runner.stop();
  });
  tree.root.addChild(req);
  req.request(`${origin}/${name}`);
  pending++;
}

/** Last in the tree: draws the bar and measures how long the frame's work (all the requests) took. */
class Hud extends Node {
  longestTickMs = 0;
  override _process(): void {
    this.longestTickMs = Math.max(this.longestTickMs, performance.now() - frameStart);
    let received = 0;
    let total = 0;
    for (const [name, size] of Object.entries(FILES)) {
      const p = progress.get(name);
      received += p?.received ?? 0;
      total += p !== undefined && p.total >= 0 ? p.total : size; // a chunked file's size is unknown: use the expected one
    }
    if (pending > 0) bar.draw("downloads", received, total, (performance.now() - started) / 1000);
  }
}
const hud = new Hud("hud");
tree.root.addChild(hud); // added last: ticked after the requests in each frame
runner.start();
await runner.whenStopped();
// #endregion game-loop

const seconds = (performance.now() - started) / 1000;
bar.finish(
  "downloads",
  [...progress.values()].reduce((sum, p) => sum + p.received, 0),
  seconds,
);
for (const [name, content] of contents) {
  if (digest(readFileSync(join(dir, name))) !== digest(content)) {
    console.log(`${name}: CONTENT MISMATCH`);
    failures++;
  }
}
const total = Object.values(FILES).reduce((a, b) => a + b, 0);
console.log(
  `done: ${Object.keys(FILES).length - failures} of ${Object.keys(FILES).length} files verified, ${total / MiB} MiB in ${seconds.toFixed(2)} s ` +
    `over ${tree.getFrame()} frames at 60 frames/s; longest tick ${hud.longestTickMs.toFixed(1)} ms`,
);
rmSync(dir, { recursive: true, force: true });
await new Promise<void>((resolve) => {
  server.closeAllConnections();
  server.close(() => resolve());
});
if (failures > 0 || pending > 0) process.exitCode = 1;
