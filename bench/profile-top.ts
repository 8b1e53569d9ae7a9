// Summarises a V8 .cpuprofile (from `node --cpu-prof`) of the bundled bench: self time by function
// and by source file, with bundle lines mapped back to the `src/…` and `bench/…` files through the
// `// path.ts` markers esbuild writes at the start of each module.
//
//   node scripts/run-ts.mjs bench/profile-top.ts PROFILE.cpuprofile [top=25]
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

function isProfile(value: unknown): value is Profile {
  return typeof value === "object" && value !== null && "nodes" in value && Array.isArray(value.nodes);
}

/** For a bundle file: line (0-based) → the module path in effect there. */
const moduleMaps = new Map<string, (line: number) => string>();

function moduleOf(url: string, line: number): string {
  if (!url.startsWith("file://") || !url.includes("/.tmp/"))
    return url === "" ? "" : url.replace(/^file:\/\/.*\/node_modules\//, "node_modules/");
  let map = moduleMaps.get(url);
  if (map === undefined) {
    const starts: Array<{ line: number; path: string }> = [];
    try {
      const lines = readFileSync(fileURLToPath(url), "utf8").split("\n");
      for (let i = 0; i < lines.length; i++) {
        const m = /^\/\/ ((?:src|bench|node_modules)\/\S+\.[mc]?[jt]s)$/.exec(lines[i] ?? "");
        if (m !== null && m[1] !== undefined) starts.push({ line: i, path: m[1] });
      }
    } catch {
      // the bundle is gone: keep the URL
    }
    map = (l: number): string => {
      let found = url;
      for (const s of starts) {
        if (s.line > l) break;
        found = s.path;
      }
      return found;
    };
    moduleMaps.set(url, map);
  }
  return map(line);
}

function main(): void {
  const file = process.argv[2];
  if (file === undefined) {
    console.error("usage: profile-top PROFILE.cpuprofile [top]");
    process.exitCode = 2;
    return;
  }
  const top = Number(process.argv[3] ?? 25);
  const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
  if (!isProfile(parsed)) throw new Error(`${file} is not a .cpuprofile`);
  const byId = new Map<number, ProfileNode>(parsed.nodes.map((n) => [n.id, n]));
  // Self time per node from samples × time deltas (more exact than hitCount × interval).
  const self = new Map<number, number>();
  const samples = parsed.samples ?? [];
  const deltas = parsed.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i];
    const dt = deltas[i + 1] ?? 0;
    if (id !== undefined) self.set(id, (self.get(id) ?? 0) + dt);
  }
  let total = 0;
  for (const v of self.values()) total += v;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const cf = node.callFrame;
    const mod = moduleOf(cf.url, cf.lineNumber);
    const name = cf.functionName === "" ? "(anonymous)" : cf.functionName;
    const key = mod === "" ? name : `${name}  ${mod}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const fileKey = mod === "" ? name : mod.startsWith("node:") ? "node: internals" : mod;
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
  }
  const print = (title: string, map: Map<string, number>): void => {
    console.log(`\n${title}`);
    const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
    for (const [key, us] of rows) {
      console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`);
    }
  };
  // Inclusive time of functions in src/: self time of the node and everything it called, each
  // function counted once per stack (recursion does not double count).
  const parent = new Map<number, number>();
  for (const n of parsed.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur);
      if (node === undefined) break;
      const mod = moduleOf(node.callFrame.url, node.callFrame.lineNumber);
      if (!mod.startsWith("src/")) continue;
      const key = `${node.callFrame.functionName === "" ? "(anonymous)" : node.callFrame.functionName}  ${mod}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  let busy = total;
  for (const [id, us] of self) {
    const name = byId.get(id)?.callFrame.functionName;
    if (name === "(idle)") busy -= us;
  }
  console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s not idle`);
  print("self time by function", byFunction);
  print("self time by file", byFile);
  print("inclusive time of src/ functions", inclusive);
}

main();
