/**
 * `--record FILE` and `--replay FILE`: a transfer recorded against the test server, then played
 * back with the server stopped — same body, same exit status; a cassette that does not hold the
 * request fails clearly; the options parse and exclude each other.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../src/cli/args.ts";
import { buildCli, runCommand, startTestServer } from "./cli-kit.ts";

describe("poll-http --record / --replay", () => {
  it("parses both, and refuses them together", () => {
    const parsed = parseArgs(["--record", "a.jsonl", "u"]);
    expect(parsed.kind === "run" && parsed.options.record).toBe("a.jsonl");
    const replay = parseArgs(["--replay=b.jsonl", "u"]);
    expect(replay.kind === "run" && replay.options.replay).toBe("b.jsonl");
    expect(parseArgs(["--record", "a", "--replay", "b", "u"])).toEqual({
      kind: "error",
      message: "--record and --replay cannot be used together",
    });
    expect(parseArgs(["--replay=", "u"])).toEqual({ kind: "error", message: "option --replay needs a file name" });
  });

  it("records a transfer and replays it with the server gone", async () => {
    const cli = await buildCli();
    const server = await startTestServer();
    try {
      const file = join(cli.dir, "hello.cassette.jsonl");
      const url = `${server.origin}/redirect/2`;
      const recorded = await runCommand(cli.path, ["--record", file, "-i", url]);
      expect(recorded.stderr).toBe("");
      expect(recorded.status).toBe(0);
      expect(readFileSync(file, "utf8")).toContain("GET /redirect/1 HTTP/1.1");
      await server.close();
      const replayed = await runCommand(cli.path, ["--replay", file, "-i", url]);
      expect(replayed.stderr).toBe("");
      expect(replayed.status).toBe(0);
      expect(replayed.stdout.toString("latin1")).toBe(recorded.stdout.toString("latin1"));
      expect(replayed.stdout.toString("latin1")).toContain("arrived\n");
      const other = await runCommand(cli.path, ["--replay", file, `${server.origin}/redirect/3`]);
      expect(other.status).not.toBe(0);
      expect(other.stderr).toContain("the request differs from the recording at byte 14");
      const missing = await runCommand(cli.path, ["--replay", join(cli.dir, "none.jsonl"), url]);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toContain("cannot replay");
    } finally {
      await server.close().catch(() => {});
      cli.dispose();
    }
  });
});
