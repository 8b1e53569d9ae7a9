// The published package, made as a publisher makes it: a fresh clone of the committed HEAD, `npm
// pack` at its root (the `prepack` script builds dist/), the tarball installed offline into a temp
// project and used from there with `import`, with `require`, from TypeScript, and as the
// `poll-http` command — each against a local server — and from a loop that never yields over the
// threaded network (its worker's code ships inside each bundle). Also checks what `npm pack` would publish.
import { execFile, type ExecFileException } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const REQUIRED = [
  "package.json",
  "README.md",
  "LICENSE",
  "dist/index.js",
  "dist/index.cjs",
  "dist/index.d.ts",
  "dist/index.d.cts",
  "dist/cli.js",
  "dist/types/index.d.ts",
];

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program without blocking the event loop (the server lives in this process); npm's own variables are not passed on. */
function exec(file: string, args: readonly string[], cwd: string, extraEnv: Record<string, string> = {}, timeoutMs = 60_000): Promise<Ran> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !/^npm_/i.test(key)) env[key] = value;
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { cwd, env: { ...env, ...extraEnv }, maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs },
      (error: ExecFileException | null, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr });
      },
    );
  });
}

function ok(ran: Ran, what: string): string {
  if (ran.code !== 0) throw new Error(`${what} failed (${ran.code}):\n${ran.stderr}\n${ran.stdout}`);
  return ran.stdout;
}

interface PackedFile {
  readonly path: string;
  readonly mode: number;
}

/** The files of `npm pack --json` output. */
function packedFiles(json: string): PackedFile[] {
  const parsed = JSON.parse(json) as Array<{ files: PackedFile[] }>;
  return parsed[0]?.files ?? [];
}

/** Only the build output, the manifest, the README and the license; no maps, no sources, no tests, no CLI declarations. */
function allowed(path: string): boolean {
  if (path === "package.json" || path === "README.md" || path === "LICENSE") return true;
  return (
    path.startsWith("dist/") &&
    !path.endsWith(".map") &&
    !path.startsWith("dist/types/cli/") &&
    (!path.endsWith(".ts") || path.endsWith(".d.ts") || path.endsWith(".d.cts"))
  );
}

const ESM_CONSUMER = `import { HTTPRequest, Result, SceneTree, TreeRunner, VERSION } from "poll-http";
const tree = new SceneTree();
const request = new HTTPRequest();
tree.root.addChild(request);
const runner = new TreeRunner(tree, { fps: 60 });
request.requestCompleted.connect((result, code, headers, body) => {
  console.log(JSON.stringify({ via: "import", ok: result === Result.RESULT_SUCCESS, code, body: new TextDecoder().decode(body), version: VERSION }));
  runner.stop();
  request.queueFree();
});
request.request(process.argv[2]);
runner.start();
`;

const CJS_CONSUMER = ESM_CONSUMER.replace(
  'import { HTTPRequest, Result, SceneTree, TreeRunner, VERSION } from "poll-http";',
  'const { HTTPRequest, Result, SceneTree, TreeRunner, VERSION } = require("poll-http");',
).replace('via: "import"', 'via: "require"');

/** A loop that never yields, over the threaded network: the worker's code must ship inside the bundle. */
const THREADED_ESM_CONSUMER = `import { HTTPRequest, Result, SceneTree } from "poll-http";
const tree = new SceneTree();
const request = new HTTPRequest();
request.useThreads = true;
tree.root.addChild(request);
let out = null;
request.requestCompleted.connect((result, code, headers, body) => {
  out = { via: "import", threads: true, ok: result === Result.RESULT_SUCCESS, code, body: new TextDecoder().decode(body) };
});
request.request(process.argv[2]);
while (out === null) tree.process(1 / 60);
console.log(JSON.stringify(out));
`;

const THREADED_CJS_CONSUMER = THREADED_ESM_CONSUMER.replace(
  'import { HTTPRequest, Result, SceneTree } from "poll-http";',
  'const { HTTPRequest, Result, SceneTree } = require("poll-http");',
).replace('via: "import"', 'via: "require"');

