// W5, parser only: poll-http's ResponseParser against Node's own llhttp binding on the same bytes.
//
// Both parsers get the same byte buffers, split the same way, in the same order, and both hand
// the consumer the same things: the status code, every header name and value as strings, and the
// body bytes (counted). Nothing else runs: no socket, no event loop, no IncomingMessage.
//
//   (a) small: 1,000 different small responses (ten headers, a JSON body, Content-Length), each
//       in its own buffer, as a sequential keep-alive client receives them;
//   (b) large chunked: responses of 4 MiB in 16 KiB chunks, the byte stream cut into 64 KiB reads
//       (a socket's read size), so chunk lines fall anywhere in a read.
//
// Node's binding copies every body piece into a new Buffer before its kOnBody callback (that is
// how node:http receives bodies); poll-http hands out views of the received bytes. Most of the
// (b) gap is that copy.
//
// Runs on its own (`node scripts/run-ts.mjs bench/w5-parser.ts [--quick] [--runs N]`) or as the
// W5 workload of bench/index.ts.
import { createRequire } from "node:module";
import { ResponseParser } from "../src/index.ts";
import { addSample, type Column, formatTable, fullGc, interleaved, newRow, type Row, startSpan } from "./measure.ts";

/** Settings of a W5 run. */
export interface W5Options {
  /** A short run: fewer bytes per measurement. */
  readonly quick: boolean;
  readonly runs: number;
}

/** What both parsers report for a stream of buffers; compared to check they parsed the same. */
interface Tally {
  responses: number;
  headers: number;
  headerChars: number;
  statusSum: number;
  bodyBytes: number;
}

type Consumer = (buffers: readonly Uint8Array[], tally: Tally) => void;

// ---------------------------------------------------------------- inputs

const SMALL_VARIANTS = 1_000;

/** One small response: ten header fields (some values differ per response, as they do on the wire) and a short JSON body. */
function smallResponse(i: number): Uint8Array {
  const body = `{"id":${i},"name":"item-${i}","ok":true,"tags":["a","b"]}`;
  const id = (0x9e3779b9 * (i + 1)) >>> 0;
  const head = [
    "HTTP/1.1 200 OK",
    `Date: Sun, 22 Nov 2026 08:${String(10 + (i % 50)).padStart(2, "0")}:${String(i % 60).padStart(2, "0")} GMT`,
    "Server: nginx/1.24.0",
    "Content-Type: application/json; charset=utf-8",
    `Content-Length: ${body.length}`,
    "Connection: keep-alive",
    "Cache-Control: private, max-age=0, no-cache",
    `ETag: W/"${id.toString(16)}-${i}"`,
    "Vary: Accept-Encoding",
    `X-Request-Id: ${id.toString(36)}-${(i * 7919).toString(36)}-${i.toString(16)}`,
    "Strict-Transport-Security: max-age=31536000; includeSubDomains",
  ].join("\r\n");
  return Buffer.from(`${head}\r\n\r\n${body}`, "latin1");
}

/** `count` small responses, one buffer each, cycling through the variants. */
function smallInput(count: number): Uint8Array[] {
  const variants = Array.from({ length: SMALL_VARIANTS }, (_, i) => smallResponse(i));
  return Array.from({ length: count }, (_, i) => variants[i % SMALL_VARIANTS] as Uint8Array);
}

const CHUNK_BYTES = 16 * 1024;
const RESPONSE_BYTES = 4 * 1024 * 1024;
const READ_BYTES = 64 * 1024;

