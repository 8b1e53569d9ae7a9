/**
 * stale-while-revalidate over real sockets: within the window the stale stored body is delivered at
 * once while the origin still holds the validation's answer; the origin then sees exactly one
 * conditional request (a second stale delivery meanwhile starts none), its 304 refreshes the
 * stored entry, the next request is a fresh hit without a request, and the validation's connection
 * is closed. A process whose validation is never answered still ends by itself.
 */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Err, HTTPCache, HTTPRequest, SceneTree, resultName } from "../../src/index.ts";
import { startCacheServer, type CacheServer } from "../helpers/cache-server.ts";
import { runTree, runUntilComplete } from "../request/loopback-helpers.ts";

let server: CacheServer;

beforeAll(async () => {
  server = await startCacheServer();
});
afterAll(async () => {
  await server?.close();
});

/** Runs one GET on `node` and returns what it delivered, with the requests the origin counted meanwhile. */
async function get(node: HTTPRequest, url: string): Promise<[string, number, string, string, number]> {
  const before = server.requests;
  expect(node.request(url)).toBe(Err.OK);
  const done = await runUntilComplete(node, { maxMs: 8000 });
  return [resultName(done.result), done.code, Buffer.from(done.body).toString("latin1"), node.getCacheOutcome(), server.requests - before];
}

describe("stale-while-revalidate over a loopback origin", () => {
  it("delivers the stale body at once, validates once in the background, and the next request is a fresh hit", async () => {
    const cache = new HTTPCache();
    const tree = new SceneTree();
    tree.httpCache = cache;
    const first = new HTTPRequest();
    const second = new HTTPRequest();
    const third = new HTTPRequest();
    for (const node of [first, second, third]) tree.root.addChild(node);
    const url = `${server.origin}/swr/a`;
    const conditionals = (): number => server.seen.filter((r) => r.url === "/swr/a" && r.headers["if-none-match"] !== undefined).length;
    try {
      expect(await get(first, url)).toEqual(["RESULT_SUCCESS", 200, "swr #1", "miss", 1]);
      tree.root.removeChild(first); // its kept connection closes: the validation needs one of its own

      // Stale (max-age=0) within stale-while-revalidate=60: delivered from the cache, whatever the origin does.
      const stale = await get(second, url);
      expect(stale.slice(0, 4)).toEqual(["RESULT_SUCCESS", 200, "swr #1", "hit"]);
      expect(server.notModified).toBe(0); // the origin has not answered the validation: nobody waited for it
      await runTree(
        tree,
        () => server.held === 1,
        { maxMs: 8000 },
        () => `held ${server.held}`,
      );
      const sent = server.seen.find((r) => r.url === "/swr/a" && r.headers["if-none-match"] !== undefined);
      expect(sent?.headers["if-none-match"]).toBe('"s1"');

      // A second stale delivery while the validation is in flight starts no other one.
      expect(await get(third, url)).toEqual(["RESULT_SUCCESS", 200, "swr #1", "hit", 0]);

      server.release();
      const refreshed = (): boolean => (cache.getStore().get(url)[0]?.headers ?? []).some((l) => /^cache-control: max-age=60$/i.test(l));
      await runTree(tree, refreshed, { maxMs: 8000 }, () => `notModified ${server.notModified}`);
      expect(server.notModified).toBe(1);
      // The validation's connection is closed once its answer is in.
      await server.whenNoSockets();
      expect(conditionals()).toBe(1);

      // Fresh from the refreshed entry: no request.
      expect(await get(third, url)).toEqual(["RESULT_SUCCESS", 200, "swr #1", "hit", 0]);
      expect(conditionals()).toBe(1);
      expect(server.requests).toBe(2);
    } finally {
      for (const child of tree.root.getChildren()) tree.root.removeChild(child);
    }
  });

  it("a validation in flight does not keep the process alive", async () => {
    const child = spawn(process.execPath, ["scripts/run-ts.mjs", "test/session/fixtures/swr-exit.ts", server.origin], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    const heldBefore = server.held;
    // Once the child delivered the stale answer and the origin holds its validation, the child lets go of stdin.
    const ready = await new Promise<boolean>((resolve) => {
      const deadline = Date.now() + 20_000;
      const poll = (): void => {
        if (out.includes("stale") && server.held > heldBefore) resolve(true);
        else if (Date.now() > deadline || child.exitCode !== null) resolve(false);
        else setImmediate(poll);
      };
      poll();
    });
    if (!ready) child.kill("SIGKILL");
    expect(ready).toBe(true);
    child.stdin.end("go\n");
    // Only the validation's socket (in flight, never answered) and the idle kept connection remain: the child ends.
    const deadline = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const code = await exited;
    clearTimeout(deadline);
    expect([code, out.trim()]).toEqual([0, "stale hit"]);
    server.release(); // the validation's connection is gone: the answer goes nowhere
  });
});
