/**
 * Fuzz case generation. A case is a pure function of (campaign seed, case index): the same pair
 * always gives the same bytes, options and splits, so a failure is replayed from its id
 * `seed:index` alone. Three generators: random bytes, grammar-aware responses (valid and
 * near-valid heads, framings and bodies) and mutations of the {@link CORPUS}.
 */
import { prng } from "../helpers/prng.ts";
import { CORPUS, latin1Bytes } from "./corpus.ts";

/** Which generator made a case. */
export type CaseSource = "random" | "grammar" | "mutation";

/** How the server side ends after the bytes: stays open, closes (FIN) or resets. */
export type Ending = "open" | "end" | "reset";

/** One fuzz input and the settings it runs with. */
export interface FuzzCase {
  /** `seed:index`, enough to replay it (`npm run fuzz -- --seed S --case I`). */
  readonly id: string;
  readonly source: CaseSource;
  /** What it was made from (corpus entry, grammar shape), for reports. */
  readonly origin: string;
  /** The bytes the server sends. */
  readonly bytes: Uint8Array;
  /** One entry per response the parser is told to expect: was its request HEAD? */
  readonly headRequests: readonly boolean[];
  readonly ending: Ending;
  /** Parser limits (small ones make the limit paths reachable). */
  readonly maxHeadBytes: number;
  readonly maxHeaderCount: number;
  /** `next(maxDataBytes)` for the parser target, `readResponseBodyPiece(max)` for the client target. */
  readonly maxDataBytes: number;
  /** A seed for the random splits of this case. */
  readonly splitSeed: number;
}

