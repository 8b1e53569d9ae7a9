// The same task done both ways, for docs/guide.md's "Await or poll": fetch a JSON manifest, then
// POST a report of it. test/examples/await-or-poll.test.ts runs each against a local server.
import { HTTPRequest, Method, Result, type SceneTree, createFetch, fetch, resultName, type FetchFunction } from "../src/index.ts";

/** The manifest the server returns. */
export interface Manifest {
  readonly files: readonly string[];
}

// #region await
/** Reads the manifest and reports how many files it lists; resolves with the report's status. */
export async function syncWithAwait(base: string, fetchFn: FetchFunction = fetch): Promise<number> {
  const res = await fetchFn(`${base}/manifest.json`, { pollHttp: { timeout: 10 } });
  if (!res.ok) throw new Error(`manifest: HTTP ${res.status}`);
  const manifest = (await res.json()) as Manifest;
  const report = await fetchFn(`${base}/report`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ count: manifest.files.length }),
  });
  await report.body?.cancel(); // the reply is not needed; cancelling frees its connection
  return report.status;
}

// In a game: the same function, its requests advancing only when the game ticks `tree`.
export function syncInGame(tree: SceneTree, base: string): Promise<number> {
  return syncWithAwait(base, createFetch({ tree }));
}
// #endregion await

// #region poll
/** The same task with signals; `done` gets the report's status, or 0 and a reason. */
export function syncWithPoll(tree: SceneTree, base: string, done: (status: number, error: string) => void): void {
  const req = new HTTPRequest();
  tree.root.addChild(req);
  req.timeout = 10;
  const finish = (status: number, error: string): void => {
    req.queueFree();
    done(status, error);
  };
  const onManifest = (result: Result, code: number, _headers: string[], body: Uint8Array): void => {
    req.requestCompleted.disconnect(onManifest);
    if (result !== Result.RESULT_SUCCESS) return finish(0, `manifest: ${resultName(result)}: ${req.getErrorReason()}`);
    if (code !== 200) return finish(0, `manifest: HTTP ${code}`);
    const manifest = JSON.parse(new TextDecoder().decode(body)) as Manifest;
    req.requestCompleted.connect((reportResult, status) => {
      finish(reportResult === Result.RESULT_SUCCESS ? status : 0, reportResult === Result.RESULT_SUCCESS ? "" : req.getErrorReason());
    });
    req.request(`${base}/report`, ["Content-Type: application/json"], Method.METHOD_POST, JSON.stringify({ count: manifest.files.length }));
  };
  req.requestCompleted.connect(onManifest);
  req.request(`${base}/manifest.json`);
}
// #endregion poll
