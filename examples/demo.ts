// The demo: a scene ticked at 60 frames a second with four HTTPRequest nodes at once, against an
// embedded local server. Run with `npm start`.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HTTPRequest, Node, Result, SceneTree, TreeRunner, getHeaderValue, resultName } from "../src/index.ts";
import { LARGE_FILE_BYTES, largeFileByte, startDemoServer } from "./demo-server.ts";
import { ProgressBar } from "./progress-bar.ts";

const server = await startDemoServer();
const dir = mkdtempSync(join(tmpdir(), "poll-http-demo-"));
const tree = new SceneTree();
const runner = new TreeRunner(tree, { fps: 60, mode: "fixed" });
const bar = new ProgressBar(process.stdout);
const started = performance.now();
let pending = 0;
let failures = 0;

function launch(
  label: string,
  url: string,
  setup: (node: HTTPRequest) => void,
  check: (body: Uint8Array, headers: string[]) => string,
): void {
  const node = new HTTPRequest({ name: label });
  setup(node);
  tree.root.addChild(node);
  pending++;
  node.requestCompleted.connect((result, code, headers, body) => {
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    let detail: string;
    if (result === Result.RESULT_SUCCESS && code === 200) {
      detail = check(body, headers);
    } else {
      failures++;
      detail = node.getErrorReason();
    }
    if (node === download && result === Result.RESULT_SUCCESS) bar.finish("download", node.getDownloadedBytes(), Number(seconds));
    bar.clear();
    console.log(`${label.padEnd(10)} ${resultName(result).padEnd(16)} ${code}  ${detail}  (${seconds} s, frame ${tree.getFrame()})`);
    if (--pending === 0) runner.stop();
  });
  const err = node.request(url);
  if (err !== 0) {
    console.error(`${label}: request() refused: ${node.getErrorReason()}`);
    process.exitCode = 1;
  }
}

launch(
  "json",
  `${server.origin}/api/player`,
  () => {},
  (body) => {
    const player = JSON.parse(new TextDecoder().decode(body)) as { name: string; level: number };
    return `${body.length} bytes: ${player.name}, level ${player.level}`;
  },
);
launch(
  "redirects",
  `${server.origin}/hop/5`,
  (node) => (node.maxRedirects = 8),
  (body) => `${body.length} bytes after 5 redirects: ${new TextDecoder().decode(body).trim()}`,
);
launch(
  "gzip",
  `${server.origin}/news.txt`,
  () => {},
  (body, headers) => `${body.length} bytes decoded from ${getHeaderValue(headers, "content-length")} gzip bytes`,
);
const target = join(dir, "level.pak");
let download: HTTPRequest | null = null;
launch(
  "download",
  `${server.origin}/level.pak`,
  (node) => {
    node.downloadFile = target;
    download = node;
  },
  () => {
    const data = readFileSync(target);
    let ok = data.length === LARGE_FILE_BYTES;
    for (let i = 0; ok && i < data.length; i += 4093) ok = data[i] === largeFileByte(i);
    if (!ok) failures++;
    return `${(data.length / 1048576).toFixed(0)} MiB written to a file, ${ok ? "content verified" : "CONTENT MISMATCH"}`;
  },
);

// A progress bar node, ticked after the requests in every frame; the download's completion draws its last line.
class ProgressNode extends Node {
  override _process(): void {
    const node = download as HTTPRequest | null;
    if (node !== null && node.getBodySize() > 0 && node.getDownloadedBytes() < node.getBodySize()) {
      bar.draw("download", node.getDownloadedBytes(), node.getBodySize(), (performance.now() - started) / 1000);
    }
  }
}
tree.root.addChild(new ProgressNode("progress"));

const watchdog = setTimeout(() => {
  console.error("demo: did not finish within 20 s");
  failures++;
  runner.stop();
}, 20_000);
runner.start();
await runner.whenStopped();
clearTimeout(watchdog);
bar.clear();
const seconds = (performance.now() - started) / 1000;
console.log(`done: ${4 - pending - failures} of 4 succeeded in ${seconds.toFixed(2)} s over ${tree.getFrame()} frames at 60 frames/s`);
rmSync(dir, { recursive: true, force: true });
await server.close();
if (failures > 0 || pending > 0) process.exitCode = 1;
