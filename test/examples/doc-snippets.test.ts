// Every code block in docs/guide.md marked `<!-- snippet: FILE#NAME -->` must equal the lines
// between `// #region NAME` and `// #endregion NAME` in FILE (dedented), so the guide shows code the
// test suite type-checks and runs.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const guide = readFileSync("docs/guide.md", "utf8");
const marked = [...guide.matchAll(/<!-- snippet: (\S+)#(\S+) -->\n```ts\n([\s\S]*?)```/g)];

/** The lines of a region, with their common indentation removed. */
function region(file: string, name: string): string {
  const lines = readFileSync(file, "utf8").split("\n");
  const start = lines.findIndex((line) => line.trim() === `// #region ${name}`);
  const end = lines.findIndex((line) => line.trim() === `// #endregion ${name}`);
  if (start < 0 || end < start) throw new Error(`${file} has no region ${name}`);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(...body.filter((line) => line.trim() !== "").map((line) => /^ */.exec(line)?.[0].length ?? 0));
  return body.map((line) => line.slice(indent)).join("\n") + "\n";
}

describe("docs/guide.md snippets", () => {
  it("marks at least one excerpt of each example", () => {
    const files = new Set(marked.map((m) => m[1]));
    for (const file of [
      "examples/game-downloads.ts",
      "examples/agents-simulation.ts",
      "examples/stepped-request.test.ts",
      "examples/resume-download.ts",
      "examples/recipes.ts",
    ]) {
      expect(files).toContain(file);
    }
  });

  for (const [, file, name, code] of marked) {
    it(`${file}#${name} matches the file`, () => {
      expect(code).toBe(region(file ?? "", name ?? ""));
    });
  }
});
