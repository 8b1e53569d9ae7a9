// Child of fetch-memory.test.ts:
//   node [--expose-gc] scripts/run-ts.mjs test/fetch/fetch-memory-child.ts URL poll|runtime
// Fetches a small body once (so code and buffers are warm), notes the RSS, then streams URL's
// body through response.body with this library's fetch (poll) or the runtime's (runtime),
// sampling the RSS after every read, and prints one JSON line: { bytes, baseline, peak }. Run with
// --expose-gc, it collects garbage before each sample, so the figure is the memory the fetch holds
// rather than buffers the engine already dropped and V8 has not collected yet.
import { fetch as pollFetch } from "../../src/index.ts";

const [url = "", impl = "poll"] = process.argv.slice(2);
const fetch = impl === "runtime" ? globalThis.fetch : pollFetch;
const gc = (globalThis as { gc?: () => void }).gc;
const warm = await fetch(`${url}?warm`);
await warm.arrayBuffer();
gc?.();
const baseline = process.memoryUsage.rss();
let peak = baseline;
const response = await fetch(url);
const reader = response.body!.getReader();
let bytes = 0;
for (;;) {
  const { done, value } = await reader.read();
  if (done) break;
  bytes += value.length;
  gc?.();
  const rss = process.memoryUsage.rss();
  if (rss > peak) peak = rss;
}
console.log(JSON.stringify({ bytes, baseline, peak }));
