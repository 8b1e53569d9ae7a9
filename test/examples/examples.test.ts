// Runs each example script as a reader would (`node scripts/run-ts.mjs examples/X.ts`) and checks
// that it exits 0 and prints what its comments promise, so no example rots.
import { describe, expect, it } from "vitest";
import { runExample } from "./run-example.ts";

describe("examples", () => {
  it("game-downloads: four files at once in a 60 fps loop, each verified", async () => {
    const { code, stdout, stderr } = await runExample("examples/game-downloads.ts");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    for (const name of ["level1.pak", "level2.pak", "music.ogg", "voices.pak"]) {
      expect(stdout).toMatch(new RegExp(`^${name.replace(".", "\\.")}\\s+RESULT_SUCCESS 200`, "m"));
    }
    expect(stdout).toMatch(/^done: 4 of 4 files verified, 60 MiB in [\d.]+ s over \d+ frames at 60 frames\/s/m);
  }, 60_000);

  it("agents-simulation: 1,000 agents in virtual time give the same summary on every run", async () => {
    const { code, stdout, stderr } = await runExample("examples/agents-simulation.ts");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const deterministic = stdout
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("("))
      .join("\n");
    expect(deterministic).toBe(
      [
        "agents: 1000, virtual time: 10.00 s in 200 steps of 0.05 s",
        "requests: 5000 sent, 5000 served, 5000 succeeded, 0 failed",
        "farthest: agent-404 at (6, 9); positions checksum fd3767bd01cf6df8",
      ].join("\n"),
    );
  }, 90_000);

  it("shared-pool: an asset downloader and a chat client share one pool; chat messages jump the asset queue", async () => {
    const { code, stdout, stderr } = await runExample("examples/shared-pool.ts");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^assets: 40 of 40 downloaded, 2621440 bytes, over 4 connections$/m);
    expect(stdout).toMatch(/^chat: 3 of 3 messages delivered; assets that started while a message waited: 0$/m);
    expect(stdout).toMatch(/^every message was sent while assets were queued: true$/m);
  }, 60_000);

  it("resume-download: an interrupted download resumes with a Range request and completes the file", async () => {
    const { code, stdout, stderr } = await runExample("examples/resume-download.ts");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^attempt 1: RESULT_CONNECTION_ERROR \(connection closed after \d+ of 25165824 body bytes\)$/m);
    expect(stdout).toMatch(/target exists: false$/m);
    expect(stdout).toMatch(/^attempt 2: RESULT_SUCCESS 206, resumed from byte \d+, received \d+ more of 25165824$/m);
    expect(stdout).toMatch(/^file: 25165824 bytes, sha256 [0-9a-f]{16}… matches the source; partial file left: false$/m);
  }, 60_000);
});
