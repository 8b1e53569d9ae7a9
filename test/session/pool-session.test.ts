/**
 * HTTPRequestPool with an HTTP cache and a cookie jar attached to the pool, against the loopback
 * cache origin that counts requests: a cached answer goes through the job's signals without a
 * request, the pool's cache and jar win over the tree's, `cache` and `credentials` per request.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CookieJar,
  HTTPCache,
  HTTPRequestPool,
  SceneTree,
  resultName,
  type PoolRequest,
  type PoolRequestOptions,
} from "../../src/index.ts";
import { startCacheServer, type CacheServer } from "../helpers/cache-server.ts";
import { runTree } from "../request/loopback-helpers.ts";

let server: CacheServer;
beforeAll(async () => {
  server = await startCacheServer();
});
afterAll(async () => {
  await server?.close();
});

/** Runs one job of `pool` to its end; returns [result, code, body, cache outcome, requests the server saw]. */
async function one(
  tree: SceneTree,
  pool: HTTPRequestPool,
  path: string,
  options: PoolRequestOptions = {},
): Promise<[string, number, string, string, number]> {
  const before = server.requests;
  const job: PoolRequest = pool.request(`${server.origin}${path}`, [], undefined, "", options);
  let done: [string, number, string] | null = null;
  job.requestCompleted.connect((result, code, _headers, body) => {
    done = [resultName(result), code, Buffer.from(body).toString("latin1")];
  });
  await runTree(tree, () => done !== null, { maxMs: 8000 });
  const [result, code, text] = done as unknown as [string, number, string];
  return [result, code, text, job.getCacheOutcome(), server.requests - before];
}

describe("HTTPRequestPool with an HTTP cache and a cookie jar", () => {
  it("the pool's cache answers a repeat without a request, and wins over the tree's", async () => {
    const tree = new SceneTree();
    const treeCache = new HTTPCache();
    tree.httpCache = treeCache;
    const pool = new HTTPRequestPool();
    pool.httpCache = new HTTPCache();
    tree.root.addChild(pool);
    try {
      expect(await one(tree, pool, "/fresh/pool")).toEqual(["RESULT_SUCCESS", 200, "fresh #1", "miss", 1]);
      expect(await one(tree, pool, "/fresh/pool")).toEqual(["RESULT_SUCCESS", 200, "fresh #1", "hit", 0]);
      expect(await one(tree, pool, "/fresh/pool", { cache: "reload" })).toEqual(["RESULT_SUCCESS", 200, "fresh #2", "miss", 1]);
      expect(await one(tree, pool, "/fresh/pool-none", { cache: "only-if-cached" })).toEqual(["RESULT_REQUEST_FAILED", 0, "", "miss", 0]);
      expect(treeCache.getStore().keys()).toEqual([]);
    } finally {
      tree.root.removeChild(pool);
    }
  });

  it("the tree's cache serves a pool without one; the pool's jar stores what its requests are sent", async () => {
    const tree = new SceneTree();
    tree.httpCache = new HTTPCache();
    const pool = new HTTPRequestPool();
    const jar = new CookieJar();
    pool.cookieJar = jar;
    tree.root.addChild(pool);
    try {
      await one(tree, pool, "/etag/pool-tree");
      expect(await one(tree, pool, "/etag/pool-tree")).toEqual(["RESULT_SUCCESS", 200, "etag body #1", "validated", 1]);
      jar.setCookie(server.origin, "k=v", tree.getDateMs());
      await one(tree, pool, "/fresh/pool-cookie-1");
      expect(server.seen.at(-1)?.headers.cookie).toBe("k=v");
      await one(tree, pool, "/fresh/pool-cookie-2", { credentials: "omit" });
      expect(server.seen.at(-1)?.headers.cookie).toBeUndefined();
    } finally {
      tree.root.removeChild(pool);
    }
  });
});