const TS_CONSUMER = `import { HTTPRequest, Method, Result, type RequestCompletedArgs } from "poll-http";
const request: HTTPRequest = new HTTPRequest();
const method: Method = Method.METHOD_GET;
const done = (...args: RequestCompletedArgs): boolean => args[0] === Result.RESULT_SUCCESS;
export { request, method, done };
`;

/**
 * A user's file touching the main entry points, checked against the installed declarations under
 * the configurations users have: no tsconfig at all (`tsc --strict file.ts`: target ES5, CommonJS,
 * node10 resolution), node16 (as ESM and as CommonJS) and bundler; always `strict`, `skipLibCheck`
 * off. (nodenext is checked with the consumer files below.)
 */
const USER_TS = `import { Err, HTTPClient, HTTPRequest, Method, Result, SceneTree, ScriptedNetwork, Status, TLSOptions, TreeRunner, resultName } from "poll-http";
import type { HeaderRecord, RequestOptions } from "poll-http";
const network = new ScriptedNetwork();
network.addHost("example.test", ["10.0.0.1"]);
const tree = new SceneTree();
const runner = new TreeRunner(tree, { fps: 60 });
const req = new HTTPRequest({ network });
tree.root.addChild(req);
const headers: HeaderRecord = { Accept: "application/json", "X-Tag": ["a", "b"] };
const options: RequestOptions = { downloadFile: "" };
req.requestCompleted.connect((result, code, _headers, body) => {
  const ok: boolean = result === Result.RESULT_SUCCESS;
  console.log(resultName(result), code, body.length, ok);
  runner.stop();
});
const err: Err = req.request("http://example.test/", headers, Method.METHOD_GET, "", options);
const client = new HTTPClient();
client.connectToHost("example.com", 443, TLSOptions.client());
const status: Status = client.getStatus();
export { err, status };
`;

