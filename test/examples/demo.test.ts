import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";

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