/** Mixes a campaign seed and a case index into a 32-bit seed (murmur3 finaliser). */
export function caseSeed(seed: number, index: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ (index >>> 0)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

type Random = () => number;
const int = (r: Random, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Random, items: readonly T[]): T => items[int(r, items.length)] as T;
const chance = (r: Random, p: number): boolean => r() < p;

/** Bytes that matter to an HTTP/1.1 parser. */
const INTERESTING = latin1Bytes('\r\n\r\n\0\t :;,="0123456789aAfFxX-+HTP/1.\x7f\x80\xff');
const INTERESTING_TEXT = [
  "\r\n",
  "\n",
  "\r",
  "\r\n\r\n",
  "0\r\n\r\n",
  ": ",
  "\0",
  " ",
  "\t",
  "chunked",
  "Content-Length: ",
  "Transfer-Encoding: ",
  "HTTP/1.1 ",
  "HTTP/1.0 200 OK\r\n",
  "99999999999999999999",
  "-1",
  "0x10",
  "ffffffff",
  ";",
  "\x80\xff",
];

function randomBytes(r: Random): { bytes: Uint8Array; origin: string } {
  const length = chance(r, 0.1) ? 0 : 1 + int(r, chance(r, 0.8) ? 64 : 400);
  const out = new Uint8Array(length);
  const mode = int(r, 3);
  for (let i = 0; i < length; i++) {
    out[i] = mode === 0 ? int(r, 256) : mode === 1 ? (INTERESTING[int(r, INTERESTING.length)] as number) : 0x20 + int(r, 95);
  }
  // Most random inputs die at the first byte; a valid prefix gets some of them further.
  if (chance(r, 0.5))
    return {
      bytes: concat([latin1Bytes(pick(r, ["HTTP/1.1 ", "HTTP/1.1 200 OK\r\n", "HTTP/1.0 2"])), out]),
      origin: "random-after-prefix",
    };
  return { bytes: out, origin: `random-${["bytes", "interesting", "printable"][mode]}` };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function statusLine(r: Random): string {
  const version = chance(r, 0.9) ? "HTTP/1.1" : pick(r, ["HTTP/1.0", "HTTP/1.2", "HTTP/2.0", "http/1.1", "HTTP/1.1 "]);
  const code = chance(r, 0.85)
    ? pick(r, ["200", "201", "204", "206", "301", "302", "304", "400", "404", "500", "101", "199"])
    : pick(r, ["99", "1000", "20x", "", "000", "999", "-20"]);
  const reason = chance(r, 0.85) ? pick(r, [" OK", " ", "", " Some reason \t here"]) : pick(r, [" \x80\xff", " A\0B", " A\rB"]);
  return `${version} ${code}${reason}`;
}

const NAMES = [
  "Content-Type",
  "Server",
  "X-Custom",
  "Set-Cookie",
  "Cache-Control",
  "ETag",
  "Vary",
  "Trailer",
  "Connection",
  "Content-Encoding",
];

function headerLine(r: Random, framing: { length: string | null; chunked: string | null }): string {
  const k = int(r, 14);
  if (k === 0)
    return `Content-Length: ${pick(r, ["0", "5", "-1", "abc", "99999999999999999999", "1e3", " 5 ", "5, 5", "5,6", "0x5", "+5", "007"])}`;
  if (k === 1)
    return `Transfer-Encoding: ${pick(r, ["chunked", "identity", "gzip, chunked", "chunked, identity", "chunked, chunked", "CHUNKED", "x"])}`;
  if (k === 2) return `Connection: ${pick(r, ["close", "keep-alive", "Keep-Alive, Upgrade", ""])}`;
  if (k === 3)
    return pick(r, [
      "Bad Name: x",
      "NoColon",
      ": empty-name",
      "X-Fold: a\r\n continued",
      "X-Nul: a\0b",
      "X-Cr: a\rb",
      "X-Space : v",
      "X-Tab:\tv\t",
    ]);
  if (k === 4 && framing.length !== null) return `content-length: ${framing.length}`;
  return `${pick(r, NAMES)}: ${pick(r, ["v", "a=1; Path=/", "gzip", "", '"quoted, value"', "x".repeat(1 + int(r, 80))])}`;
}

function chunkedBody(r: Random): string {
  let out = "";
  const chunks = int(r, 4);
  for (let i = 0; i < chunks; i++) {
    const size = 1 + int(r, 20);
    const ext = chance(r, 0.2) ? pick(r, [";a=b", '; q="x;y"', ";", ";\0"]) : "";
    const sizeText = chance(r, 0.9) ? size.toString(16) : pick(r, ["-1", "g", "0x1", "ffffffffffffffffffff", " 1", "1 "]);
    out += `${chance(r, 0.5) ? sizeText.toUpperCase() : sizeText}${ext}\r\n${"c".repeat(size)}${chance(r, 0.95) ? "\r\n" : pick(r, ["\n", "", "XX"])}`;
  }
  out += chance(r, 0.9) ? "0\r\n" : "0;last\r\n";
  if (chance(r, 0.3)) out += `X-Trailer: ${pick(r, ["1", "a b", "\0"])}\r\n`;
  if (chance(r, 0.1)) out += "Bad Trailer\r\n";
  return chance(r, 0.9) ? `${out}\r\n` : out;
}

function grammarResponse(r: Random, depth = 0): { text: string; origin: string } {
  const interim =
    depth === 0 && chance(r, 0.15)
      ? `HTTP/1.1 ${pick(r, ["100 Continue", "103 Early Hints", "102 Processing"])}\r\n${chance(r, 0.5) ? "Link: </a>\r\n" : ""}\r\n`
      : "";
  const framing = chance(r, 0.45) ? "length" : chance(r, 0.6) ? "chunked" : "close";
  const body = "b".repeat(int(r, 30));
  const eol = chance(r, 0.92) ? "\r\n" : "\n";
  const headers: string[] = [];
  const lengthValue = framing === "length" ? String(chance(r, 0.8) ? body.length : body.length + pick(r, [-1, 1, 100])) : null;
  if (lengthValue !== null) headers.push(`Content-Length: ${lengthValue}`);
  if (framing === "chunked") headers.push("Transfer-Encoding: chunked");
  const extra = int(r, 5);
  for (let i = 0; i < extra; i++) headers.splice(int(r, headers.length + 1), 0, headerLine(r, { length: lengthValue, chunked: null }));
  const head = `${statusLine(r)}${eol}${headers.map((h) => `${h}${eol}`).join("")}${eol}`;
  let text = `${chance(r, 0.05) ? "\r\n" : ""}${interim}${head}${framing === "chunked" ? chunkedBody(r) : body}`;
  if (depth === 0 && framing !== "close" && chance(r, 0.2)) text += grammarResponse(r, 1).text;
  if (chance(r, 0.08)) text += pick(r, ["garbage", "\r\n", "HTTP/1.1 200 OK\r\n"]);
  return { text, origin: `grammar-${framing}` };
}

function mutate(r: Random, input: Uint8Array): Uint8Array {
  let bytes = input;
  const count = chance(r, 0.6) ? 1 : 2 + int(r, 3);
  for (let m = 0; m < count; m++) {
    const at = int(r, bytes.length + 1);
    const kind = int(r, 8);
    if (kind === 0 && bytes.length > 0) {
      const copy = bytes.slice();
      copy[Math.min(at, copy.length - 1)] = INTERESTING[int(r, INTERESTING.length)] as number;
      bytes = copy;
    } else if (kind === 1 && bytes.length > 0) {
      const copy = bytes.slice();
      const i = Math.min(at, copy.length - 1);
      copy[i] = (copy[i] as number) ^ (1 << int(r, 8));
      bytes = copy;
    } else if (kind === 2) {
      bytes = concat([bytes.subarray(0, at), latin1Bytes(pick(r, INTERESTING_TEXT)), bytes.subarray(at)]);
    } else if (kind === 3) {
      bytes = concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + int(r, 8)))]);
    } else if (kind === 4) {
      const end = Math.min(bytes.length, at + 1 + int(r, 24));
      bytes = concat([bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end)]);
    } else if (kind === 5) {
      const other = pick(r, CORPUS).bytes;
      const from = int(r, other.length + 1);
      bytes = concat([bytes.subarray(0, at), other.subarray(from)]);
    } else if (kind === 6) {
      bytes = bytes.subarray(0, at);
    } else {
      // Replace a run of digits (a length, a chunk size, a status code) by another number.
      const text = Buffer.from(bytes).toString("latin1");
      const digits = [...text.matchAll(/[0-9a-fA-F]+/g)];
      const hit = digits.length > 0 ? pick(r, digits) : undefined;
      if (hit?.index !== undefined) {
        const replacement = pick(r, [
          "0",
          "1",
          "99999999999999999999",
          "-1",
          "18446744073709551616",
          "ffffffffffff",
          "00000000000000000000001",
        ]);
        bytes = latin1Bytes(text.slice(0, hit.index) + replacement + text.slice(hit.index + hit[0].length));
      }
    }
  }
  return bytes;
}

