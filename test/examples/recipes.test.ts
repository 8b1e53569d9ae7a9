// Runs the recipes of docs/guide.md (examples/recipes.ts) against local HTTP and HTTPS servers.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Err, HTTPRequest, Result, SceneTree, resultName } from "../../src/index.ts";
import { fixtures } from "../helpers/tls-fixtures.ts";
import {
  PlainGet,
  backendNode,
  claimReward,
  downloadWithProgress,
  resilientDownload,
  getFollowingRedirects,
  getJson,
  getWithRedirectCheck,
  getWithTimeout,
  postJson,
  startOwnLoop,
  trustPrivateCa,
  uploadFile,
  uploadForm,
  useProxies,
  type Player,
} from "../../examples/recipes.ts";

const FILE = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 13) & 0xff);
/** Requests seen per path, for the flaky routes. */
const hits = new Map<string, number>();
/** The Range header of each request to /flaky/big. */
const bigRanges: (string | undefined)[] = [];

function handler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://x");
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const send = (code: number, text: string | Uint8Array, type = "text/plain"): void => {
      res.writeHead(code, { "Content-Type": type, "Content-Length": Buffer.byteLength(text) });
      res.end(text);
    };
    const hit = (hits.get(url.pathname) ?? 0) + 1;
    hits.set(url.pathname, hit);
    if (url.pathname === "/flaky/player") {
      if (hit === 1) {
        res.writeHead(503, { "Retry-After": "1", "Content-Length": 0 });
        res.end();
      } else send(200, JSON.stringify({ id: 42, name: "Ada", level: 7 }), "application/json");
    } else if (url.pathname === "/flaky/reward") {
      if (hit === 1)
        res.socket?.destroy(); // the claim is lost before any answer
      else send(200, `${req.headers["idempotency-key"]} ${body.toString()}`);
    } else if (url.pathname === "/flaky/big") {
      bigRanges.push(req.headers.range);
      const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? "")?.[1] ?? 0);
      const headers = { "Content-Length": FILE.length - from, ETag: '"big-1"' };
      if (from === 0) res.writeHead(200, headers);
      else res.writeHead(206, { ...headers, "Content-Range": `bytes ${from}-${FILE.length - 1}/${FILE.length}` });
      if (hit === 1) res.write(FILE.subarray(0, 512 * 1024), () => res.socket?.destroy());
      else res.end(FILE.subarray(from));
    } else if (url.pathname === "/api/player") send(200, JSON.stringify({ id: 42, name: "Ada", level: 7 }), "application/json");
    else if (url.pathname === "/api/echo") send(201, `${req.method} ${req.headers["content-type"]} ${body.toString()}`);
    else if (url.pathname === "/file") send(200, FILE, "application/octet-stream");
    else if (url.pathname.startsWith("/hop/")) {
      const n = Number(url.pathname.slice(5));
      if (n === 0) send(200, "arrived");
      else {
        res.writeHead(302, { Location: `/hop/${n - 1}`, "Content-Length": 0 });
        res.end();
      }
    } else if (url.pathname === "/away") {
      res.writeHead(301, { Location: `http://localhost:${res.socket?.localPort ?? 0}/hop/0`, "Content-Length": 0 });
      res.end();
    } else if (url.pathname === "/slow") {
      // never answers
    } else if (url.pathname === "/upload")
      send(200, `${req.method} ${body.length} ${body.equals(Buffer.from(FILE)) ? "same" : "different"}`);
    else if (url.pathname === "/form")
      send(200, `${/multipart\/form-data; boundary=/.test(req.headers["content-type"] ?? "")} ${body.includes("my save")} ${body.length}`);
    else send(404, "");
  });
}

const http = createHttpServer(handler);
const https = createHttpsServer({ cert: fixtures.serverCert, key: fixtures.serverKey }, handler);
let origin = "";
let secure = "";
let dir = "";

beforeAll(async () => {
  await new Promise<void>((done) => http.listen(0, "127.0.0.1", done));
  await new Promise<void>((done) => https.listen(0, "127.0.0.1", done));
  origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  secure = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), "poll-http-recipes-"));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const server of [http, https]) {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  }
});

