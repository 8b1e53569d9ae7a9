// Record once, replay forever: the first run of a test records its HTTP exchanges into a cassette
// file; every later run replays them with no server and no socket, under fake timers, frame for frame.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { HTTPRequest, Result, SceneTree, useCassette, type CassetteSession } from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "poll-http-cassettes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// #region fetch-player
/** The code under test: fetches the player and reports what it saw, frame by frame. */
async function fetchPlayer(cassette: CassetteSession, url: string): Promise<string[]> {
  const tree = new SceneTree();
  const seen: string[] = [];
  const req = new HTTPRequest({ network: cassette.network });
  tree.root.addChild(req);
  req.headersReceived.connect((code) => seen.push(`frame ${tree.getFrame()}: headers ${code}`));
  req.requestCompleted.connect((result, code, _headers, body) => {
    seen.push(
      `frame ${tree.getFrame()}: ${result === Result.RESULT_SUCCESS ? "success" : "failure"} ${code} ${new TextDecoder().decode(body)}`,
    );
  });
  req.request(url, ["Authorization: Bearer my-secret-token"]);
  await cassette.run(tree, () => seen.length === 2);
  tree.root.removeChild(req);
  return seen;
}
// #endregion fetch-player

describe("a test with a cassette", () => {
  let url = "";
  let firstRun: string[] = [];

  it("first run: the cassette is missing, so it records from the real server", async () => {
    const server = createServer((_req, res) => res.end('{"name":"Ada","level":7}'));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/player`;
    // #region record
    const cassette = useCassette("player", { dir }); // <dir>/player.cassette.jsonl does not exist yet
    expect(cassette.mode).toBe("record");
    firstRun = await fetchPlayer(cassette, url);
    cassette.save();
    // #endregion record
    server.close();
    expect(firstRun[1]).toMatch(/success 200 \{"name":"Ada","level":7\}$/);
    // The secret never reaches the file.
    const file = readFileSync(cassette.path, "utf8");
    expect(file).not.toContain("my-secret-token");
    expect(file).toContain("Authorization: ***************");
  });

  it("later runs: the cassette replays, with the server gone and the timers fake", async () => {
    vi.useFakeTimers();
    try {
      // #region replay
      const cassette = useCassette("player", { dir }); // the file exists now: replay, no socket
      expect(cassette.mode).toBe("replay");
      expect(await fetchPlayer(cassette, url)).toEqual(firstRun);
      // #endregion replay
    } finally {
      vi.useRealTimers();
    }
  });
});
