// Child of fetch-memory.test.ts:
//   node [--expose-gc] scripts/run-ts.mjs test/fetch/fetch-memory-child.ts URL poll|runtime default|byob
// Fetches a small body once (so code and buffers are warm), notes the RSS, then streams URL's
// body through response.body with this library's fetch (poll) or the runtime's (runtime), read
// with a default reader (each chunk a new array the reader owns) or a BYOB reader (one 64 KiB
// buffer, reused for every read), sampling the RSS after every read, and prints one JSON line:
// { bytes, baseline, peak }. Run with --expose-gc, it collects garbage before each sample, so the
// figure is the memory the fetch holds rather than buffers the engine already dropped and V8 has
// not collected yet.
import { fetch as pollFetch } from "../../src/index.ts";

const [url = "", impl = "poll", mode = "default"] = process.argv.slice(2);
const fetch = impl === "runtime" ? globalThis.fetch : pollFetch;
const gc = (globalThis as { gc?: () => void }).gc;
const warm = await fetch(`${url}?warm`);
await warm.arrayBuffer();
gc?.();
const baseline = process.memoryUsage.rss();
let peak = baseline;
const response = await fetch(url);
const body = response.body!;
let bytes = 0;
const sample = (): void => {
  gc?.();
  const rss = process.memoryUsage.rss();
  if (rss > peak) peak = rss;
};
if (mode === "byob") {
  const reader = body.getReader({ mode: "byob" });
  let buffer = new Uint8Array(64 * 1024);
  for (;;) {
    const { done, value } = await reader.read(buffer);
    if (done || value === undefined) break;
    bytes += value.length;
    buffer = new Uint8Array(value.buffer); // the read transferred the buffer: take it back
    sample();
  }
} else {
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
    sample();
  }
}
console.log(JSON.stringify({ bytes, baseline, peak }));
