// docs/godot-mapping.md must name only what exists, and everything Godot users need: every public
// member of the Godot-shaped classes and every enum member.
import { readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import * as api from "../../src/index.ts";
import { Err, Method, ResponseCode, Result, Status } from "../../src/index.ts";

const doc = readFileSync("docs/godot-mapping.md", "utf8");

/** Names of the public (not private or protected) members of an exported class, static ones included, from its types. */
function publicMembers(program: ts.Program, className: string): string[] {
  const checker = program.getTypeChecker();
  const index = program.getSourceFile("src/index.ts");
  const moduleSymbol = index === undefined ? undefined : checker.getSymbolAtLocation(index);
  const exported = moduleSymbol === undefined ? undefined : checker.getExportsOfModule(moduleSymbol).find((s) => s.name === className);
  if (exported === undefined) throw new Error(`${className} is not exported`);
  const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const declaration = symbol.valueDeclaration;
  if (declaration === undefined) throw new Error(`${className} has no declaration`);
  const instance = checker.getDeclaredTypeOfSymbol(symbol);
  const statics = checker.getTypeOfSymbolAtLocation(symbol, declaration);
  const names: string[] = [];
  for (const property of [...checker.getPropertiesOfType(instance), ...checker.getPropertiesOfType(statics)]) {
    const flags = property.declarations?.[0] === undefined ? 0 : ts.getCombinedModifierFlags(property.declarations[0]);
    if (
      (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0 ||
      property.name.startsWith("#") ||
      property.name === "prototype"
    )
      continue;
    names.push(property.name);
  }
  return names;
}

const program = ts.createProgram(["src/index.ts"], {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  allowImportingTsExtensions: true,
  noEmit: true,
  strict: true,
  types: ["node"],
  skipLibCheck: true,
});
const classes = ["HTTPClient", "HTTPRequest", "Node", "SceneTree", "Signal", "TreeRunner", "TLSOptions"];
/** Members that are plumbing rather than API a Godot user looks up. */
const internal = new Set(["toConnectOptions", "tree", "_bodyDataViews"]);
const checker = program.getTypeChecker();
const indexFile = program.getSourceFile("src/index.ts");
const indexSymbol = indexFile === undefined ? undefined : checker.getSymbolAtLocation(indexFile);
const known = new Set<string>([
  ...Object.keys(api),
  ...(indexSymbol === undefined ? [] : checker.getExportsOfModule(indexSymbol).map((s) => s.name)), // types too
  ...[...classes, "ScriptedNetwork", "NodeNetwork"].flatMap((name) => publicMembers(program, name)),
  ...[Status, Method, Result, Err, ResponseCode].flatMap((e) => Object.keys(e)),
]);

describe("docs/godot-mapping.md", () => {
  for (const name of classes) {
    it(`names every public member of ${name}`, () => {
      const missing = publicMembers(program, name).filter((m) => !internal.has(m) && !new RegExp(`[\`(,. ]${m}\\b`).test(doc));
      expect(missing).toEqual([]);
    });
  }

  it("lists every member of every enum with its value", () => {
    for (const e of [Status, Method, Result, Err, ResponseCode]) {
      for (const [name, value] of Object.entries(e)) expect(doc).toContain(`\`${name}\` ${value} |`);
    }
  });

  it("names only what exists in the poll-http column", () => {
    const unknown: string[] = [];
    for (const line of doc.split("\n")) {
      const cells = line.split(" | ");
      if (!line.startsWith("| ") || cells.length < 2 || line.startsWith("| member") || line.startsWith("| Godot")) continue;
      for (const [, code] of (cells[1] ?? "").matchAll(/`([^`]+)`/g)) {
        const first = /^(?:new )?([A-Za-z_][\w]*)(?:\.([A-Za-z_]\w*))?/.exec(code ?? "");
        if (first === null) continue; // a literal such as "follow" or { oneShot }
        const name = first[2] ?? first[1] ?? "";
        if (!known.has(name) && !known.has(first[1] ?? "")) unknown.push(code ?? "");
      }
    }
    expect(unknown).toEqual([]);
  });
});
