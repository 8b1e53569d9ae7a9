// Runs a TypeScript entry point on Node 20 (no type stripping there): bundles it with esbuild
// into a temporary ESM file beside node_modules and imports it. Arguments after the file pass through.
import { build } from "esbuild";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { basename, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const entry = process.argv[2];
if (!entry) {
  console.error("usage: node scripts/run-ts.mjs FILE.ts [args...]");
  process.exit(2);
}
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const outdir = resolve(".tmp/run");
mkdirSync(outdir, { recursive: true });
const outfile = resolve(outdir, `${basename(entry).replace(/\.ts$/, "")}.${process.pid}.mjs`);
process.on("exit", () => rmSync(outfile, { force: true }));
await build({
  entryPoints: [entry],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  outfile,
  packages: "external",
  logLevel: "warning",
  define: { __POLL_HTTP_VERSION__: JSON.stringify(pkg.version) },
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
process.argv.splice(1, 2, outfile);
await import(pathToFileURL(outfile).href);
