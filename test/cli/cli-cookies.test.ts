// `-b` / `-c`: cookie files in and out as curl reads and writes them, against one loopback server.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand, useCliAndServer } from "./cli-kit.ts";

const kit = useCliAndServer();
let server: Server;
let origin = "";

beforeAll(async () => {
  // /login sets a cookie on a 302 to /whoami; /whoami answers with the Cookie header it got.
  server = createServer((req, res) => {
    if (req.url === "/login") {
      res
        .writeHead(302, {
          Location: "/whoami",
          "Set-Cookie": ["sid=abc123; Path=/; Max-Age=3600", "theme=dark; Path=/"],
          "Content-Length": "0",
        })
        .end();
    } else {
      const body = `cookie=${req.headers.cookie ?? ""}`;
      res.writeHead(200, { "Content-Length": String(body.length) }).end(body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  origin = `http://127.0.0.1:${address.port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const run = (...args: string[]) => runCommand(kit.cli.path, args);
function curl(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("curl", ["-sS", "--max-time", "10", ...args], (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message} ${stderr}`)) : resolve(stdout),
    );
  });
}

describe("poll-http -b / -c", () => {
  it("a cookie set on a redirect is sent to the next hop; -c writes it in the Netscape format that curl -b reads", async () => {
    const jar = join(kit.cli.dir, "ours.txt");
    const result = await run("-c", jar, `${origin}/login`);
    expect([result.status, result.stderr, result.stdout.toString()]).toEqual([0, "", "cookie=sid=abc123; theme=dark"]);
    const text = readFileSync(jar, "latin1");
    expect(text).toMatch(/^# Netscape HTTP Cookie File/);
    expect(text).toMatch(/\n127\.0\.0\.1\tFALSE\t\/\tFALSE\t\d+\tsid\tabc123\n/);
    expect(text).toMatch(/\n127\.0\.0\.1\tFALSE\t\/\tFALSE\t0\ttheme\tdark\n/); // a session cookie, as curl writes one
    const sent = (await curl(["-b", jar, `${origin}/whoami`])).slice("cookie=".length);
    expect(sent.split("; ").sort()).toEqual(["sid=abc123", "theme=dark"]); // curl's own order
  });

  it("-b reads a cookie file curl -c wrote", async () => {
    const jar = join(kit.cli.dir, "curls.txt");
    await curl(["-L", "-c", jar, "-o", "/dev/null", `${origin}/login`]);
    const result = await run("-b", jar, `${origin}/whoami`);
    expect([result.status, result.stderr]).toEqual([0, ""]);
    expect(result.stdout.toString().slice("cookie=".length).split("; ").sort()).toEqual(["sid=abc123", "theme=dark"]);
  });

  it("-b name=value sends it as the Cookie header; -b of a missing file is no error (as curl)", async () => {
    expect((await run("-b", "a=1; b=2", `${origin}/whoami`)).stdout.toString()).toBe("cookie=a=1; b=2");
    const missing = await run("-b", join(kit.cli.dir, "none.txt"), `${origin}/whoami`);
    expect([missing.status, missing.stderr, missing.stdout.toString()]).toEqual([0, "", "cookie="]);
  });

  it("without -b or -c no cookie is kept, even across the redirect", async () => {
    expect((await run(`${origin}/login`)).stdout.toString()).toBe("cookie=");
  });
});
