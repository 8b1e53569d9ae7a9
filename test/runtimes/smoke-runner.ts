// The runtime smoke suite: runs test/runtimes/smoke.mjs under Bun and Deno (the `bun` and `deno`
// dev dependencies) against the built package in dist/ (HTTP, HTTPS with a private CA, a redirect,
// gzip, chunked, a forward proxy for HTTP and HTTPS, a 24 MiB download to a file, HTTPS over the
// threaded network, a timeout), with the servers it needs started here:
// an HTTP origin, an HTTPS origin with the test CA, and a real forward proxy (tinyproxy).
// `npm run smoke:runtimes` after `npm run build`; `.ci/run` runs it. Exits 1 when a case fails.
// `--runtime bun|deno|node` runs only that runtime.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { startTinyproxy } from "../helpers/tinyproxy.ts";

// Run from the repository root (as npm scripts are): this file may be run from a bundle elsewhere.
const root = resolve(process.cwd());
const fixture = (name: string): string => readFileSync(join(root, "test/fixtures/tls", `${name}.pem`), "utf8");
const BIG_BYTES = 24 * 1024 * 1024;
const CHUNKED_BYTES = 100_000;
const big = new Uint8Array(BIG_BYTES);
for (let i = 0; i < BIG_BYTES; i++) big[i] = (i * 31 + (i >>> 12)) & 0xff;
const bigSha = createHash("sha256").update(big).digest("hex");

interface Runtime {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly versionArgs: readonly string[];
}

const bin = (name: string): string => join(root, "node_modules/.bin", name);
const RUNTIMES: readonly Runtime[] = [
  { name: "bun", command: bin("bun"), args: ["run"], versionArgs: ["--version"] },
  { name: "deno", command: bin("deno"), args: ["run", "--allow-all", "--no-prompt"], versionArgs: ["--version"] },
  { name: "node", command: process.execPath, args: [], versionArgs: ["--version"] },
];

/** What each case must report: result, status code and a check of the detail. */
const EXPECTED: ReadonlyArray<{ name: string; result: string; code: number; detail: (text: string) => boolean; what: string }> = [
  { name: "http", result: "RESULT_SUCCESS", code: 200, detail: (d) => d === "hello\n", what: "hello" },
  { name: "https", result: "RESULT_SUCCESS", code: 200, detail: (d) => d === "hello over TLS\n", what: "hello over TLS" },
  { name: "redirect", result: "RESULT_SUCCESS", code: 200, detail: (d) => d === "hello\n", what: "the redirect target's body" },
  {
    name: "gzip",
    result: "RESULT_SUCCESS",
    code: 200,
    detail: (d) => d === `gzip ${"gzip compressed hello ".repeat(50)}`,
    what: "gzip and the decoded text",
  },
  {
    name: "chunked",
    result: "RESULT_SUCCESS",
    code: 200,
    detail: (d) => d === `chunked ${CHUNKED_BYTES}`,
    what: `chunked ${CHUNKED_BYTES}`,
  },
  { name: "proxy-http", result: "RESULT_SUCCESS", code: 200, detail: (d) => d === "hello\n", what: "hello through the proxy" },
  {
    name: "proxy-https",
    result: "RESULT_SUCCESS",
    code: 200,
    detail: (d) => d === "hello over TLS\n",
    what: "hello over TLS through a CONNECT tunnel",
  },
  {
    name: "download",
    result: "RESULT_SUCCESS",
    code: 200,
    detail: (d) => d === `${BIG_BYTES} ${bigSha}`,
    what: "the 24 MiB file with its sha256",
  },
  {
    name: "https-threads",
    result: "RESULT_SUCCESS",
    code: 200,
    detail: (d) => d === "hello over TLS\n",
    what: "hello over TLS through the threaded network (useThreads)",
  },
  { name: "timeout", result: "RESULT_TIMEOUT", code: 0, detail: (d) => /timed out/i.test(d), what: "a timeout reason" },
];

