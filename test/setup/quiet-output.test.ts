// The suite's output is results: what a passing test prints is not shown, a failing test's is
// (vitest.config.ts `silent: "passed-only"`). Checked with a nested run of vitest on two tiny tests
// under the repository's own configuration.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
mkdirSync(join(ROOT, ".tmp"), { recursive: true });
const dir = mkdtempSync(join(ROOT, ".tmp", "quiet-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("test output", () => {
  it("keeps a passing test's console output out of the results and shows a failing test's", async () => {
    writeFileSync(
      join(dir, "vitest.config.ts"),
      [
        'import { defineConfig, mergeConfig } from "vitest/config";',
        `import base from ${JSON.stringify(join(ROOT, "vitest.config.ts"))};`,
        'export default mergeConfig({ ...base, test: { ...base.test, reporters: ["default"] } }, defineConfig({ test: { include: ["noisy.test.ts"] } }));',
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(dir, "noisy.test.ts"),
      [
        'import { expect, it } from "vitest";',
        'it("passes", () => { console.log(["figures", "from a passing test"].join(" ")); expect(1).toBe(1); });',
        'it("fails", () => { console.log(["figures", "from a failing test"].join(" ")); expect(1).toBe(2); });',
        "",
      ].join("\n"),
    );
    const output = await new Promise<string>((resolve) => {
      execFile(
        process.execPath,
        [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--root", dir],
        { cwd: dir, env: { ...process.env, NO_COLOR: "1", CI: "1" }, timeout: 60_000 },
        (_error, stdout, stderr) => resolve(stdout + stderr),
      );
    });
    expect(output).toMatch(/1 failed \| 1 passed/);
    expect(output).toContain("figures from a failing test");
    expect(output).toContain("stdout | noisy.test.ts > fails");
    expect(output).not.toContain("figures from a passing test");
    expect(output).not.toContain("stdout | noisy.test.ts > passes");
  }, 60_000);
});
