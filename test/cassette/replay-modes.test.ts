/**
 * Cassettes against a real loopback server: replay under fake timers, gzip and brotli bodies byte
 * for byte, strict mode's first differing byte, matched mode with parallel requests started in
 * another order, a request with no recording, "record missing", and redaction of secrets in the
 * file.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { formatCassette, parseCassette } from "../../src/client/cassette/cassette.ts";
import { NodeNetwork } from "../../src/client/node-network.ts";
import { Result } from "../../src/status/result.ts";
import { recordJobs, replayJobs, type Job } from "./cassette-kit.ts";

const TEXT = Array.from({ length: 3000 }, (_, i) => `line ${i}: recorded once, replayed forever\n`).join("");
let server: Server;
let origin = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? "/";
    if (path === "/gz") {
      const body = gzipSync(TEXT);
      res.writeHead(200, { "Content-Encoding": "gzip", "Content-Length": body.length });
      res.end(body);
    } else if (path === "/br") {
      const body = brotliCompressSync(TEXT);
      res.writeHead(200, { "Content-Encoding": "br", "Content-Length": body.length });
      res.end(body);
    } else if (path.startsWith("/item/")) {
      const body = `item ${path.slice(6)}\n`;
      res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": body.length });
      res.end(body);
    } else if (path === "/login") {
      const body = `welcome, ${req.headers.authorization === "Bearer s3cr3t-t0ken" ? "token holder" : "stranger"}\n`;
      res.writeHead(200, { "Set-Cookie": "session=abc123secret; HttpOnly", "Content-Length": body.length });
      res.end(body);
    } else {
      res.writeHead(404, { "Content-Length": 0 });
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const items = (): Job[] => [0, 1, 2, 3].map((n) => ({ label: `item${n}`, url: `${origin}/item/${n}` }));
const byLabel = (trace: readonly string[], label: string): string[] => trace.filter((line) => line.split(" ")[1] === label);

describe("replay", () => {
  it("replays gzip and brotli bodies byte for byte under fake timers, reading no clock and setting no timer", async () => {
    const jobs: Job[] = [
      { label: "gz", url: `${origin}/gz` },
      { label: "br", url: `${origin}/br` },
    ];
    const recording = await recordJobs(jobs);
    expect(recording.results.map((line) => line.split(" ").slice(1, 3).join(" "))).toEqual(["0 200", "0 200"]);
    const cassette = parseCassette(formatCassette(recording.cassette));
    vi.useFakeTimers({ toFake: ["setTimeout", "setInterval", "setImmediate", "queueMicrotask", "Date", "performance", "hrtime"] });
    try {
      const replay = replayJobs(cassette, jobs);
      expect(replay.trace).toEqual(recording.trace);
      expect(replay.results).toEqual(recording.results);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("strict mode: a changed request fails its connection with the first differing byte", async () => {
    const recording = await recordJobs([{ label: "item", url: `${origin}/item/7` }]);
    const replay = replayJobs(recording.cassette, [{ label: "item", url: `${origin}/item/8` }]);
    // "GET /item/7 HTTP/1.1": byte 10 is the 7.
    expect(replay.network.getFailures()).toEqual([
      expect.objectContaining({ code: "mismatch", connection: "c0", offset: 10, recorded: 0x37, sent: 0x38, fault: "caller" }),
    ]);
    expect(replay.results).toHaveLength(1);
    const [label, result] = (replay.results[0] as string).split(" ");
    expect(label).toBe("item");
    expect(Number(result)).toBe(Result.RESULT_CONNECTION_ERROR);
    expect(replay.results[0]).toContain("at byte 10: recorded 0x37 '7', sent 0x38 '8'");
  });

  it("matched mode: parallel requests started in another order each get their own recorded exchange", async () => {
    const recording = await recordJobs(items());
    const reversed = items().reverse();
    const strict = replayJobs(recording.cassette, reversed);
    expect(strict.network.getFailures().length).toBeGreaterThan(0);
    const matched = replayJobs(recording.cassette, reversed, { mode: "matched" });
    expect(matched.network.getFailures()).toEqual([]);
    for (const job of items()) {
      expect(byLabel(matched.trace, job.label)).toEqual(byLabel(recording.trace, job.label));
      expect(matched.results).toContain(recording.results.find((line) => line.startsWith(`${job.label} `)));
    }
  });

  it("a TreeRunner that sleeps until woken (as fast as possible) steps through a replay", async () => {
    const recording = await recordJobs(items());
    const { ReplayNetwork } = await import("../../src/client/cassette/replay-network.ts");
    const { SceneTree } = await import("../../src/request-node/scene-tree.ts");
    const { TreeRunner } = await import("../../src/request-node/runner.ts");
    const { HTTPRequest } = await import("../../src/request-node/http-request.ts");
    const network = new ReplayNetwork(recording.cassette);
    const tree = new SceneTree();
    network.attach(tree);
    const runner = new TreeRunner(tree, { mode: "as-fast-as-possible" });
    const results: string[] = [];
    for (const job of items()) {
      const node = new HTTPRequest({ name: job.label, network });
      tree.root.addChild(node);
      node.requestCompleted.connect((result, code) => {
        results.push(`${job.label} ${result} ${code} ${tree.getFrame()}`);
        if (results.length === 4) runner.stop();
      });
      node.request(job.url);
    }
    const watchdog = setTimeout(() => runner.stop(), 10_000);
    runner.start();
    await runner.whenStopped();
    clearTimeout(watchdog);
    for (const node of tree.root.getChildren()) tree.root.removeChild(node);
    const frames = new Map(
      recording.trace.filter((line) => line.includes("requestCompleted")).map((line) => [line.split(" ")[1], line.split(" ")[0]]),
    );
    expect(results.sort()).toEqual(
      items()
        .map((job) => `${job.label} 0 200 ${frames.get(job.label)}`)
        .sort(),
    );
  });

  it("a request with no recording fails with a clear reason", async () => {
    const recording = await recordJobs([{ label: "item", url: `${origin}/item/1` }]);
    const replay = replayJobs(recording.cassette, [{ label: "item", url: `${origin}/item/9` }], { mode: "matched" });
    expect(replay.network.getFailures()).toEqual([
      expect.objectContaining({ code: "missing", reason: expect.stringContaining("GET /item/9 HTTP/1.1") }),
    ]);
    expect(replay.results[0]).toContain("no recorded exchange for GET /item/9 HTTP/1.1");
    expect(Number((replay.results[0] as string).split(" ")[1])).toBe(Result.RESULT_CONNECTION_ERROR);
    const otherHost = replayJobs(recording.cassette, [{ label: "item", url: "http://127.0.0.2:9/item/1" }]);
    expect(otherHost.results[0]).toContain("no recorded connection to 127.0.0.2:9");
    expect(Number((otherHost.results[0] as string).split(" ")[1])).toBe(Result.RESULT_CANT_CONNECT);
  });

  it("record missing: what the cassette lacks is fetched from the real network and appended", async () => {
    const recording = await recordJobs([{ label: "item1", url: `${origin}/item/1` }]);
    const jobs: Job[] = [
      { label: "item1", url: `${origin}/item/1` },
      { label: "item2", url: `${origin}/item/2` },
    ];
    const network = new NodeNetwork();
    // The missing exchange needs the real event loop: step the tree on a runner-like async loop.
    const { ReplayNetwork } = await import("../../src/client/cassette/replay-network.ts");
    const { SceneTree } = await import("../../src/request-node/scene-tree.ts");
    const { HTTPRequest } = await import("../../src/request-node/http-request.ts");
    const replay = new ReplayNetwork(recording.cassette, { mode: "matched", recordMissing: network });
    const tree = new SceneTree();
    replay.attach(tree);
    const bodies = new Map<string, string>();
    for (const job of jobs) {
      const node = new HTTPRequest({ name: job.label, network: replay });
      tree.root.addChild(node);
      node.requestCompleted.connect((result, code, _headers, body) =>
        bodies.set(job.label, `${result} ${code} ${new TextDecoder().decode(body)}`),
      );
      node.request(job.url);
    }
    for (let i = 0; i < 2000 && bodies.size < 2; i++) {
      tree.process(1 / 60);
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const node of tree.root.getChildren()) tree.root.removeChild(node);
    expect(bodies.get("item1")).toBe("0 200 item 1\n");
    expect(bodies.get("item2")).toBe("0 200 item 2\n");
    expect(replay.getSocketsOpened()).toBe(1);
    expect(replay.hasNewRecordings()).toBe(true);
    const merged = parseCassette(formatCassette(replay.toCassette()));
    const again = replayJobs(merged, jobs, { mode: "matched" });
    expect(again.network.getFailures()).toEqual([]);
    expect(again.results.map((line) => line.split(" ").slice(0, 3).join(" ")).sort()).toEqual(["item1 0 200", "item2 0 200"]);
  });
});

describe("redaction", () => {
  const login = (): Job[] => [
    { label: "login", url: `${origin}/login`, headers: ["Authorization: Bearer s3cr3t-t0ken", "Cookie: theme=dark; sid=cookie-secret"] },
  ];

  it("hides Authorization, Cookie and Set-Cookie values in the file, and strict replay still matches", async () => {
    const jobs = login();
    const recording = await recordJobs(jobs);
    expect(recording.results[0]).toMatch(/^login 0 200 /);
    const text = formatCassette(recording.cassette);
    for (const secret of ["s3cr3t-t0ken", "cookie-secret", "abc123secret"]) expect(text).not.toContain(secret);
    expect(text).toContain("Authorization: *******************\\r\\n"); // "Bearer s3cr3t-t0ken", same length
    expect(text).toContain("Cookie: ******************************\\r\\n");
    expect(text).toContain("Set-Cookie: ******************************\\r\\n");
    const replay = replayJobs(parseCassette(text), jobs);
    expect(replay.network.getFailures()).toEqual([]);
    expect(replay.results[0]).toMatch(/^login 0 200 /);
    // The body is the recorded one: the server saw the real token.
    expect(replay.results[0]?.split(" ")[3]).toBe(recording.results[0]?.split(" ")[3]);
    // A different secret is not a difference: hidden values are not compared.
    const otherToken = replayJobs(parseCassette(text), [
      { ...(jobs[0] as Job), headers: ["Authorization: Bearer another-token", "Cookie: theme=dark; sid=cookie-secret"] },
    ]);
    expect(otherToken.network.getFailures()).toEqual([]);
  });

  it("keeps the values when asked", async () => {
    const recording = await recordJobs(login(), { redact: [] });
    const text = formatCassette(recording.cassette);
    expect(text).toContain("Authorization: Bearer s3cr3t-t0ken");
    expect(text).toContain("Set-Cookie: session=abc123secret; HttpOnly");
  });
});
