import { expect } from "vitest";
import type { HeaderField, ResponseEvent, ResponseHead } from "../../src/client/wire/response-events.ts";
import { ResponseParser, type BeginResponseOptions, type ResponseParserOptions } from "../../src/client/wire/response-parser.ts";
import { prng } from "../helpers/prng.ts";

/** An event with body bytes shown as latin1 text, for readable assertions. */
export type SimpleEvent =
  | { type: "informational"; head: ResponseHead }
  | { type: "head"; head: ResponseHead }
  | { type: "data"; text: string }
  | { type: "end"; trailers: readonly HeaderField[] }
  | { type: "error"; reason: string; code: string };

/** How to run the parser over an input. */
export interface FeedOptions {
  /** One entry per response expected, in order; default one GET. */
  responses?: BeginResponseOptions[];
  /** Call pushEnd() after the input (default false). */
  end?: boolean;
  /** Passed to next(). */
  maxDataBytes?: number;
  /** Parser limits. */
  parser?: ResponseParserOptions;
  /** Skip the byte-at-a-time run (only for huge inputs where it adds nothing). */
  skipByteByByte?: boolean;
}

/** What one run produced. */
export interface FeedRun {
  /** Events with adjacent data joined. */
  events: SimpleEvent[];
  /** Events exactly as returned (data not joined). */
  raw: ResponseEvent[];
  /** The largest getBufferedBytes() seen after draining next(). */
  maxBuffered: number;
  /** The parser, after the run. */
  parser: ResponseParser;
}

/** The result of {@link feed}: the whole-input run (but `maxBuffered` is the largest of all runs), and the number of split variants compared. */
export interface FeedResult extends FeedRun {
  /** How many differently split runs gave the same events. */
  variants: number;
}

const decoder = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");

/** Converts text to bytes one byte per character (latin1); Uint8Arrays pass through. */
export function bytesOf(input: string | Uint8Array): Uint8Array {
  if (typeof input !== "string") return input;
  const out = new Uint8Array(input.length);
  for (let i = 0; i < input.length; i++) out[i] = input.charCodeAt(i) & 0xff;
  return out;
}

/** Runs a fresh parser over `pieces`, draining next() after every push. */
export function runPieces(pieces: Uint8Array[], options: FeedOptions): FeedRun {
  const parser = new ResponseParser(options.parser);
  const responses = options.responses ?? [{ headRequest: false }];
  let nextResponse = 0;
  const raw: ResponseEvent[] = [];
  let maxBuffered = 0;
  let dead = false;
  const begin = (): void => {
    const r = responses[nextResponse++];
    if (r !== undefined) parser.beginResponse(r);
  };
  const drain = (): void => {
    for (;;) {
      if (dead) return;
      const e = parser.next(options.maxDataBytes);
      if (e === null) break;
      raw.push(e);
      if (e.type === "data" && options.maxDataBytes !== undefined) {
        expect(e.data.length).toBeLessThanOrEqual(options.maxDataBytes);
      }
      if (e.type === "data") expect(e.data.length).toBeGreaterThan(0);
      if (e.type === "end") begin();
      if (e.type === "error") {
        expect(parser.next()).toBe(e);
        expect(parser.getBufferedBytes()).toBe(0);
        dead = true;
      }
    }
    maxBuffered = Math.max(maxBuffered, parser.getBufferedBytes());
  };
  begin();
  for (const piece of pieces) {
    parser.push(piece);
    drain();
  }
  if (options.end === true) {
    parser.pushEnd();
    drain();
  }
  return { events: simplify(raw), raw, maxBuffered, parser };
}

/** Joins adjacent data events and turns bytes into text. */
export function simplify(raw: readonly ResponseEvent[]): SimpleEvent[] {
  const out: SimpleEvent[] = [];
  for (const e of raw) {
    if (e.type === "data") {
      const last = out[out.length - 1];
      if (last !== undefined && last.type === "data") last.text += decoder(e.data);
      else out.push({ type: "data", text: decoder(e.data) });
    } else if (e.type === "error") {
      // Every response failure is the server's.
      expect(e.fault).toBe("server");
      out.push({ type: "error", reason: e.reason, code: e.code });
    } else {
      out.push({ ...e });
    }
  }
  return out;
}

/**
 * Runs the parser over `input` delivered whole, one byte at a time and in 20 seeded random splits,
 * asserts that all runs give the same events, and returns the whole-input run.
 */
export function feed(input: string | Uint8Array, options: FeedOptions = {}): FeedResult {
  const bytes = bytesOf(input);
  const whole = runPieces(bytes.length === 0 ? [] : [bytes], options);
  let variants = 1;
  let maxBuffered = whole.maxBuffered;
  if (options.skipByteByByte !== true) {
    const single: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i++) single.push(bytes.subarray(i, i + 1));
    const run = runPieces(single, options);
    expect(run.events, "byte by byte").toEqual(whole.events);
    maxBuffered = Math.max(maxBuffered, run.maxBuffered);
    variants++;
  }
  for (let seed = 1; seed <= 20; seed++) {
    const random = prng(seed * 7919 + bytes.length);
    const pieces: Uint8Array[] = [];
    let at = 0;
    while (at < bytes.length) {
      const kind = random();
      const size = kind < 0.5 ? 1 + Math.floor(random() * 4) : 1 + Math.floor(random() * Math.max(1, bytes.length / 3));
      pieces.push(bytes.subarray(at, Math.min(bytes.length, at + size)));
      at += size;
    }
    const run = runPieces(pieces, options);
    expect(run.events, `random split seed ${seed}`).toEqual(whole.events);
    maxBuffered = Math.max(maxBuffered, run.maxBuffered);
    variants++;
  }
  return { ...whole, maxBuffered, variants };
}

/** The last event of a run, which must be an error; returns its reason. */
export function errorReason(result: FeedRun): string {
  const last = result.events[result.events.length - 1];
  expect(last?.type).toBe("error");
  return last !== undefined && last.type === "error" ? last.reason : "";
}