let work: string;
let server: Server;
let origin: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "poll-http-package-"));
  server = createServer((req, res) => res.end(req.url === "/hello" ? "packaged hello\n" : "other\n"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe("the package", () => {
  it("publishes only dist/, package.json, README and LICENSE (npm pack --dry-run at the root)", async () => {
    const files = packedFiles(ok(await exec("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], ROOT), "npm pack --dry-run"));
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE"]));
    expect(files.map((f) => f.path).filter((path) => !allowed(path))).toEqual([]);
  });

  it("packs from a fresh clone as a publisher would, installs from the tarball and works with import, require, TypeScript and the poll-http command", async () => {
    // A fresh clone of the committed HEAD: no dist/, nothing built. Its dependencies are the ones
    // this checkout installed (linked, not downloaded). `npm pack` runs `prepack`, which builds.
    const clone = join(work, "clone");
    ok(await exec("git", ["clone", "--quiet", "--no-hardlinks", ROOT, clone], work), "git clone");
    expect(existsSync(join(clone, "dist"))).toBe(false);
    symlinkSync(join(ROOT, "node_modules"), join(clone, "node_modules"), "dir");
    const output = ok(await exec("npm", ["pack", "--json", "--pack-destination", work], clone), "npm pack");
    // The prepack build prints its own lines first; the JSON report is what follows them.
    const packed = JSON.parse(output.slice(output.search(/^\[/m))) as Array<{ filename: string; files: PackedFile[] }>;
    const files = packed[0]?.files ?? [];
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(REQUIRED));
    expect(paths.filter((path) => !allowed(path))).toEqual([]);
    expect((files.find((f) => f.path === "dist/cli.js")?.mode ?? 0) & 0o111).not.toBe(0);
    const tarball = join(work, packed[0]?.filename ?? "missing.tgz");
    expect(existsSync(tarball)).toBe(true);

    // A fresh project that installs the tarball with no network.
    const app = join(work, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
    ok(
      await exec(
        "npm",
        ["install", tarball, "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--cache", join(work, "npm-cache")],
        app,
      ),
      "npm install",
    );
    writeFileSync(join(app, "esm.mjs"), ESM_CONSUMER);
    writeFileSync(join(app, "cjs.cjs"), CJS_CONSUMER);
    writeFileSync(join(app, "threads.mjs"), THREADED_ESM_CONSUMER);
    writeFileSync(join(app, "threads.cjs"), THREADED_CJS_CONSUMER);
    writeFileSync(join(app, "check.mts"), TS_CONSUMER);
    writeFileSync(join(app, "check.cts"), TS_CONSUMER);
    for (const name of ["user.ts", "user.mts", "user.cts"]) writeFileSync(join(app, name), USER_TS);
    // A user's own @types/node, as a TypeScript project for Node has (the declarations name node:net and node:tls types).
    mkdirSync(join(app, "node_modules/@types"), { recursive: true });
    symlinkSync(join(ROOT, "node_modules/@types/node"), join(app, "node_modules/@types/node"), "dir");
    // Each checks @types/node in full (skipLibCheck off): a few seconds of CPU, far more on a busy machine.
    const tsc = (...args: string[]): Promise<Ran> =>
      exec(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "--noEmit", "--strict", ...args], app, {}, 180_000);
    const strictConfigs = await Promise.all([
      tsc("user.ts"),
      tsc("--skipLibCheck", "false", "--module", "node16", "--moduleResolution", "node16", "user.mts", "user.cts"),
      tsc("--skipLibCheck", "false", "--module", "esnext", "--moduleResolution", "bundler", "user.ts"),
    ]);
    const [noConfig, node16, bundler] = strictConfigs.map((ran) => `${ran.stdout}${ran.stderr}`);
    expect({ noConfig, node16, bundler }).toEqual({ noConfig: "", node16: "", bundler: "" });
    expect(strictConfigs.map((ran) => ran.code)).toEqual([0, 0, 0]);

    const [esm, cjs, cli, types, esmThreads, cjsThreads] = await Promise.all([
      exec(process.execPath, ["esm.mjs", `${origin}/hello`], app),
      exec(process.execPath, ["cjs.cjs", `${origin}/hello`], app),
      exec(join(app, "node_modules/.bin/poll-http"), ["-i", `${origin}/hello`], app),
      exec(
        process.execPath,
        [
          join(ROOT, "node_modules/typescript/bin/tsc"),
          "--noEmit",
          "--strict",
          "--skipLibCheck",
          "false",
          "--module",
          "nodenext",
          "--moduleResolution",
          "nodenext",
          "--types",
          "node",
          "--typeRoots",
          join(ROOT, "node_modules/@types"),
          "check.mts",
          "check.cts",
          "user.mts",
          "user.cts",
        ],
        app,
      ),
      exec(process.execPath, ["threads.mjs", `${origin}/hello`], app),
      exec(process.execPath, ["threads.cjs", `${origin}/hello`], app),
    ]);
    const version = JSON.parse(ok(await exec("npm", ["pkg", "get", "version"], ROOT), "npm pkg get")) as string;
    expect(JSON.parse(ok(esm, "import"))).toEqual({ via: "import", ok: true, code: 200, body: "packaged hello\n", version });
    expect(JSON.parse(ok(cjs, "require"))).toEqual({ via: "require", ok: true, code: 200, body: "packaged hello\n", version });
    expect(JSON.parse(ok(esmThreads, "import, threads"))).toEqual({
      via: "import",
      threads: true,
      ok: true,
      code: 200,
      body: "packaged hello\n",
    });
    expect(JSON.parse(ok(cjsThreads, "require, threads"))).toEqual({
      via: "require",
      threads: true,
      ok: true,
      code: 200,
      body: "packaged hello\n",
    });
    expect(ok(cli, "poll-http")).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\npackaged hello\n$/);
    expect(cli.stderr).toBe("");
    ok(types, "tsc on the installed declarations");
    const versionRun = ok(await exec(join(app, "node_modules/.bin/poll-http"), ["--version"], app), "poll-http --version");
    expect(versionRun).toBe(`poll-http ${version}\n`);
  }, 300_000);
});
