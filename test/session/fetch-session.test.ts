/**
 * fetch() with an HTTP cache, a cookie jar and a login handler (createFetch options), over real
 * loopback servers that count requests: Fetch's `cache` and `credentials` members honoured.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CookieJar, FetchFailure, HTTPCache, createFetch, resultName } from "../../src/index.ts";
import { startCacheServer, type CacheServer } from "../helpers/cache-server.ts";

let cacheServer: CacheServer;
let cookieServer: Server;
let cookieOrigin = "";
const cookiesSeen: Array<string | undefined> = [];

beforeAll(async () => {
  cacheServer = await startCacheServer();
  cookieServer = createServer((req, res) => {
    if (req.url === "/set") {
      res.writeHead(200, { "Set-Cookie": "token=t1; Path=/", "Content-Length": "2" }).end("ok");
      return;
    }
    if (req.url === "/secret") {
      if (req.headers.authorization !== `Basic ${Buffer.from("me:pw").toString("base64")}`) {
        res.writeHead(401, { "WWW-Authenticate": 'Basic realm="fetch"', "Content-Length": "0" }).end();
        return;
      }
      res.writeHead(200, { "Content-Length": "6" }).end("secret");
      return;
    }
    cookiesSeen.push(req.headers.cookie);
    res.writeHead(200, { "Content-Length": "4" }).end("seen");
  });
  await new Promise<void>((resolve) => cookieServer.listen(0, "127.0.0.1", resolve));
  const address = cookieServer.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  cookieOrigin = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  await cacheServer?.close();
  await new Promise<void>((resolve) => cookieServer.close(() => resolve()));
});

describe("fetch() with createFetch({ httpCache })", () => {
  it("a fresh repeat is answered from the cache (no request); a stale one is validated and the 304 serves the stored body", async () => {
    const fetch = createFetch({ httpCache: new HTTPCache() });
    const before = cacheServer.requests;
    expect(await (await fetch(`${cacheServer.origin}/fresh/fetch`)).text()).toBe("fresh #1");
    const again = await fetch(`${cacheServer.origin}/fresh/fetch`);
    expect([again.status, await again.text(), again.headers.has("age"), cacheServer.requests - before]).toEqual([200, "fresh #1", true, 1]);
    const notModified = cacheServer.notModified;
    expect(await (await fetch(`${cacheServer.origin}/etag/fetch`)).text()).toBe("etag body #1");
    const validated = await fetch(`${cacheServer.origin}/etag/fetch`);
    expect([validated.status, await validated.text(), cacheServer.notModified - notModified]).toEqual([200, "etag body #1", 1]);
    const reloaded = await fetch(`${cacheServer.origin}/fresh/fetch`, { cache: "reload" });
    expect(await reloaded.text()).toBe("fresh #2");
  });

  it("only-if-cached with nothing stored rejects with RESULT_REQUEST_FAILED and sends nothing", async () => {
    const fetch = createFetch({ httpCache: new HTTPCache() });
    const [requests, connections] = [cacheServer.requests, cacheServer.connections];
    const error: unknown = await fetch(`${cacheServer.origin}/fresh/never`, { cache: "only-if-cached" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    const cause = (error as TypeError).cause;
    expect(cause).toBeInstanceOf(FetchFailure);
    expect(resultName((cause as FetchFailure).result)).toBe("RESULT_REQUEST_FAILED");
    expect([cacheServer.requests - requests, cacheServer.connections - connections]).toEqual([0, 0]);
  });
});

describe("fetch() with createFetch({ cookieJar, authLoginHandler })", () => {
  it("credentials: same-origin (the default) and include send the jar's cookies, omit does not", async () => {
    const jar = new CookieJar();
    const fetch = createFetch({ cookieJar: jar });
    await (await fetch(`${cookieOrigin}/set`)).text();
    expect(jar.getAllCookies().map((c) => `${c.name}=${c.value}`)).toEqual(["token=t1"]);
    cookiesSeen.length = 0;
    for (const credentials of [undefined, "same-origin", "include", "omit"] as const) {
      await (await fetch(`${cookieOrigin}/echo`, credentials === undefined ? {} : { credentials })).text();
    }
    expect(cookiesSeen).toEqual(["token=t1", "token=t1", "token=t1", undefined]);
  });

  it("a 401 is answered by the login handler", async () => {
    const fetch = createFetch({ authLoginHandler: ({ realm }) => (realm === "fetch" ? { user: "me", password: "pw" } : null) });
    const res = await fetch(`${cookieOrigin}/secret`);
    expect([res.status, await res.text()]).toEqual([200, "secret"]);
  });
});