/** Ticks the tree at a virtual 1/60 s per step, yielding to the event loop between steps, until `done()`. */
async function tickUntil(tree: SceneTree, done: () => boolean, maxSteps = 5000): Promise<void> {
  for (let i = 0; i < maxSteps && !done(); i++) {
    tree.process(1 / 60);
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(done()).toBe(true);
}

describe("recipes (examples/recipes.ts)", () => {
  it("JSON: GET parses a document, POST sends one", async () => {
    const tree = new SceneTree();
    let player: Player | null = null;
    let reply = "";
    getJson<Player>(tree, `${origin}/api/player`, (value) => (player = value));
    expect(postJson(tree, `${origin}/api/echo`, { score: 10 }, (code, text) => (reply = `${code} ${text}`))).toBe(Err.OK);
    await tickUntil(tree, () => player !== null && reply !== "");
    expect(player).toEqual({ id: 42, name: "Ada", level: 7 });
    expect(reply).toBe('201 POST application/json {"score":10}');
    expect(tree.root.getChildCount()).toBe(0); // queueFree removed both nodes
  });

  it("download to a file with progress", async () => {
    const tree = new SceneTree();
    const path = join(dir, "file.bin");
    const seen: number[] = [];
    let outcome: string | null = null;
    downloadWithProgress(
      tree,
      `${origin}/file`,
      path,
      (received, total) => {
        expect(total).toBe(FILE.length);
        seen.push(received);
      },
      (ok, why) => (outcome = ok ? "ok" : why),
    );
    await tickUntil(tree, () => outcome !== null);
    expect(outcome).toBe("ok");
    expect(seen.at(-1)).toBe(FILE.length);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(FILE))).toBe(true);
  });

  it("redirects: a chain within the limit, one past it, and a manual check of each hop", async () => {
    const tree = new SceneTree();
    const results: string[] = [];
    getFollowingRedirects(tree, `${origin}/hop/3`, (result, code, body) => results.push(`${resultName(result)} ${code} ${body}`));
    const over = getFollowingRedirects(tree, `${origin}/hop/4`, (result, code) => results.push(`${resultName(result)} ${code}`));
    let manual = "";
    getWithRedirectCheck(tree, `${origin}/hop/1`, (result, code, hops) => (manual = `${resultName(result)} ${code} ${hops.join(", ")}`));
    await tickUntil(tree, () => results.length === 2 && manual !== "");
    expect(results).toContain("RESULT_SUCCESS 200 arrived");
    expect(results).toContain("RESULT_REDIRECT_LIMIT_REACHED 302");
    expect(over.getErrorReason()).not.toBe("");
    expect(manual).toBe(`RESULT_SUCCESS 200 302 → GET ${origin}/hop/0`);
  });

  it("a manual redirect to another host is cancelled: nothing is emitted", async () => {
    const tree = new SceneTree();
    let completed = false;
    getWithRedirectCheck(tree, `${origin}/away`, () => (completed = true));
    for (let i = 0; i < 60; i++) {
      tree.process(1 / 60);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(completed).toBe(false);
  });

  it("proxies: the settings are accepted", () => {
    const tree = new SceneTree();
    const req = new HTTPRequest();
    tree.root.addChild(req);
    useProxies(req);
    expect(req.getErrorReason()).toBe("");
    expect(req.proxyLoginHandler?.({ host: "proxy.lan", port: 3128, scheme: "https", realm: "corp", attempt: 1 })).toEqual({
      user: "me",
      password: "for corp@proxy.lan",
    });
  });

  it("TLS with a private CA: verified with the CA, refused without it", async () => {
    const tree = new SceneTree();
    const trusted = new HTTPRequest();
    const untrusted = new HTTPRequest();
    tree.root.addChild(trusted);
    tree.root.addChild(untrusted);
    trustPrivateCa(trusted, fixtures.ca);
    const results: string[] = [];
    trusted.requestCompleted.connect((result, code) => results.push(`trusted ${resultName(result)} ${code}`));
    untrusted.requestCompleted.connect((result) => results.push(`untrusted ${resultName(result)}`));
    trusted.request(`${secure}/api/player`);
    untrusted.request(`${secure}/api/player`);
    await tickUntil(tree, () => results.length === 2);
    expect(results.sort()).toEqual(["trusted RESULT_SUCCESS 200", "untrusted RESULT_TLS_HANDSHAKE_ERROR"]);
    expect(untrusted.getErrorReason()).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|unable to verify/i);
  });

  it("timeout in virtual time and cancel through an AbortController", async () => {
    const tree = new SceneTree();
    const results: string[] = [];
    getWithTimeout(tree, `${origin}/slow`, 0.5, new AbortController(), (result, why) => results.push(`${resultName(result)} ${why}`));
    const controller = new AbortController();
    const cancelled = getWithTimeout(tree, `${origin}/slow`, 10, controller, (result) => results.push(`cancelled? ${resultName(result)}`));
    for (let i = 0; i < 30; i++) {
      // 0.5 s of virtual time, however long it takes
      tree.process(1 / 60);
      await new Promise((resolve) => setImmediate(resolve));
    }
    controller.abort();
    tree.process(1 / 60);
    expect(results).toEqual(["RESULT_TIMEOUT timed out after 0.5 s"]);
    expect(cancelled.getErrorReason()).toBe("aborted: This operation was aborted");
  });

  it("uploads: a file with PUT and progress, and a multipart form", async () => {
    const tree = new SceneTree();
    const path = join(dir, "save.bin");
    writeFileSync(path, FILE);
    const sent: number[] = [];
    const results: string[] = [];
    expect(
      uploadFile(
        tree,
        `${origin}/upload`,
        path,
        (bytes, total) => {
          expect(total).toBe(FILE.length);
          sent.push(bytes);
        },
        (result, code) => results.push(`file ${resultName(result)} ${code}`),
      ),
    ).toBe(Err.OK);
    expect(
      uploadForm(tree, `${origin}/form`, path, (result, code, reply) => results.push(`form ${resultName(result)} ${code} ${reply}`)),
    ).toBe(Err.OK);
    await tickUntil(tree, () => results.length === 2);
    expect(results.sort()).toEqual(["file RESULT_SUCCESS 200", expect.stringMatching(/^form RESULT_SUCCESS 200 true true \d+$/)]);
    expect(sent.at(-1)).toBe(FILE.length);
    expect(
      uploadFile(
        tree,
        `${origin}/upload`,
        join(dir, "missing.bin"),
        () => {},
        () => {},
      ),
    ).toBe(Err.ERR_FILE_CANT_OPEN);
  });

  it("HTTPClient by hand: poll once per frame until the body is complete", async () => {
    const port = (http.address() as AddressInfo).port;
    const parts: Uint8Array[] = [];
    const get = new PlainGet("127.0.0.1", port, "/api/player", (piece) => parts.push(piece.slice()));
    for (let frame = 0; frame < 1000 && !get.step(); frame++) await new Promise((resolve) => setImmediate(resolve));
    expect(get.client.getResponseCode()).toBe(200);
    expect(new TextDecoder().decode(Buffer.concat(parts))).toBe('{"id":42,"name":"Ada","level":7}');
    get.client.close();
  });

  it("a game's own loop ticks the tree on a timer", async () => {
    const tree = new SceneTree();
    let player: Player | null = null;
    let frames = 0;
    getJson<Player>(tree, `${origin}/api/player`, (value) => (player = value));
    const stop = startOwnLoop(tree, () => frames++);
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (player !== null) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    stop();
    expect(player).toEqual({ id: 42, name: "Ada", level: 7 });
    expect(frames).toBe(tree.getFrame());
    expect(resultName(Result.RESULT_SUCCESS)).toBe("RESULT_SUCCESS");
  });

  it("retries for a game backend: a 503 waits out Retry-After, a lost POST with an idempotency key is sent again", async () => {
    const tree = new SceneTree();
    const lines: string[] = [];
    const req = backendNode(tree, 7, (line) => lines.push(line));
    let player: string | null = null;
    req.requestCompleted.connect((_result, code, _headers, body) => (player = `${code} ${new TextDecoder().decode(body)}`), {
      oneShot: true,
    });
    expect(req.request(`${origin}/flaky/player`)).toBe(Err.OK);
    await tickUntil(tree, () => player !== null);
    expect(player).toBe(`200 ${JSON.stringify({ id: 42, name: "Ada", level: 7 })}`);
    expect(lines).toEqual(["attempt 2 in 1.00 s: 503 with Retry-After: 1 (the server answered 503)"]);
    let claimed: [number, number] | null = null;
    expect(claimReward(req, `${origin}/flaky/reward`, "r1", (code, attempts) => (claimed = [code, attempts]))).toBe(Err.OK);
    await tickUntil(tree, () => claimed !== null);
    expect(claimed).toEqual([200, 2]);
    expect(hits.get("/flaky/reward")).toBe(2);
    expect(lines[1]).toMatch(/^attempt 2 in \d\.\d\d s: RESULT_NO_RESPONSE \(/);
    req.queueFree();
    tree.process(0);
  });

  it("a resilient large download: cut once, continued with Range, the file complete", async () => {
    const tree = new SceneTree();
    const target = join(dir, "big.bin");
    let outcome: [string, number] | null = null;
    resilientDownload(tree, `${origin}/flaky/big`, target, (result, attempts) => (outcome = [resultName(result), attempts]));
    await tickUntil(tree, () => outcome !== null);
    expect(outcome).toEqual(["RESULT_SUCCESS", 2]);
    expect(Buffer.from(readFileSync(target)).equals(Buffer.from(FILE))).toBe(true);
    expect(bigRanges).toEqual([undefined, `bytes=${512 * 1024}-`]);
  });
});
