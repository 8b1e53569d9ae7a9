// The runtime smoke suite's client side, plain JavaScript so Bun, Deno and Node all run it as is:
// it imports the built package (dist/index.js) and runs each case as an HTTPRequest in one
// SceneTree ticked at 60 frames a second, then prints one JSON line per case. The servers and the
// proxy are started by smoke-runner.ts, which passes their addresses as a JSON argument.
import { createHash } from "node:crypto";
import { readFileSync, rmSync, statSync } from "node:fs";
import process from "node:process";
import { pathToFileURL } from "node:url";

const config = JSON.parse(process.argv[process.argv.length - 1] ?? "{}");
const lib = await import(pathToFileURL(config.dist).href);
const { HTTPRequest, Result, SceneTree, TLSOptions, TreeRunner, getHeaderValue, resultName } = lib;
const ca = TLSOptions.client(readFileSync(config.caFile, "utf8"));
const text = (body) => new TextDecoder().decode(body);

/** Each case: a URL, how to set the node up, and what to report from the outcome. */
const cases = [
  { name: "http", url: `${config.http}/hello`, report: ({ body }) => text(body) },
  { name: "https", url: `${config.https}/hello`, setup: (node) => node.setTlsOptions(ca), report: ({ body }) => text(body) },
  { name: "redirect", url: `${config.http}/redirect`, report: ({ body }) => text(body) },
  { name: "gzip", url: `${config.http}/gzip`, report: ({ body, headers }) => `${getHeaderValue(headers, "content-encoding")} ${text(body)}` },
  { name: "chunked", url: `${config.http}/chunked`, report: ({ body, headers }) => `${getHeaderValue(headers, "transfer-encoding")} ${body.length}` },
  {
    name: "proxy-http", url: `${config.http}/hello`,
    setup: (node) => node.setHttpProxy(config.proxyHost, config.proxyPort), report: ({ body }) => text(body),
  },
  {
    name: "proxy-https", url: `${config.https}/hello`,
    setup: (node) => { node.setTlsOptions(ca); node.setHttpsProxy(config.proxyHost, config.proxyPort); }, report: ({ body }) => text(body),
  },
  {
    name: "download", url: `${config.http}/big`,
    setup: (node) => { node.downloadFile = config.downloadFile; },
    report: () => {
      const size = statSync(config.downloadFile).size;
      const sha = createHash("sha256").update(readFileSync(config.downloadFile)).digest("hex");
      rmSync(config.downloadFile, { force: true });
      return `${size} ${sha}`;
    },
  },
  {
    name: "https-threads", url: `${config.https}/hello`,
    setup: (node) => { node.setTlsOptions(ca); node.useThreads = true; }, report: ({ body }) => text(body),
  },
  { name: "timeout", url: `${config.http}/stall`, setup: (node) => { node.timeout = 0.5; }, report: ({ node }) => node.getErrorReason() },
];

const tree = new SceneTree();
const runner = new TreeRunner(tree, { fps: 60 });
let next = 0;
function start() {
  const item = cases[next++];
  if (item === undefined) {
    runner.stop();
    return;
  }
  const node = new HTTPRequest({ name: item.name });
  tree.root.addChild(node);
  item.setup?.(node);
  node.requestCompleted.connect((result, code, headers, body) => {
    let detail;
    try {
      detail = result === Result.RESULT_SUCCESS || item.name === "timeout" ? item.report({ node, headers, body }) : node.getErrorReason();
    } catch (error) {
      detail = `report failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    console.log(JSON.stringify({ name: item.name, result: resultName(result), code, detail }));
    node.queueFree();
    start();
  });
  const err = node.request(item.url);
  if (err !== 0) {
    console.log(JSON.stringify({ name: item.name, result: "REFUSED", code: 0, detail: node.getErrorReason() }));
    node.queueFree();
    start();
  }
}
start();
runner.start();
await runner.whenStopped();
