// Runs examples/await-or-poll.ts (docs/guide.md, "Await or poll") against a local server: the
// await form with the default fetch and in a ticked tree, and the poll form, give the same result.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SceneTree, TreeRunner } from "../../src/index.ts";
import { syncInGame, syncWithAwait, syncWithPoll } from "../../examples/await-or-poll.ts";

const reports: string[] = [];
let server: Server;
let base = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.url === "/manifest.json") {
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ files: ["a.pck", "b.pck", "c.pck"] }));
      } else if (req.url === "/report" && req.method === "POST") {
        reports.push(Buffer.concat(chunks).toString());
        res.writeHead(201).end("thanks");
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("examples/await-or-poll.ts", () => {
  it("await with the default fetch", async () => {
    reports.length = 0;
    expect(await syncWithAwait(base)).toBe(201);
    expect(reports).toEqual(['{"count":3}']);
  });

  it("await in a tree the game ticks", async () => {
    reports.length = 0;
    const tree = new SceneTree();
    const runner = new TreeRunner(tree, { fps: 120 });
    runner.start();
    try {
      expect(await syncInGame(tree, base)).toBe(201);
    } finally {
      runner.stop();
    }
    expect(reports).toEqual(['{"count":3}']);
  });

  it("poll with signals", async () => {
    reports.length = 0;
    const tree = new SceneTree();
    const runner = new TreeRunner(tree, { mode: "as-fast-as-possible" });
    const outcome = new Promise<[number, string]>((resolve) => syncWithPoll(tree, base, (status, error) => resolve([status, error])));
    runner.start();
    try {
      expect(await outcome).toEqual([201, ""]);
    } finally {
      runner.stop();
    }
    expect(reports).toEqual(['{"count":3}']);
  });
});
