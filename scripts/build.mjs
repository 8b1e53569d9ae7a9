// Builds dist/: ESM and CJS bundles with esbuild, declarations with tsc, and the `poll-http` command.
// `node scripts/build.mjs --outdir DIR` builds into DIR instead of dist/ (the package test does).
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
process.chdir(root);
const outFlag = process.argv.indexOf("--outdir");
const out = resolve(outFlag >= 0 && process.argv[outFlag + 1] !== undefined ? process.argv[outFlag + 1] : "dist");
const pkg = JSON.parse(readFileSync("package.json", "utf8"));
rmSync(out, { recursive: true, force: true });
const common = {
  entryPoints: ["src/index.ts"],
  bundle: true,
  platform: "node",
  target: "node20",
  sourcemap: false,
  logLevel: "warning",
  define: { __POLL_HTTP_VERSION__: JSON.stringify(pkg.version) },
};
await build({ ...common, format: "esm", outfile: join(out, "index.js") });
await build({ ...common, format: "cjs", outfile: join(out, "index.cjs") });

// The command imports the library through src/index.ts; in the package that is ./index.js, not a second copy.
const libraryAsSibling = {
  name: "library-as-sibling",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/index\.ts$/ }, () => ({ path: "./index.js", external: true }));
  },
};
await build({
  ...common,
  entryPoints: ["src/cli/bin.ts"],
  format: "esm",
  outfile: join(out, "cli.js"),
  banner: { js: "#!/usr/bin/env node" },
  plugins: [libraryAsSibling],
});
chmodSync(join(out, "cli.js"), 0o755);

const types = join(out, "types");
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json", "--outDir", types], { stdio: "inherit" });
rmSync(join(types, "cli"), { recursive: true, force: true }); // the command is not part of the API
// Declarations keep the sources' ".ts" import specifiers; point them at the ".js" files instead.
for (const entry of readdirSync(types, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, "utf8");
  // tsc writes "#private;" into a class with #private fields; a consumer compiling for ES5 (tsc's
  // default target, e.g. `tsc --strict file.ts` without a tsconfig) rejects it, and it names nothing public.
  const specifiers = text
    .replace(/(from\s+["'](?:\.{1,2}\/)[^"']*?)\.ts(["'])/g, "$1.js$2")
    .replace(/(import\(["'](?:\.{1,2}\/)[^"']*?)\.ts(["']\))/g, "$1.js$2");
  writeFileSync(file, specifiers.replace(/^[ \t]*#private;\r?\n/gm, ""));
}
writeFileSync(join(out, "index.d.ts"), 'export * from "./types/index.js";\n');
// The declarations of the CommonJS entry: the same files in a folder whose package.json says
// "commonjs", so TypeScript reads them as CommonJS (under "type": "module", dist/types/ is ESM, which
// a require() of the package may not import under moduleResolution node16).
const cjsTypes = join(out, "types-cjs");
cpSync(types, cjsTypes, { recursive: true });
writeFileSync(join(cjsTypes, "package.json"), '{ "type": "commonjs" }\n');
writeFileSync(join(out, "index.d.cts"), 'export * from "./types-cjs/index.js";\n');
console.log(`built ${out}: index.js, index.cjs, index.d.ts, cli.js`);
