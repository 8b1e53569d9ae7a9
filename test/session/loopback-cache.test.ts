/**
 * The HTTP cache through HTTPRequest over real sockets, each test against a loopback origin that
 * counts requests and connections: a fresh repeat opens no connection, revalidation sends the
 * validators and a 304 serves the stored body, Vary keys, no-store stores nothing, a POST
 * invalidates, every Fetch cache mode, only-if-cached with nothing stored touches no network, a
 * download file left untouched by a 304, a directory store read by a new cache, eviction within
 * the byte bound.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  DirectoryCacheStore,
  Err,
  HTTPCache,
  HTTPRequest,
  MemoryCacheStore,
  Method,
  SceneTree,
  resultName,
  type CacheMode,
} from "../../src/index.ts";
import { startCacheServer, type CacheServer } from "../helpers/cache-server.ts";
import { runUntilComplete } from "../request/loopback-helpers.ts";

let server: CacheServer;
let scratch = "";
const trees: SceneTree[] = [];

beforeAll(async () => {
  server = await startCacheServer();
  scratch = mkdtempSync(join(tmpdir(), "poll-http-cache-"));
});
afterEach(() => {
  for (const tree of trees.splice(0)) for (const child of tree.root.getChildren()) tree.root.removeChild(child); // closes kept connections
});
afterAll(async () => {
  await server?.close();
  if (scratch !== "") rmSync(scratch, { recursive: true, force: true });
});

/** A tree with the given cache attached. */
function treeWith(cache: HTTPCache): SceneTree {
  const tree = new SceneTree();
  tree.httpCache = cache;
  trees.push(tree);
  return tree;
}

interface Got {
  readonly result: string;
  readonly code: number;
  readonly text: string;
  readonly headers: string[];
  readonly outcome: string;
  /** Requests and connections the server counted during this request. */
  readonly requests: number;
  readonly connections: number;
}

/** Runs one request on a new node in `tree` (so no kept connection carries over) and removes the node. */
async function get(
  tree: SceneTree,
  path: string,
  options: { headers?: string[]; mode?: CacheMode; method?: Method; file?: string } = {},
): Promise<Got> {
  const node = new HTTPRequest();
  tree.root.addChild(node);
  if (options.file !== undefined) node.downloadFile = options.file;
  const requests = server.requests;
  const connections = server.connections;
  try {
    const err = node.request(
      `${server.origin}${path}`,
      options.headers ?? [],
      options.method ?? Method.METHOD_GET,
      "",
      options.mode === undefined ? {} : { cache: options.mode },
    );
    expect(err).toBe(Err.OK);
    const done = await runUntilComplete(node, { maxMs: 8000 });
    return {
      result: resultName(done.result),
      code: done.code,
      text: Buffer.from(done.body).toString("latin1"),
      headers: done.headers,
      outcome: node.getCacheOutcome(),
      requests: server.requests - requests,
      connections: server.connections - connections,
    };
  } finally {
    tree.root.removeChild(node);
  }
}

const brief = (g: Got): [string, number, string, string, number, number] => [
  g.result,
  g.code,
  g.text,
  g.outcome,
  g.requests,
  g.connections,
];

