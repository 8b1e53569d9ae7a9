// State across requests, as docs/guide.md shows it: a cookie jar kept in a curl-compatible file, an
// HTTP cache on disk, and a login handler for servers that answer 401. Each takes the SceneTree the
// game already ticks; test/examples/session-state.test.ts runs them against a local server.
import { existsSync } from "node:fs";
import {
  CookieJar,
  DirectoryCacheStore,
  HTTPCache,
  type HTTPRequest,
  Method,
  Result,
  type SceneTree,
  loadCookieFile,
  saveCookieFile,
} from "../src/index.ts";

// #region cookies
/** One jar for every request of the tree, read from a cookie file (curl's format) if there is one. */
export function keepCookies(tree: SceneTree, file: string): CookieJar {
  const jar = new CookieJar();
  if (existsSync(file)) loadCookieFile(jar, file, tree.getDateMs());
  tree.cookieJar = jar; // every HTTPRequest in the tree without a jar of its own sends and stores with it
  return jar;
}

/** Writes the jar back (atomically: a reader never sees half a file), e.g. when the game quits. */
export function saveCookies(tree: SceneTree, jar: CookieJar, file: string): void {
  saveCookieFile(jar, file, tree.getDateMs()); // expired cookies are left out, in the tree's date
}
// #endregion cookies

// #region cache
/** An HTTP cache on disk for every request of the tree, at most 256 MiB (least recently used out first). */
export function cacheOnDisk(tree: SceneTree, dir: string): HTTPCache {
  const cache = new HTTPCache({ store: new DirectoryCacheStore(dir, 256 * 1024 * 1024) });
  tree.httpCache = cache;
  return cache;
}

/** Loads a manifest: from the cache while it is fresh (no connection), validated when stale, else downloaded. */
export function loadManifest(req: HTTPRequest, url: string, use: (manifest: unknown, cached: boolean) => void, offline = false): void {
  req.requestCompleted.connect(
    (result, code, _headers, body) => {
      if (result !== Result.RESULT_SUCCESS || code !== 200) return; // offline and nothing stored: RESULT_REQUEST_FAILED
      use(JSON.parse(new TextDecoder().decode(body)), req.getCacheOutcome() !== "miss"); // "hit", "validated" or "stale"
    },
    { oneShot: true },
  );
  // Offline, take what is stored however old, and send nothing: Fetch's "only-if-cached".
  req.request(url, [], Method.METHOD_GET, "", { cache: offline ? "only-if-cached" : "default" });
}
// #endregion cache

// #region login
/** Answers a server's 401 (Basic or Digest) once per request with the player's credentials. */
export function logInWith(req: HTTPRequest, user: string, password: string): void {
  // Asked with { url, host, port, scheme, realm, attempt }; the credentials go to that origin only.
  req.authLoginHandler = ({ attempt }) => (attempt === 1 ? { user, password } : null);
}
// #endregion login
