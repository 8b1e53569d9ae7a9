import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { requireBinary } from "../helpers/real-process.ts";

describe("the demo (npm start)", () => {
  it("runs four requests at 60 frames/s against its embedded server and exits 0", async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ["scripts/run-ts.mjs", "examples/demo.ts"], { timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr });
      });
    });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    for (const label of ["json", "redirects", "gzip", "download"]) {
      expect(stdout).toMatch(new RegExp(`^${label}\\s+RESULT_SUCCESS\\s+200`, "m"));
    }
    expect(stdout).toContain("Ada, level 7");
    expect(stdout).toContain("after 5 redirects");
    expect(stdout).toContain("content verified");
    expect(stdout).toMatch(/^done: 4 of 4 succeeded/m);
  }, 90_000);
});

describe("the demo on an 80-column terminal", () => {
  it("draws a bar that fits the width, shows no ETA before a rate is known, and ends on the true total", async () => {
    // `script` (bsdutils) runs it on a pseudo-terminal; its width comes from COLUMNS there.
    const script = requireBinary("/usr/bin/script", "bsdutils", "POLL_HTTP_SCRIPT");
    const output = await new Promise<string>((resolve) => {
      execFile(
        script,
        ["-qec", `${process.execPath} scripts/run-ts.mjs examples/demo.ts`, "/dev/null"],
        { timeout: 60_000, env: { ...process.env, COLUMNS: "80" } },
        (_error, stdout) => resolve(stdout),
      );
    });
    const frames = output
      .replace(/\x1b\[K/g, "")
      .split(/[\r\n]/)
      .filter((line) => line.startsWith("download ") && line.includes("MiB"));
    const bars = frames.filter((line) => line.includes("%"));
    expect(bars.length).toBeGreaterThan(1);
    for (const line of bars) expect(line.length).toBeLessThan(80);
    expect(bars[0]).toMatch(/ETA --:--$/);
    expect(bars.at(-1)).toMatch(/^download 100% \[#+\] 96\.0 MiB in \d+\.\d s {2}[\d.]+ [KMG]iB\/s$/);
    expect(output).toMatch(/^done: 4 of 4 succeeded/m);
  }, 90_000);
});
