/**
 * useCassette: records when the file is missing and saves through the hook it was given, replays
 * when the file exists, re-records on request, and says so when a replay runs out of frames.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HTTPRequest } from "../../src/request-node/http-request.ts";
import { SceneTree } from "../../src/request-node/scene-tree.ts";
import { useCassette, type CassetteSession } from "../../src/request-node/use-cassette.ts";

const dir = mkdtempSync(join(tmpdir(), "poll-http-use-cassette-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function get(cassette: CassetteSession, url: string, done?: () => boolean): Promise<string> {
  const tree = new SceneTree();
  const req = new HTTPRequest({ network: cassette.network });
  tree.root.addChild(req);
  let outcome = "";
  req.requestCompleted.connect((result, code, _headers, body) => (outcome = `${result} ${code} ${new TextDecoder().decode(body)}`));
  req.request(url);
  try {
    await cassette.run(tree, done ?? (() => outcome !== ""));
  } finally {
    tree.root.removeChild(req);
  }
  return outcome;
}

describe("useCassette", () => {
  it("records, saves through onFinished, replays, and re-records on request", async () => {
    let hits = 0;
    const server = createServer((_req, res) => res.end(`hit ${++hits}`));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const finished: Array<() => void> = [];
      const first = useCassette("hits", { dir, onFinished: (save) => finished.push(save) });
      expect(first.path).toBe(join(dir, "hits.cassette.jsonl"));
      expect(first.mode).toBe("record");
      expect(await get(first, url)).toBe("0 200 hit 1");
      expect(existsSync(first.path)).toBe(false);
      expect(finished).toHaveLength(1);
      finished[0]?.();
      expect(existsSync(first.path)).toBe(true);

      const replay = useCassette("hits", { dir });
      expect(replay.mode).toBe("replay");
      expect(await get(replay, url)).toBe("0 200 hit 1");
      expect(hits).toBe(1);
      await expect(get(useCassette("hits", { dir }), url, () => false)).rejects.toThrow(/ran out of recorded frames/);

      const again = useCassette("hits", { dir, rerecord: true });
      expect(again.mode).toBe("record");
      expect(await get(again, url)).toBe("0 200 hit 2");
      again.save();
      expect(await get(useCassette(join(dir, "hits.cassette.jsonl")), url)).toBe("0 200 hit 2");
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
