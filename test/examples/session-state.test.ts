// Runs the examples of examples/session-state.ts (the guide's cookies, cache and login sections)
// against a local server that sets a cookie, caches a manifest and asks for a login.
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HTTPRequest, SceneTree } from "../../src/index.ts";
import { cacheOnDisk, keepCookies, loadManifest, logInWith, saveCookies } from "../../examples/session-state.ts";
import { runUntilComplete } from "../request/loopback-helpers.ts";

let server: Server;
let origin = "";
let dir = "";
let manifestRequests = 0;
const cookies: Array<string | undefined> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "poll-http-session-example-"));
  server = createServer((req, res) => {
    if (req.url === "/manifest.json") {
      manifestRequests++;
      res.writeHead(200, { "Cache-Control": "max-age=600", "Content-Type": "application/json" }).end('{"version":3}');
    } else if (req.url === "/account") {
      if (req.headers.authorization !== `Basic ${Buffer.from("player:hunter2").toString("base64")}`) {
        res.writeHead(401, { "WWW-Authenticate": 'Basic realm="game"', "Content-Length": "0" }).end();
      } else {
        res.writeHead(200, { "Set-Cookie": "session=s1; Max-Age=3600; Path=/", "Content-Length": "7" }).end("welcome");
      }
    } else {
      cookies.push(req.headers.cookie);
      res.writeHead(200, { "Content-Length": "2" }).end("ok");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  origin = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe("examples/session-state.ts", () => {
  it("logs in, keeps the session cookie in a file, and a new tree sends it from that file", async () => {
    const file = join(dir, "cookies.txt");
    const tree = new SceneTree();
    const jar = keepCookies(tree, file);
    const req = new HTTPRequest();
    tree.root.addChild(req);
    logInWith(req, "player", "hunter2");
    req.request(`${origin}/account`);
    const done = await runUntilComplete(req);
    expect([done.code, Buffer.from(done.body).toString()]).toEqual([200, "welcome"]);
    saveCookies(tree, jar, file);
    tree.root.removeChild(req);
    expect(readFileSync(file, "latin1")).toContain("\tsession\ts1");
    const later = new SceneTree();
    keepCookies(later, file);
    const again = new HTTPRequest();
    later.root.addChild(again);
    again.request(`${origin}/play`);
    await runUntilComplete(again);
    later.root.removeChild(again);
    expect(cookies.at(-1)).toBe("session=s1");
  });

  it("loads the manifest once; then from the disk cache, also offline and from a new cache over the same directory", async () => {
    const store = join(dir, "cache");
    const seen: Array<[unknown, boolean]> = [];
    for (const offline of [false, false, true]) {
      const tree = new SceneTree();
      cacheOnDisk(tree, store); // each time a new cache over the same directory, as after a restart
      const req = new HTTPRequest();
      tree.root.addChild(req);
      loadManifest(req, `${origin}/manifest.json`, (manifest, cached) => seen.push([manifest, cached]), offline);
      await runUntilComplete(req);
      tree.root.removeChild(req);
    }
    expect(seen).toEqual([
      [{ version: 3 }, false],
      [{ version: 3 }, true],
      [{ version: 3 }, true],
    ]);
    expect(manifestRequests).toBe(1);
  });
});