function route(secure: boolean) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    switch (req.url) {
      case "/hello":
        res.end(secure ? "hello over TLS\n" : "hello\n");
        return;
      case "/redirect":
        res.writeHead(302, { Location: "/hello", "Content-Length": 0 }).end();
        return;
      case "/gzip": {
        const body = gzipSync("gzip compressed hello ".repeat(50));
        res.writeHead(200, { "Content-Encoding": "gzip", "Content-Length": body.length }).end(body);
        return;
      }
      case "/chunked":
        res.writeHead(200, { "Content-Type": "application/octet-stream" });
        res.write(new Uint8Array(CHUNKED_BYTES / 2));
        res.end(new Uint8Array(CHUNKED_BYTES / 2));
        return;
      case "/big":
        res.writeHead(200, { "Content-Length": BIG_BYTES }).end(big);
        return;
      case "/stall":
        return; // never answers; closed when the servers stop
      default:
        res.writeHead(404, { "Content-Length": 0 }).end();
    }
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return (server.address() as AddressInfo).port;
}

function run(command: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      command,
      [...args],
      { cwd: root, timeout: 120_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" } },
      (error, stdout, stderr) => {
        done({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr });
      },
    );
  });
}

const only = process.argv.indexOf("--runtime") >= 0 ? process.argv[process.argv.indexOf("--runtime") + 1] : undefined;
const runtimes = only === undefined ? RUNTIMES.filter((r) => r.name !== "node") : RUNTIMES.filter((r) => r.name === only);
const dist = join(root, "dist/index.js");
if (!existsSync(dist)) {
  console.error("smoke: dist/index.js is missing; run `npm run build` first");
  process.exit(1);
}
if (runtimes.length === 0) {
  console.error(`smoke: unknown runtime ${JSON.stringify(only)} (bun, deno or node)`);
  process.exit(2);
}

const http = createHttpServer(route(false));
const https = createHttpsServer({ cert: fixture("server"), key: fixture("server-key") }, route(true));
const work = mkdtempSync(join(tmpdir(), "poll-http-smoke-"));
const proxy = await startTinyproxy();
let failed = 0;
try {
  const [httpPort, httpsPort] = [await listen(http), await listen(https)];
  const caFile = join(root, "test/fixtures/tls/ca.pem");
  for (const runtime of runtimes) {
    const version = /\d+\.\d+\.\d+/.exec((await run(runtime.command, runtime.versionArgs)).stdout)?.[0] ?? "?";
    const config = {
      dist,
      caFile,
      http: `http://127.0.0.1:${httpPort}`,
      https: `https://localhost:${httpsPort}`,
      proxyHost: proxy.host,
      proxyPort: proxy.port,
      downloadFile: join(work, `${runtime.name}-big.bin`),
    };
    const ran = await run(runtime.command, [...runtime.args, join(root, "test/runtimes/smoke.mjs"), JSON.stringify(config)]);
    const lines = new Map<string, { result: string; code: number; detail: string }>();
    for (const line of ran.stdout.split("\n")) {
      if (!line.startsWith("{")) continue;
      const parsed = JSON.parse(line) as { name: string; result: string; code: number; detail: string };
      lines.set(parsed.name, parsed);
    }
    for (const want of EXPECTED) {
      const got = lines.get(want.name);
      const pass = got !== undefined && got.result === want.result && got.code === want.code && want.detail(got.detail);
      if (!pass) failed++;
      const seen = got === undefined ? "no result" : `${got.result} ${got.code} ${JSON.stringify(got.detail.slice(0, 120))}`;
      console.log(
        `${pass ? "pass" : "FAIL"}  ${runtime.name} ${version}  ${want.name.padEnd(11)} ${pass ? "" : `expected ${want.result} ${want.code} and ${want.what}; got ${seen}`}`,
      );
    }
    if (ran.code !== 0 || ran.stderr.trim() !== "") {
      console.log(
        `${ran.code === 0 ? "note" : "FAIL"}  ${runtime.name} exited ${ran.code}${ran.stderr.trim() === "" ? "" : `; stderr: ${ran.stderr.trim().slice(0, 2000)}`}`,
      );
      if (ran.code !== 0) failed++;
    }
  }
} finally {
  await proxy.stop();
  for (const server of [http, https]) {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  }
  rmSync(work, { recursive: true, force: true });
}
console.log(failed === 0 ? `smoke: all cases passed under ${runtimes.map((r) => r.name).join(", ")}` : `smoke: ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
