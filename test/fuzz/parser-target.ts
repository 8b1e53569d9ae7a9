/**
 * Fuzz target (a): the sans-I/O {@link ResponseParser}. For one case it runs a fresh parser over
 * every split of the input, draining `next()` after each push, and checks:
 * - nothing throws;
 * - `data` events are never empty and never longer than asked; after `error` the parser is dead
 *   (the same event again, nothing buffered);
 * - once the input has ended, no response is left pending (the last one ended or failed);
 * - every split gives the same events (adjacent data joined) and the same byte counts (after an
 *   error only whether any byte of the response was seen, as the count then includes held bytes).
 */
import type { ResponseEvent } from "../../src/client/wire/response-events.ts";
import { ResponseParser } from "../../src/client/wire/response-parser.ts";
import type { FuzzCase } from "./generate.ts";
import { splitsOf } from "./splits.ts";

/** How one run ended: the last response `end`ed, failed (`error:<code>`) or waits for bytes. */
export type Terminal = "end" | `error:${string}` | "waiting" | "idle";

/** What one run produced, comparable across splits. */
export interface Run {
  /** One line per event, adjacent data joined; then the final counters. */
  readonly lines: readonly string[];
  readonly terminal: Terminal;
}

/** A broken property: which split, and what went wrong. */
export class PropertyFailure extends Error {}

const text = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");

function describeEvent(e: ResponseEvent): string {
  switch (e.type) {
    case "informational":
    case "head":
      return `${e.type} ${JSON.stringify(e.head)}`;
    case "end":
      return `end ${JSON.stringify(e.trailers)}`;
    case "error":
      return `error ${e.code} ${e.reason}`;
    case "data":
      return `data ${JSON.stringify(text(e.data))}`;
  }
}

/**
 * Runs a fresh parser over `pieces`.
 *
 * @throws PropertyFailure when an invariant breaks (exceptions of the parser pass through).
 */
export function runParser(c: FuzzCase, pieces: readonly Uint8Array[]): Run {
  const parser = new ResponseParser({ maxHeadBytes: c.maxHeadBytes, maxHeaderCount: c.maxHeaderCount });
  const lines: string[] = [];
  let data = "";
  let begun = 0;
  let terminal: Terminal = "waiting";
  let dead = false;
  const begin = (): boolean => {
    const head = c.headRequests[begun];
    if (head === undefined) return false;
    begun++;
    parser.beginResponse({ headRequest: head });
    return true;
  };
  const flushData = (): void => {
    if (data !== "") lines.push(`data ${JSON.stringify(data)}`);
    data = "";
  };
  // A response event per input byte at most, plus a few per response: more means a loop.
  const guard = c.bytes.length * 2 + 16 * c.headRequests.length + 16;
  let events = 0;
  const drain = (): void => {
    for (;;) {
      if (dead) return;
      const e = parser.next(c.maxDataBytes);
      if (e === null) return;
      if (++events > guard) throw new PropertyFailure(`next() produced more than ${guard} events for ${c.bytes.length} bytes`);
      if (e.type === "data") {
        if (e.data.length === 0) throw new PropertyFailure("empty data event");
        if (e.data.length > c.maxDataBytes)
          throw new PropertyFailure(`data event of ${e.data.length} bytes, asked at most ${c.maxDataBytes}`);
        data += text(e.data);
        continue;
      }
      flushData();
      lines.push(describeEvent(e));
      if (e.type === "end") {
        terminal = "end";
        if (!begin()) terminal = "idle";
        else terminal = "waiting";
      } else if (e.type === "error") {
        terminal = `error:${e.code}`;
        if (parser.next() !== e) throw new PropertyFailure("a failed parser returned another event");
        if (parser.getBufferedBytes() !== 0) throw new PropertyFailure("a failed parser still holds bytes");
        dead = true;
      } else {
        terminal = "waiting";
      }
    }
  };
  begin();
  for (const piece of pieces) {
    parser.push(piece);
    drain();
  }
  if (c.ending !== "open") {
    parser.pushEnd();
    drain();
    if (parser.isResponsePending()) throw new PropertyFailure("input ended but the parser still waits for a response");
    if (terminal === "waiting") throw new PropertyFailure("input ended without end or error");
  }
  flushData();
  // After an error the count includes bytes that were held unparsed when it was found, which
  // depends on the split; only "any byte at all" (0 or not) is compared then.
  const seen = parser.getResponseBytesSeen();
  lines.push(`seen ${dead ? seen > 0 : seen} pending ${parser.isResponsePending()} buffered ${parser.getBufferedBytes()}`);
  return { lines, terminal };
}

/** First line where two runs differ, for a report. */
export function firstDifference(a: readonly string[], b: readonly string[]): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i}: ${a[i] ?? "(none)"}  ≠  ${b[i] ?? "(none)"}`;
  }
  return "";
}

/**
 * Checks one case on the parser over the whole input, byte by byte and `randomSplits` random cuts.
 *
 * @returns How the whole-input run ended.
 * @throws PropertyFailure (or whatever the parser threw) when a property breaks.
 */
export function checkParserCase(c: FuzzCase, randomSplits = 3): Terminal {
  return sameOnEverySplit(c, randomSplits, runParser)?.terminal ?? "waiting";
}

/**
 * The split-independence property: runs `run` over each split of the case's input (whole first,
 * see {@link splitsOf}) and checks that every one produced the lines of the first.
 *
 * @returns The run of the first split (the whole input); null when there were no splits.
 * @throws PropertyFailure naming the split whose run threw or differed.
 */
export function sameOnEverySplit<R extends { readonly lines: readonly string[] }>(
  c: FuzzCase,
  randomSplits: number,
  run: (c: FuzzCase, pieces: readonly Uint8Array[]) => R,
): R | null {
  let reference: R | null = null;
  for (const split of splitsOf(c.bytes, c.splitSeed, randomSplits)) {
    let result: R;
    try {
      result = run(c, split.pieces);
    } catch (error) {
      throw new PropertyFailure(`split ${split.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    if (reference === null) reference = result;
    else if (result.lines.join("\n") !== reference.lines.join("\n")) {
      throw new PropertyFailure(`split ${split.name} differs from whole: ${firstDifference(reference.lines, result.lines)}`);
    }
  }
  return reference;
}
