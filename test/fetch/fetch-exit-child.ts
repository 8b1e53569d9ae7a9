// Child of fetch-exit.test.ts: `node scripts/run-ts.mjs test/fetch/fetch-exit-child.ts URL`.
// Its only work is awaiting fetch(); it must then exit by itself (the default fetch's runner stops
// when nothing is in flight, and the kept-alive connection does not hold the process).
import { fetch } from "../../src/index.ts";

const [url = ""] = process.argv.slice(2);
const response = await fetch(url);
console.log(response.status, await response.text());
