// The API reference: every code example in the TSDoc of src/ (each ```ts block under an @example
// tag) and on its front page (docs/api-index.md) compiles: the blocks are extracted, each into its
// own module that imports every public name from the package (as a reader's file would), and
// type-checked under the project's strict options. The front page starts from the four entry
// points, and every export is filed under a category (scripts/typedoc-categories.mjs).
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SRC = join(ROOT, "src");

interface Example {
  /** `src/…/file.ts:line`. */
  readonly where: string;
  readonly code: string;
}

/** The ```ts blocks that follow an @example tag in the doc comments of a file. */
function examplesIn(file: string): Example[] {
  const text = readFileSync(file, "utf8");
  const found: Example[] = [];
  for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const lines = comment[0].split("\n").map((line) => line.replace(/^\s*\/?\*\*?\/?( ?)/, ""));
    const start = text.slice(0, comment.index).split("\n").length;
    for (let i = 0; i < lines.length; i++) {
      if (!(lines[i] ?? "").trim().startsWith("@example")) continue;
      const open = lines.findIndex((line, at) => at > i && /^```(ts|typescript)\s*$/.test(line.trim()));
      const close = lines.findIndex((line, at) => at > open && line.trim() === "```");
      if (open < 0 || close < 0) continue;
      // In a comment, "*\/" stands for "*/" (typedoc shows it unescaped).
      found.push({
        where: `${relative(ROOT, file)}:${start + open + 1}`,
        code: lines
          .slice(open + 1, close)
          .join("\n")
          .replace(/\*\\\//g, "*/"),
      });
    }
  }
  return found;
}

const files = readdirSync(SRC, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
  .map((entry) => join(entry.parentPath, entry.name))
  .sort();
const FRONT_PAGE = join(ROOT, "docs/api-index.md");
/** The ```ts blocks of a Markdown page. */
function blocksIn(file: string): Example[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => ({
    where: `${relative(ROOT, file)}:${text.slice(0, m.index).split("\n").length}`,
    code: m[1] ?? "",
  }));
}
const examples = [...files.flatMap(examplesIn), ...blocksIn(FRONT_PAGE)];

mkdirSync(join(ROOT, ".tmp"), { recursive: true });
const dir = mkdtempSync(join(ROOT, ".tmp", "tsdoc-examples-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The exports the category table of the API reference does not name. */
function uncategorized(names: readonly string[]): string[] {
  const table = readFileSync(join(ROOT, "scripts/typedoc-categories.mjs"), "utf8");
  const body = table.slice(table.indexOf("export const CATEGORIES"), table.indexOf("};"));
  const listed = new Set([...body.matchAll(/"([A-Za-z_][A-Za-z0-9_]*)"/g)].map((m) => m[1]));
  return names.filter((name) => !listed.has(name));
}

/** Every name src/index.ts exports (values and types). */
function publicNames(program: ts.Program): string[] {
  const index = join(SRC, "index.ts");
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(index);
  const symbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
  return symbol === undefined
    ? []
    : checker
        .getExportsOfModule(symbol)
        .map((s) => s.getName())
        .sort();
}

describe("TSDoc examples", () => {
  it("are found in the sources (the ScriptedPeer example among them)", () => {
    expect(examples.length).toBeGreaterThan(15);
    const scripted = examples.find((example) => example.where.startsWith("src/client/peer/scripted-peer.ts"));
    expect(scripted?.code).toContain('startsWith("GET / HTTP/1.1\\r\\n")');
  });

  it("each compiles as a module importing the package's public names, under the project's strict options", () => {
    const config = ts.getParsedCommandLineOfConfigFile(
      join(ROOT, "tsconfig.json"),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
    );
    if (config === undefined) throw new Error("tsconfig.json could not be read");
    const options: ts.CompilerOptions = {
      ...config.options,
      noEmit: true,
      noUnusedLocals: false,
      noUnusedParameters: false,
      verbatimModuleSyntax: false,
      baseUrl: ROOT,
      paths: { "poll-http": ["./src/index.ts"] },
      types: ["node"],
    };
    const library = ts.createProgram([join(SRC, "index.ts")], options);
    const names = publicNames(library);
    expect(names).toContain("HTTPRequest");
    const written = examples.map((example, n) => {
      const path = join(dir, `example-${String(n).padStart(2, "0")}.ts`);
      // The public names the example does not declare itself (`const fetch = createFetch(…)`), and vitest's expect unless it imports it.
      const own = (name: string): boolean => new RegExp(`\\b(?:const|let|var|function|class)\\s+${name}\\b`).test(example.code);
      const imports = example.code.includes('from "poll-http"')
        ? ""
        : `import { ${names.filter((name) => !own(name)).join(", ")} } from "poll-http";\n`;
      const vitest = /import\s*\{[^}]*\bexpect\b[^}]*\}\s*from\s*"vitest"/.test(example.code) ? "" : 'import { expect } from "vitest";\n';
      writeFileSync(path, `// ${example.where}\n${imports}${vitest}${example.code}\nexport {};\n`);
      return { path, where: example.where };
    });
    const program = ts.createProgram(
      written.map((w) => w.path),
      options,
      undefined,
      library,
    );
    // Only the examples' own diagnostics: the sources are checked by `npm run typecheck`.
    const problems = written
      .flatMap(({ path }) => {
        const file = program.getSourceFile(path);
        return file === undefined ? [] : [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
      })
      .map((d) => {
        const where = written.find((w) => w.path === d.file?.fileName)?.where ?? d.file?.fileName ?? "";
        const { line } = d.file?.getLineAndCharacterOfPosition(d.start ?? 0) ?? { line: 0 };
        return `${where} (example line ${line - 2}): ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      });
    expect(problems).toEqual([]);
    expect(uncategorized(names)).toEqual([]);
  }, 60_000);

  it("the front page is docs/api-index.md and starts from HTTPRequest, SceneTree/TreeRunner, HTTPClient and the scripted network", () => {
    const typedoc = JSON.parse(readFileSync(join(ROOT, "typedoc.json"), "utf8")) as { readme?: string; categoryOrder?: string[] };
    expect(typedoc.readme).toBe("docs/api-index.md");
    expect(typedoc.categoryOrder?.[0]).toBe("Start here");
    const page = readFileSync(FRONT_PAGE, "utf8");
    const start = page.slice(page.indexOf("## Start here"), page.indexOf("## The rest"));
    const order = [
      "{@link HTTPRequest}",
      "{@link SceneTree} and {@link TreeRunner}",
      "{@link HTTPClient}",
      "{@link ScriptedNetwork} and {@link ScriptedPeer}",
    ].map((link) => start.indexOf(link));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(blocksIn(FRONT_PAGE).length).toBeGreaterThanOrEqual(3);
  });
});