describe("HTTP cache over a loopback origin", () => {
  it("a repeat GET within max-age is answered from the cache: no request, no connection, an Age header", async () => {
    const tree = treeWith(new HTTPCache());
    expect(brief(await get(tree, "/fresh/a"))).toEqual(["RESULT_SUCCESS", 200, "fresh #1", "miss", 1, 1]);
    const again = await get(tree, "/fresh/a");
    expect(brief(again)).toEqual(["RESULT_SUCCESS", 200, "fresh #1", "hit", 0, 0]);
    expect(again.headers.find((l) => l.startsWith("Age: "))).toMatch(/^Age: \d+$/);
  });

  it("a stale response is revalidated with If-None-Match and If-Modified-Since; the 304 serves the stored body", async () => {
    const tree = treeWith(new HTTPCache());
    expect(brief(await get(tree, "/etag/a"))).toEqual(["RESULT_SUCCESS", 200, "etag body #1", "miss", 1, 1]);
    const before = server.notModified;
    const again = await get(tree, "/etag/a");
    expect(brief(again)).toEqual(["RESULT_SUCCESS", 200, "etag body #1", "validated", 1, 1]);
    expect(server.notModified).toBe(before + 1);
    const sent = server.seen.at(-1)?.headers;
    expect([sent?.["if-none-match"], sent?.["if-modified-since"]]).toEqual(['"v1"', "Wed, 01 Jan 2025 00:00:00 GMT"]);
  });

  it("Vary: Accept-Language keys the stored responses by that header", async () => {
    const tree = treeWith(new HTTPCache());
    const en = ["Accept-Language: en"];
    const fr = ["Accept-Language: fr"];
    expect(brief(await get(tree, "/vary/a", { headers: en }))).toEqual(["RESULT_SUCCESS", 200, "lang=en #1", "miss", 1, 1]);
    expect(brief(await get(tree, "/vary/a", { headers: fr }))).toEqual(["RESULT_SUCCESS", 200, "lang=fr #2", "miss", 1, 1]);
    expect(brief(await get(tree, "/vary/a", { headers: en }))).toEqual(["RESULT_SUCCESS", 200, "lang=en #1", "hit", 0, 0]);
    expect(brief(await get(tree, "/vary/a", { headers: fr }))).toEqual(["RESULT_SUCCESS", 200, "lang=fr #2", "hit", 0, 0]);
  });

  it("no-store: nothing is stored", async () => {
    const cache = new HTTPCache();
    const tree = treeWith(cache);
    expect(brief(await get(tree, "/nostore/a"))).toEqual(["RESULT_SUCCESS", 200, "nostore #1", "miss", 1, 1]);
    expect(brief(await get(tree, "/nostore/a"))).toEqual(["RESULT_SUCCESS", 200, "nostore #2", "miss", 1, 1]);
    expect(cache.getStore().keys()).toEqual([]);
  });

  it("a POST to the URL invalidates its stored response", async () => {
    const tree = treeWith(new HTTPCache());
    await get(tree, "/fresh/post");
    expect((await get(tree, "/fresh/post")).outcome).toBe("hit");
    expect(brief(await get(tree, "/fresh/post", { method: Method.METHOD_POST }))).toEqual(["RESULT_SUCCESS", 204, "", "miss", 1, 1]);
    expect(brief(await get(tree, "/fresh/post"))).toEqual(["RESULT_SUCCESS", 200, "fresh #2", "miss", 1, 1]);
  });

  describe("the Fetch cache modes", () => {
    it("default: fresh from the cache, stale validated", async () => {
      const tree = treeWith(new HTTPCache());
      await get(tree, "/fresh/default");
      expect((await get(tree, "/fresh/default", { mode: "default" })).outcome).toBe("hit");
      await get(tree, "/etag/default");
      expect((await get(tree, "/etag/default", { mode: "default" })).outcome).toBe("validated");
    });

    it("no-store: the cache is neither read nor written", async () => {
      const cache = new HTTPCache();
      const tree = treeWith(cache);
      await get(tree, "/fresh/ns");
      expect(brief(await get(tree, "/fresh/ns", { mode: "no-store" }))).toEqual(["RESULT_SUCCESS", 200, "fresh #2", "miss", 1, 1]);
      expect(brief(await get(tree, "/fresh/ns"))).toEqual(["RESULT_SUCCESS", 200, "fresh #1", "hit", 0, 0]); // #2 was not stored
    });

    it("reload: the network even when fresh, and the answer replaces the stored one", async () => {
      const tree = treeWith(new HTTPCache());
      await get(tree, "/fresh/reload");
      expect(brief(await get(tree, "/fresh/reload", { mode: "reload" }))).toEqual(["RESULT_SUCCESS", 200, "fresh #2", "miss", 1, 1]);
      expect(brief(await get(tree, "/fresh/reload"))).toEqual(["RESULT_SUCCESS", 200, "fresh #2", "hit", 0, 0]);
    });

    it("no-cache: validated even when fresh", async () => {
      const tree = treeWith(new HTTPCache());
      await get(tree, "/etag/nc");
      const before = server.notModified;
      expect(brief(await get(tree, "/etag/nc", { mode: "no-cache" }))).toEqual(["RESULT_SUCCESS", 200, "etag body #1", "validated", 1, 1]);
      expect(server.notModified).toBe(before + 1);
    });

    it("force-cache: a stale stored response is served without a request", async () => {
      const tree = treeWith(new HTTPCache());
      expect((await get(tree, "/stale/fc")).text).toBe("stale #1");
      expect(brief(await get(tree, "/stale/fc"))).toEqual(["RESULT_SUCCESS", 200, "stale #2", "miss", 1, 1]); // default: stale, no validator
      expect(brief(await get(tree, "/stale/fc", { mode: "force-cache" }))).toEqual(["RESULT_SUCCESS", 200, "stale #2", "hit", 0, 0]);
      expect(brief(await get(tree, "/stale/fc-empty", { mode: "force-cache" }))).toEqual(["RESULT_SUCCESS", 200, "stale #1", "miss", 1, 1]);
    });

    it("only-if-cached: a stale stored response is served; with nothing stored, RESULT_REQUEST_FAILED and no network", async () => {
      const tree = treeWith(new HTTPCache());
      await get(tree, "/stale/oic");
      expect(brief(await get(tree, "/stale/oic", { mode: "only-if-cached" }))).toEqual(["RESULT_SUCCESS", 200, "stale #1", "hit", 0, 0]);
      expect(brief(await get(tree, "/stale/never", { mode: "only-if-cached" }))).toEqual(["RESULT_REQUEST_FAILED", 0, "", "miss", 0, 0]);
    });
  });

  it("downloadFile: a 304 leaves the file untouched; a hit rewrites a file that was changed", async () => {
    const tree = treeWith(new HTTPCache());
    const file = join(scratch, "etag.txt");
    expect(brief(await get(tree, "/etag/file", { file }))).toEqual(["RESULT_SUCCESS", 200, "", "miss", 1, 1]);
    expect(readFileSync(file, "latin1")).toBe("etag body #1");
    const past = new Date(Date.UTC(2020, 0, 1));
    utimesSync(file, past, past); // a rewrite would move the modification time
    const inode = statSync(file).ino;
    expect(brief(await get(tree, "/etag/file", { file }))).toEqual(["RESULT_SUCCESS", 200, "", "validated", 1, 1]);
    expect([statSync(file).mtimeMs, statSync(file).ino, readFileSync(file, "latin1")]).toEqual([past.getTime(), inode, "etag body #1"]);
  });

  it("a directory store written by one cache answers a new cache over the same directory", async () => {
    const dir = join(scratch, "store");
    await get(treeWith(new HTTPCache({ store: new DirectoryCacheStore(dir) })), "/fresh/disk");
    const fresh = treeWith(new HTTPCache({ store: new DirectoryCacheStore(dir) }));
    expect(brief(await get(fresh, "/fresh/disk"))).toEqual(["RESULT_SUCCESS", 200, "fresh #1", "hit", 0, 0]);
  });

  it("eviction keeps the memory store within its byte bound (least recently used first)", async () => {
    const store = new MemoryCacheStore(10_000);
    const tree = treeWith(new HTTPCache({ store }));
    for (let i = 0; i < 6; i++) {
      await get(tree, `/big/3000/${i}`);
      expect(store.bytes).toBeLessThanOrEqual(10_000);
    }
    expect(brief(await get(tree, "/big/3000/5"))).toEqual(["RESULT_SUCCESS", 200, "\x01".repeat(3000), "hit", 0, 0]);
    expect((await get(tree, "/big/3000/0")).outcome).toBe("miss"); // evicted long ago
  });
});

