// A download to a file that survives an interruption: the embedded server cuts the first response
// halfway, the bytes received so far stay in `<file>.partial`, and a second request with
// `{ resume: true }` asks for the rest with `Range: bytes=N-` and completes the file.
// Run with `node scripts/run-ts.mjs examples/resume-download.ts`.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HTTPRequest, Method, Result, SceneTree, TreeRunner, partialPathOf, resultName, type RequestCompletedArgs } from "../src/index.ts";

const FILE_BYTES = 24 * 1024 * 1024;
const CUT_AFTER = 10 * 1024 * 1024;
const source = new Uint8Array(FILE_BYTES);
for (let i = 0; i < FILE_BYTES; i++) source[i] = (i * 7 + (i >>> 10)) & 0xff;
const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex").slice(0, 16);

// A server with single-range support whose first answer breaks off after CUT_AFTER bytes.
let served = 0;
const server = createServer((req, res) => {
  served++;
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  if (range === null) {
    res.writeHead(200, { "Content-Length": FILE_BYTES, "Accept-Ranges": "bytes" });
    if (served === 1) res.write(source.subarray(0, CUT_AFTER), () => res.socket?.destroy());
    else res.end(source);
    return;
  }
  const from = Number(range[1]);
  res.writeHead(206, { "Content-Range": `bytes ${from}-${FILE_BYTES - 1}/${FILE_BYTES}`, "Content-Length": FILE_BYTES - from });
  res.end(source.subarray(from));
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/assets.pak`;
const dir = mkdtempSync(join(tmpdir(), "poll-http-resume-"));
const target = join(dir, "assets.pak");

// #region resume
const tree = new SceneTree();
const runner = new TreeRunner(tree, { mode: "as-fast-as-possible" });
const req = new HTTPRequest();
req.downloadFile = target; // written to `${target}.partial`, renamed over the target when complete
tree.root.addChild(req);

/** Runs one request to the end and returns what `requestCompleted` carried. */
async function download(): Promise<RequestCompletedArgs> {
  let completed: RequestCompletedArgs | null = null;
  const onDone = (...args: RequestCompletedArgs): void => {
    completed = args;
    runner.stop();
  };
  req.requestCompleted.connect(onDone, { oneShot: true });
  req.request(url, [], Method.METHOD_GET, "", { resume: true });
  runner.start();
  await runner.whenStopped();
  if (completed === null) throw new Error("the runner stopped before the request completed");
  return completed;
}

const [first] = await download();
console.log(`attempt 1: ${resultName(first)} (${req.getErrorReason()})`);
console.log(`  kept ${statSync(partialPathOf(target)).size} bytes in assets.pak.partial; target exists: ${existsSync(target)}`);

const [second, code] = await download();
console.log(
  `attempt 2: ${resultName(second)} ${code}, resumed from byte ${req.getResumedFrom()}, ` +
    `received ${req.getDownloadedBytes()} more of ${req.getResumedFrom() + req.getBodySize()}`,
);
// #endregion resume

const written = readFileSync(target);
const same = sha256(written) === sha256(source);
console.log(
  `file: ${written.length} bytes, sha256 ${sha256(written)}… ${same ? "matches the source" : "DIFFERS from the source"}; ` +
    `partial file left: ${existsSync(partialPathOf(target))}`,
);
rmSync(dir, { recursive: true, force: true });
await new Promise<void>((resolve) => {
  server.closeAllConnections();
  server.close(() => resolve());
});
if (first !== Result.RESULT_CONNECTION_ERROR || second !== Result.RESULT_SUCCESS || code !== 206 || !same) process.exitCode = 1;