/** `mib` MiB of body in chunked responses of {@link RESPONSE_BYTES}, cut into {@link READ_BYTES} reads. */
function chunkedInput(mib: number): Uint8Array[] {
  const data = Buffer.alloc(CHUNK_BYTES, 0x61);
  const chunkLine = Buffer.from(`${CHUNK_BYTES.toString(16)}\r\n`, "latin1");
  const crlf = Buffer.from("\r\n", "latin1");
  const one: Buffer[] = [
    Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n", "latin1"),
  ];
  for (let sent = 0; sent < RESPONSE_BYTES; sent += CHUNK_BYTES) one.push(chunkLine, data, crlf);
  one.push(Buffer.from("0\r\n\r\n", "latin1"));
  const response = Buffer.concat(one);
  const stream = Buffer.concat(Array.from({ length: Math.max(1, Math.round((mib * 1024 * 1024) / RESPONSE_BYTES)) }, () => response));
  const reads: Uint8Array[] = [];
  for (let at = 0; at < stream.length; at += READ_BYTES) reads.push(stream.subarray(at, Math.min(stream.length, at + READ_BYTES)));
  return reads;
}

// ---------------------------------------------------------------- the two parsers

/** poll-http: push each buffer, drain events; a new response is announced after each `end`. */
const pollHttp: Consumer = (buffers, tally) => {
  const parser = new ResponseParser();
  parser.beginResponse({ headRequest: false });
  for (const buffer of buffers) {
    parser.push(buffer);
    for (let event = parser.next(); event !== null; event = parser.next()) {
      switch (event.type) {
        case "head": {
          tally.statusSum += event.head.statusCode;
          const headers = event.head.headers;
          tally.headers += headers.length;
          for (const field of headers) tally.headerChars += field.name.length + field.value.length;
          break;
        }
        case "data":
          tally.bodyBytes += event.data.length;
          break;
        case "end":
          tally.responses++;
          parser.beginResponse({ headRequest: false });
          break;
        case "error":
          throw new Error(`poll-http parser: ${event.reason}`);
        case "informational":
          break;
      }
    }
  }
};

/** The parts of Node's internal llhttp binding used here (see lib/_http_common.js, lib/_http_client.js). */
interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(buffer: Uint8Array): number | Error;
  finish(): number | Error;
  close(): void;
  [slot: number]: unknown;
}
interface LlhttpClass {
  new (): LlhttpParser;
  readonly RESPONSE: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
}

function loadLlhttp(): LlhttpClass {
  const common = createRequire(import.meta.url)("_http_common") as { HTTPParser?: LlhttpClass };
  if (common.HTTPParser === undefined) throw new Error("node:_http_common has no HTTPParser");
  return common.HTTPParser;
}

/** llhttp as Node's http client sets it up: a RESPONSE parser, strict, default head limit; headers arrive as a flat name/value array. */
const llhttp: Consumer = (buffers, tally) => {
  const HTTPParser = loadLlhttp();
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.RESPONSE, {}, 0, 0);
  const countHeaders = (headers: unknown): void => {
    if (!Array.isArray(headers)) return;
    tally.headers += headers.length / 2;
    for (const text of headers as string[]) tally.headerChars += text.length;
  };
  parser[HTTPParser.kOnHeaders] = (headers: unknown): void => countHeaders(headers);
  parser[HTTPParser.kOnHeadersComplete] = (
    _major: number,
    _minor: number,
    headers: unknown,
    _method: unknown,
    _url: unknown,
    statusCode: number,
  ): void => {
    tally.statusSum += statusCode;
    countHeaders(headers);
  };
  parser[HTTPParser.kOnBody] = (body: Uint8Array): void => {
    tally.bodyBytes += body.length;
  };
  parser[HTTPParser.kOnMessageComplete] = (): void => {
    tally.responses++;
  };
  for (const buffer of buffers) {
    const r = parser.execute(buffer);
    if (r instanceof Error) throw new Error(`llhttp: ${r.message}`);
  }
  parser.close();
};

// ---------------------------------------------------------------- measuring

/** One W5 table: `workload` is W5a or W5b; rows `poll-http` and `llhttp`, metrics `mbs`, `cpu`, `us`. */
export interface W5Table {
  readonly title: string;
  readonly rows: Row[];
  /** The printed table. */
  readonly text: string;
}

/** The row name of Node's parser in the W5 tables (the peer of the W5 targets). */
export const LLHTTP = "llhttp";

