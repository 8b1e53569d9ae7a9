// Builds dist/: ESM and CJS bundles with esbuild, declarations with tsc.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync, readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
rmSync("dist", { recursive: true, force: true });
const common = {
  entryPoints: ["src/index.ts"],
  bundle: true,
  platform: "node",
  target: "node20",
  sourcemap: false,
  logLevel: "warning",
  define: { __POLL_HTTP_VERSION__: JSON.stringify(pkg.version) },
};
await build({ ...common, format: "esm", outfile: "dist/index.js" });
await build({ ...common, format: "cjs", outfile: "dist/index.cjs" });
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
writeFileSync("dist/index.d.ts", 'export * from "./types/index.js";\n');
writeFileSync("dist/index.d.cts", 'export * from "./types/index.js";\n');
console.log("built dist/index.js, dist/index.cjs, dist/index.d.ts");
