// The README's example must run as printed: it is extracted from README.md, pointed at a local
// server instead of example.com and at the sources instead of the package, and run.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runExample } from "./run-example.ts";

const readme = readFileSync("README.md", "utf8");
const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
const server = createServer((_req, res) => {
  res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": 5 });
  res.end("hello");
});
// Idle connections stay open for a minute: the example must exit without waiting for the server.
server.keepAliveTimeout = 60_000;
let origin = "";
const file = resolve(".tmp", `readme-example.${process.pid}.ts`);

beforeAll(async () => {
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  rmSync(file, { force: true });
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
});

describe("README", () => {
  it("has a short example that imports the package and requests https://example.com/", () => {
    const lines = example.trim().split("\n");
    expect(lines[0]).toBe('import { HTTPRequest, SceneTree, TreeRunner, resultName } from "poll-http";');
    expect(lines.filter((line) => line.trim() !== "").length).toBeLessThanOrEqual(12);
    expect(example).toContain('req.request("https://example.com/");');
  });

  it("runs the example as printed against a local server", async () => {
    const code = example
      .replace('from "poll-http"', `from ${JSON.stringify(resolve("src/index.ts"))}`)
      .replace('"https://example.com/"', JSON.stringify(`${origin}/`));
    mkdirSync(".tmp", { recursive: true });
    writeFileSync(file, code);
    const run = await runExample(file);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("RESULT_SUCCESS 200 hello\n");
    // It exited by itself: held open by the idle kept-alive socket, it would outlive this test's
    // timeout (the server keeps idle connections for 60 s).
  }, 30_000);

  it("keeps the commands a newcomer needs and links the documents", () => {
    for (const text of [
      "npm install poll-http",
      "npx poll-http",
      "npm start",
      "npm test",
      "scripts/setup.sh",
      "nginx-light",
      "tinyproxy",
      "npm run docs",
    ]) {
      expect(readme).toContain(text);
    }
    for (const link of [
      "docs/guide.md",
      "docs/godot-mapping.md",
      "docs/differences.md",
      "docs/capabilities.md",
      "docs/robustness.md",
      "docs/cli.md",
      "bench/RESULTS.md",
    ]) {
      expect(readme).toContain(`](${link})`);
    }
  });
});