const COLUMNS: readonly Column[] = [
  { title: "MB/s", key: "mbs", digits: 0, higherIsBetter: true, ratio: true },
  { title: "CPU ns / KiB", key: "cpu", digits: 0, higherIsBetter: false, ratio: true },
  { title: "µs / response", key: "us", digits: 2, higherIsBetter: false, ratio: false },
];

function newTally(): Tally {
  return { responses: 0, headers: 0, headerChars: 0, statusSum: 0, bodyBytes: 0 };
}

/**
 * Runs every parser `runs` times, alternating the order, after a warm-up pass each. One run passes
 * over `buffers` again and again until `minSeconds` have gone by (after a full GC), so a short
 * input is not measured by one timer tick or one preemption of this busy machine.
 */
function measure(title: string, buffers: readonly Uint8Array[], runs: number, minSeconds: number): W5Table {
  const parsers: ReadonlyArray<readonly [string, Consumer]> = [
    ["poll-http", pollHttp],
    [LLHTTP, llhttp],
  ];
  const bytes = buffers.reduce((sum, b) => sum + b.length, 0);
  const rows: Row[] = parsers.map(([name]) => newRow(name));
  const tallies = parsers.map(([, consume]) => {
    const tally = newTally();
    consume(buffers, tally);
    return tally;
  });
  const [mine, theirs] = tallies.map((t) => JSON.stringify(t));
  if (mine !== theirs) throw new Error(`W5: the parsers disagree: poll-http ${mine}, llhttp ${theirs}`);
  const responses = tallies[0]?.responses ?? 0;
  for (const [entry, row] of interleaved(runs, parsers, rows)) {
    fullGc();
    const end = startSpan();
    let passes = 0;
    let span = end();
    while (passes === 0 || span.seconds < minSeconds) {
      entry[1](buffers, newTally());
      passes++;
      span = end();
    }
    addSample(row, "mbs", (passes * bytes) / 1e6 / span.seconds);
    addSample(row, "cpu", (span.cpuSeconds * 1e9) / ((passes * bytes) / 1024));
    addSample(row, "us", (span.seconds * 1e6) / Math.max(1, passes * responses));
  }
  const full = `${title} (median of ${runs})`;
  return { title: full, rows, text: formatTable(full, COLUMNS, rows) };
}

/**
 * Runs W5 (a) and (b).
 *
 * @param options - Quick mode and the number of runs.
 * @returns The printed text and both tables with their rows.
 */
export function runW5(options: W5Options): { text: string; tables: Array<W5Table & { workload: "W5a" | "W5b" }> } {
  const small = options.quick ? 10_000 : 50_000;
  const mib = options.quick ? 32 : 128;
  const runs = options.quick ? 3 : Math.max(options.runs, 5);
  const minSeconds = options.quick ? 0.2 : 0.5;
  const smallBuffers = smallInput(small);
  const sampleBytes = smallBuffers[0]?.length ?? 0;
  const a = measure(
    `W5a parser, small responses: ${small.toLocaleString("en-US")} responses with ten headers (~${sampleBytes} bytes each), one buffer each`,
    smallBuffers,
    runs,
    minSeconds,
  );
  const b = measure(
    `W5b parser, large chunked bodies: ${mib} MiB in 4 MiB responses of 16 KiB chunks, cut into 64 KiB reads`,
    chunkedInput(mib),
    runs,
    minSeconds,
  );
  return {
    text: `${a.text}\n\n${b.text}`,
    tables: [
      { workload: "W5a", ...a },
      { workload: "W5b", ...b },
    ],
  };
}

const standalone = process.argv[1]?.includes("w5-parser") === true;
if (standalone) {
  const argv = process.argv.slice(2);
  const runsAt = argv.indexOf("--runs");
  console.log(runW5({ quick: argv.includes("--quick"), runs: runsAt === -1 ? 5 : Number(argv[runsAt + 1]) || 5 }).text);
}