describe("HTTP cache with downloadFile and an error status", () => {
  it("a cacheable 404 with downloadFile is stored with its own body, not the file's, and a hit of it leaves the file alone", async () => {
    const tree = treeWith(new HTTPCache());
    const file = join(scratch, "kept.txt");
    writeFileSync(file, "the player's file");
    const first = await get(tree, "/missing/x", { file });
    expect([first.code, first.text, first.outcome]).toEqual([404, "not here", "miss"]);
    const again = await get(tree, "/missing/x", { file });
    expect([again.code, again.text, again.outcome, again.requests]).toEqual([404, "not here", "hit", 0]); // in the signal, as from the network
    expect(readFileSync(file, "latin1")).toBe("the player's file");
  });
});

describe("a directory cache whose writer is killed mid-write, end to end", () => {
  it("a process storing downloads is killed while an entry is being replaced; a new cache serves the last whole one", async () => {
    const dir = join(scratch, "killed");
    const size = 24 * 1024 * 1024;
    const child = spawn(
      process.execPath,
      ["scripts/run-ts.mjs", "test/session/fixtures/cache-download-writer.ts", dir, server.origin, String(size)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    const killed = await new Promise<boolean>((resolve) => {
      const deadline = Date.now() + 20_000;
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.once("exit", () => resolve(false));
      // Once a big answer is stored whole, kill the child when the temporary file of the next is on disk and growing.
      const poll = (): void => {
        if (Date.now() > deadline) {
          child.kill("SIGKILL");
          resolve(false);
          return;
        }
        const temp = out.includes("stored") ? readdirSync(dir).find((f) => f.endsWith(".tmp")) : undefined;
        let growing = false;
        try {
          growing = temp !== undefined && statSync(join(dir, temp)).size > 0;
        } catch {
          growing = false; // renamed meanwhile
        }
        if (growing) {
          child.kill("SIGKILL");
          resolve(true);
        } else setImmediate(poll);
      };
      poll();
    });
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once("close", resolve)));
    expect(killed).toBe(true);
    const tree = treeWith(new HTTPCache({ store: new DirectoryCacheStore(dir, 1024 * 1024 * 1024) }));
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]); // left-overs removed on opening
    expect(brief(await get(tree, "/fresh/e2e-small", { mode: "only-if-cached" }))).toEqual([
      "RESULT_SUCCESS",
      200,
      "fresh #1",
      "hit",
      0,
      0,
    ]);
    const big = await get(tree, `/big/${size}/e2e`, { mode: "only-if-cached" });
    expect([big.requests, big.connections]).toEqual([0, 0]);
    // The entry being replaced when the writer died is served whole: the last answer stored
    // complete (every byte the fill of one response, and all of them), never the torn new one.
    expect([big.result, big.code, big.outcome]).toEqual(["RESULT_SUCCESS", 200, "hit"]);
    const bytes = Buffer.from(big.text, "latin1");
    expect(bytes.length).toBe(size);
    expect(bytes.every((b) => b === bytes[0])).toBe(true);
  }, 30_000);
});
