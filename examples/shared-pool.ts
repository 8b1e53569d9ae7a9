// A game's asset downloader and its chat client sharing one HTTPRequestPool, against an embedded
// local server. The downloader queues 40 assets at once at low priority (the current level's map
// at high priority); the chat sends a message every few frames at priority 900. The pool keeps at
// most 4 connections to the server, so the assets wait their turn in its queue, and each chat
// message takes the next free connection ahead of every asset still queued.
// Run with `node scripts/run-ts.mjs examples/shared-pool.ts`.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { HTTPRequestPool, Method, Node, Result, SceneTree, TreeRunner } from "../src/index.ts";

const ASSETS = 40;
const ASSET_BYTES = 64 * 1024;
const server = createServer((req, res) => {
  if (req.method === "POST" && req.url === "/chat") {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () =>
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ ok: true, echo: Buffer.concat(parts).toString() })),
    );
    return;
  }
  res.writeHead(200, { "Content-Length": ASSET_BYTES }).end(Buffer.alloc(ASSET_BYTES, 7));
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// #region shared-pool
const tree = new SceneTree();
const runner = new TreeRunner(tree, { fps: 60 });
const pool = new HTTPRequestPool({ maxConnectionsPerOrigin: 4 }); // one pool for the whole game
tree.root.addChild(pool);

/** The asset downloader: queues everything at once; the pool spreads it over its connections. */
let assetsLeft = ASSETS;
let assetBytes = 0;
let assetsStarted = 0;
for (let i = 0; i < ASSETS; i++) {
  const name = i === 0 ? "level-map.bin" : `asset-${i}.bin`;
  const job = pool.request(`${origin}/assets/${name}`, [], Method.METHOD_GET, "", { priority: i === 0 ? "high" : "low" });
  job.started.connect(() => assetsStarted++);
  job.requestCompleted.connect((result, code, _headers, body) => {
    if (result === Result.RESULT_SUCCESS && code === 200) assetBytes += body.length;
    assetsLeft--;
  });
}

/** The chat client: a node that sends a message every 3 frames; each jumps the asset queue. */
class Chat extends Node {
  sent = 0;
  delivered = 0;
  overtaken = 0; // assets that started while a message waited: none, thanks to its priority
  queuedAtSend: number[] = []; // assets still waiting in the queue when each message was sent
  override _process(): void {
    if (tree.getFrame() % 3 !== 0 || this.sent === 3) return;
    const text = `hello #${++this.sent}`;
    const startedBefore = assetsStarted;
    this.queuedAtSend.push(ASSETS - assetsStarted);
    const job = pool.request(`${origin}/chat`, ["Content-Type: text/plain"], Method.METHOD_POST, text, { priority: 900 });
    job.started.connect(() => (this.overtaken += assetsStarted - startedBefore));
    job.requestCompleted.connect((result, code, _headers, body) => {
      const reply = JSON.parse(new TextDecoder().decode(body)) as { echo: string };
      if (result === Result.RESULT_SUCCESS && code === 200 && reply.echo === text) this.delivered++;
    });
  }
}
const chat = new Chat("chat");
tree.root.addChild(chat);

/** Stops once everything is done. */
class Done extends Node {
  override _process(): void {
    if (assetsLeft === 0 && chat.sent === 3 && chat.delivered === 3) runner.stop();
  }
}
tree.root.addChild(new Done("done"));
runner.start();
await runner.whenStopped();
// #endregion shared-pool

console.log(`assets: ${ASSETS - assetsLeft} of ${ASSETS} downloaded, ${assetBytes} bytes, over ${pool.getConnectionCount()} connections`);
console.log(`chat: ${chat.delivered} of ${chat.sent} messages delivered; assets that started while a message waited: ${chat.overtaken}`);
console.log(`every message was sent while assets were queued: ${chat.queuedAtSend.every((n) => n > 0)}`);
console.log(`(assets still queued at each message: ${chat.queuedAtSend.join(", ")}; ${tree.getFrame()} frames at 60 frames/s)`);
tree.root.removeChild(pool);
server.close();