/**
 * Builds case `index` of the campaign `seed`.
 *
 * @param seed - The campaign seed.
 * @param index - The case number, from 0.
 * @returns The case.
 */
export function makeCase(seed: number, index: number): FuzzCase {
  const r = prng(caseSeed(seed, index));
  const which = r();
  let source: CaseSource;
  let origin: string;
  let bytes: Uint8Array;
  let head = chance(r, 0.1);
  if (which < 0.15) {
    source = "random";
    ({ bytes, origin } = randomBytes(r));
  } else if (which < 0.5) {
    source = "grammar";
    const made = grammarResponse(r);
    origin = made.origin;
    bytes = latin1Bytes(made.text);
  } else {
    source = "mutation";
    const base = pick(r, CORPUS);
    origin = base.name;
    head = base.headRequest ? chance(r, 0.9) : head;
    bytes = chance(r, 0.05) ? base.bytes : mutate(r, base.bytes);
  }
  const small = chance(r, 0.25);
  return {
    id: `${seed}:${index}`,
    source,
    origin,
    bytes,
    headRequests: [head, chance(r, 0.2), false].slice(0, chance(r, 0.6) ? 1 : chance(r, 0.75) ? 2 : 3),
    ending: pick(r, ["open", "end", "end", "reset"] as const),
    maxHeadBytes: small ? pick(r, [8, 16, 24, 40, 64, 100]) : 65536,
    maxHeaderCount: small ? 1 + int(r, 4) : 100,
    maxDataBytes: pick(r, [1, 2, 3, 7, 64, 65536]),
    splitSeed: caseSeed(index, seed ^ 0x5bd1e995),
  };
}

/** A case's bytes as readable text (for failure reports). */
export function showBytes(bytes: Uint8Array): string {
  return JSON.stringify(Buffer.from(bytes).toString("latin1"));
}
