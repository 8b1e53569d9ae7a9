import { MAX_CHUNK_SIZE_LINE_BYTES, parseChunkSizeLine, PlainChunkSizeLine } from "./chunk-size.ts";
import { checkFieldLines, checkLineBytes, isCleanSection, parseFieldLines, type SectionRules } from "./field-lines.ts";
import { parseHeadInChunk } from "./head-fast-path.ts";
import { InputQueue, SCAN_FOUND, SCAN_MORE } from "./input-queue.ts";
import { latin1 } from "./latin1.ts";
import type { HeaderField, ResponseEvent, ResponseHead } from "./response-events.ts";
import { buildResponseHead, isInterimStatus } from "./response-framing.ts";
import { checkStatusLine, readHeadText } from "./status-line.ts";
import { responseFailure, type ResponseFailure } from "./wire-failure.ts";

/** Limits of a {@link ResponseParser}. */
export interface ResponseParserOptions {
  /** Largest response head (status line, header lines and the empty line) in bytes; also bounds the trailer section. Default 65536. */
  readonly maxHeadBytes?: number;
  /** Most header fields in one head (and trailer fields in one trailer section). Default 100. */
  readonly maxHeaderCount?: number;
  /**
   * Refuse a line in the head or trailer section ended by a bare LF (and, as always, a bare CR),
   * as llhttp and Node's parser do. Default false: a bare LF ends a line, which RFC 9112 §2.2
   * allows a recipient to accept (chunk framing requires CRLF either way).
   */
  readonly strict?: boolean;
}

/** What the parser must know about the request whose response comes next. */
export interface BeginResponseOptions {
  /** The request was HEAD: the response has no body whatever its headers say. */
  readonly headRequest: boolean;
  /** The request was CONNECT: a 2xx response opens a tunnel (framing `none`, keepAlive false). Default false. */
  readonly connectRequest?: boolean;
  /**
   * The request asked for a protocol upgrade (an `Upgrade` header): only then is a
   * `101 Switching Protocols` accepted (it ends parsing like a tunnel). Default false: a 101 is an
   * `unexpected-upgrade` error.
   */
  readonly upgradeRequested?: boolean;
}

/** Default {@link ResponseParserOptions.maxHeadBytes}. */
export const DEFAULT_MAX_HEAD_BYTES = 65536;
/** Default {@link ResponseParserOptions.maxHeaderCount}. */
export const DEFAULT_MAX_HEADER_COUNT = 100;

const IDLE = 0;
const HEAD = 1;
const NO_BODY = 2;
const LENGTH = 3;
const UNTIL_CLOSE = 4;
const CHUNK_SIZE = 5;
const CHUNK_DATA = 6;
const CHUNK_CRLF = 7;
const TRAILERS = 8;
const DEAD = 9;

/** "HTTP/1." — the status line must start with these bytes, then `0` or `1`. */
const VERSION_PREFIX = [0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e];
const NO_TRAILERS: readonly HeaderField[] = Object.freeze([]);
/** The `end` event of every message without trailers (events are read-only, so one serves all). */
const END_WITHOUT_TRAILERS: ResponseEvent = Object.freeze({ type: "end", trailers: NO_TRAILERS });

/**
 * A sans-I/O HTTP/1.1 response parser (RFC 9112, strict): bytes in with {@link push} and
 * {@link pushEnd}, events out with {@link next}. No I/O, no timers, no clock.
 *
 * The events do not depend on how the input is split: the same bytes give the same events
 * (once adjacent `data` events are joined) whether they arrive whole, byte by byte or in any other
 * pieces. Limits are enforced as {@link next} runs, so a caller that drains `next()` after each
 * push never holds much more than the limit of an unfinished head, trailer section or chunk-size
 * line.
 *
 * Choices within RFC 9112: a bare LF ends a line in the head and in the trailer section
 * (§2.2 allows it; the `strict` option refuses it) but not in chunk framing, where CRLF is
 * required; empty lines before a status line are skipped (§2.2) but count toward `maxHeadBytes`;
 * status codes must be 100–999; obs-fold is unfolded into one SP (§5.2); a bare CR, NUL,
 * whitespace before a colon and control characters in values are errors, reported as soon as the
 * line that holds them is complete (the rest of the head need not arrive). A `Transfer-Encoding`
 * whose final coding is not `chunked` makes the body run to connection close (§6.3 rule 4); the
 * codings it still carries are in the head's `transferCodings`. Errors are typed: a stable
 * `code` and `fault: "server"`.
 *
 * @example
 * ```ts
 * declare const bytes: Uint8Array;
 * declare function handle(event: ResponseEvent): void;
 * const parser = new ResponseParser();
 * parser.beginResponse({ headRequest: false });
 * parser.push(bytes);
 * for (let e = parser.next(); e !== null; e = parser.next()) handle(e);
 * ```
 */
export class ResponseParser {
  private readonly maxHeadBytes: number;
  private readonly maxHeaderCount: number;
  private readonly strict: boolean;
  private readonly headRules: SectionRules;
  private readonly trailerRules: SectionRules;
  /** Bytes at the start of the section being scanned whose lines were checked already. */
  private sectionChecked = 0;
  /** Fields counted in those lines. */
  private sectionFields = 0;
  private readonly input = new InputQueue();
  private readonly chunkLine = new PlainChunkSizeLine();
  private state = IDLE;
  private ended = false;
  private failure: ResponseEvent | null = null;
  private readonly request = { headRequest: false, connectRequest: false, upgradeRequested: false };
  private prefixChecked = false;
  /** Bytes of empty lines skipped before the status line; they count toward the head limit. */
  private headSkipped = 0;
  private contentLength = -1;
  private remaining = 0;
  private bodyBytes = 0;
  private responseStart = 0;
  private finalSeen = 0;

  /** Creates a parser with the given limits (see {@link ResponseParserOptions}). */
  constructor(options: ResponseParserOptions = {}) {
    this.maxHeadBytes = positiveInteger(options.maxHeadBytes, DEFAULT_MAX_HEAD_BYTES);
    this.maxHeaderCount = positiveInteger(options.maxHeaderCount, DEFAULT_MAX_HEADER_COUNT);
    this.strict = options.strict === true;
    this.headRules = { kind: "header", maxCount: this.maxHeaderCount, strict: this.strict };
    this.trailerRules = { kind: "trailer", maxCount: this.maxHeaderCount, strict: this.strict };
  }

  /**
   * Declares that the response to a request comes next; call it before each response, the first
   * included. Bytes already held (pipelined after the previous response) belong to it.
   * Does nothing once the parser has failed.
   *
   * @throws Error when the previous response has not ended (a programming error).
   */
  beginResponse(options: BeginResponseOptions): void {
    if (this.failure !== null) return;
    if (this.state !== IDLE) throw new Error("ResponseParser.beginResponse() called while a response is in progress");
    this.request.headRequest = options.headRequest;
    this.request.connectRequest = options.connectRequest ?? false;
    this.request.upgradeRequested = options.upgradeRequested ?? false;
    this.state = HEAD;
    this.sectionChecked = 0;
    this.sectionFields = 0;
    this.prefixChecked = false;
    this.headSkipped = 0;
    this.contentLength = -1;
    this.remaining = 0;
    this.bodyBytes = 0;
    this.responseStart = this.input.consumed;
  }

  /**
   * Appends received bytes. The array is kept by reference (not copied) and `data` events may be
   * views into it, so it must not be modified afterwards. Ignored after {@link pushEnd} or a failure.
   */
  push(bytes: Uint8Array): void {
    if (this.failure !== null || this.ended) return;
    this.input.push(bytes);
  }

  /**
   * Declares that the transport closed: no more bytes will come. A close-delimited body then
   * ends (`end` event); any other unfinished response becomes an `error` event. Use
   * {@link getResponseBytesSeen} to tell "closed before any byte of the response" (0) apart.
   */
  pushEnd(): void {
    this.ended = true;
  }

  /**
   * Returns the next event, or null when more input (or a {@link beginResponse} call) is needed.
   *
   * After `end` no response is expected until {@link beginResponse}; after `error` the parser is
   * dead and every call returns the same error event.
   *
   * @param maxDataBytes - the most bytes one `data` event carries (default unlimited; values below 1 count as 1)
   */
  next(maxDataBytes?: number): ResponseEvent | null {
    if (this.failure !== null) return this.failure;
    const max = maxDataBytes === undefined ? Infinity : Math.max(1, Math.floor(maxDataBytes) || 1);
    for (;;) {
      switch (this.state) {
        case HEAD:
          return this.nextHead();
        case NO_BODY:
          return this.finish(NO_TRAILERS);
        case LENGTH: {
          if (this.remaining === 0) return this.finish(NO_TRAILERS);
          const data = this.input.take(Math.min(this.remaining, max));
          if (data === null) {
            return this.ended
              ? this.fail(responseFailure(`connection closed after ${this.bodyBytes} of ${this.contentLength} body bytes`, "truncated"))
              : null;
          }
          this.remaining -= data.length;
          this.bodyBytes += data.length;
          return { type: "data", data };
        }
        case UNTIL_CLOSE: {
          const data = this.input.take(max);
          if (data === null) return this.ended ? this.finish(NO_TRAILERS) : null;
          this.bodyBytes += data.length;
          return { type: "data", data };
        }
        case CHUNK_SIZE: {
          const front = this.input.front;
          if (front !== null && this.chunkLine.read(front, this.input.frontOffset)) {
            this.input.skip(this.chunkLine.length);
            this.remaining = this.chunkLine.size;
            this.state = this.remaining === 0 ? TRAILERS : CHUNK_DATA;
            this.sectionChecked = 0;
            this.sectionFields = 0;
            continue;
          }
          const r = this.input.scan(MAX_CHUNK_SIZE_LINE_BYTES, true);
          if (r !== SCAN_FOUND) {
            if (r === SCAN_MORE) return this.ended ? this.failChunked("in a chunk size line") : null;
            return this.fail(responseFailure(`chunk size line longer than ${MAX_CHUNK_SIZE_LINE_BYTES} bytes`, "too-large"));
          }
          const size = parseChunkSizeLine(this.input.foundBytes, this.input.foundStart, this.input.foundEnd - 1);
          if (typeof size !== "number") return this.fail(size);
          this.remaining = size;
          this.state = size === 0 ? TRAILERS : CHUNK_DATA;
          this.sectionChecked = 0;
          this.sectionFields = 0;
          continue;
        }
        case CHUNK_DATA: {
          if (this.remaining === 0) {
            this.state = CHUNK_CRLF;
            continue;
          }
          const data = this.input.take(Math.min(this.remaining, max));
          if (data === null) return this.ended ? this.failChunked("in chunk data") : null;
          this.remaining -= data.length;
          this.bodyBytes += data.length;
          return { type: "data", data };
        }
        case CHUNK_CRLF: {
          const front = this.input.front;
          const at = this.input.frontOffset;
          if (front !== null && at + 1 < front.length && front[at] === 0x0d && front[at + 1] === 0x0a) {
            this.input.skip(2);
            this.state = CHUNK_SIZE;
            continue;
          }
          const cr = this.input.peek(0);
          if (cr !== -1 && cr !== 0x0d) return this.fail(responseFailure("missing CRLF after chunk data"));
          const lf = this.input.peek(1);
          if (lf === -1) return this.ended ? this.failChunked("before the CRLF after chunk data") : null;
          if (lf !== 0x0a) return this.fail(responseFailure("missing CRLF after chunk data"));
          this.input.skip(2);
          this.state = CHUNK_SIZE;
          continue;
        }
        case TRAILERS:
          return this.nextTrailers();
        default:
          return null;
      }
    }
  }

  /** Unconsumed input held, in bytes (including a partly received head, trailer section or chunk-size line). */
  getBufferedBytes(): number {
    return this.input.size;
  }

  /**
   * Unconsumed bytes still read from the arrays given to {@link push} (the newest pushed bytes),
   * leaving out those of an unfinished head, trailer section or chunk-size line, which are copied
   * aside: how much of its input's memory the parser still uses.
   */
  getHeldInputBytes(): number {
    return this.input.queued;
  }

  /**
   * Bytes received for the response announced by the last {@link beginResponse}: everything after
   * the previous response (interim 1xx responses included), whether parsed yet or still held.
   * Frozen when the response ends or fails. 0 after a close error means the connection closed
   * before any byte of the response arrived (Godot's `RESULT_NO_RESPONSE`).
   */
  getResponseBytesSeen(): number {
    if (this.state === IDLE || this.state === DEAD) return this.finalSeen;
    return this.input.consumed - this.responseStart + this.input.queued;
  }

  /** True while a response is expected or in progress (between {@link beginResponse} and its `end`). */
  isResponsePending(): boolean {
    return this.state !== IDLE && this.state !== DEAD;
  }

  /**
   * Removes and returns every held byte (views, in order) while no response is expected, e.g. the
   * first bytes of a tunnel after a 2xx answer to CONNECT or a 101. Returns `[]` otherwise.
   */
  takeBufferedBytes(): Uint8Array[] {
    if (this.state !== IDLE) return [];
    return this.input.drain();
  }

  private nextHead(): ResponseEvent | null {
    const input = this.input;
    const front = this.prefixChecked ? null : input.front;
    if (front !== null) {
      // Common case: the whole head in the received array at the read position.
      const start = input.frontOffset;
      const limitEnd = Math.min(front.length, start + this.maxHeadBytes - this.headSkipped);
      const fast = parseHeadInChunk(front, start, limitEnd, this.maxHeaderCount, this.strict);
      if (fast !== null) {
        input.skip(fast.end - start);
        return this.headEvent(buildResponseHead(fast.status, fast.headers, this.request));
      }
    }
    if (!this.prefixChecked) {
      for (;;) {
        const b = input.peek(0);
        let n = 0;
        if (b === 0x0a) {
          if (this.strict) return this.fail(responseFailure("bare LF (not preceded by CR) in the response head; refused in strict mode"));
          n = 1;
        } else if (b === 0x0d) {
          const b1 = input.peek(1);
          if (b1 === -1) return this.needMoreHead();
          if (b1 !== 0x0a) return this.fail(responseFailure("bare CR (not followed by LF) in the response head"));
          n = 2;
        } else {
          break;
        }
        if (this.headSkipped + n > this.maxHeadBytes) return this.failHeadLimit();
        input.skip(n);
        this.headSkipped += n;
      }
      const want = Math.min(8, this.maxHeadBytes - this.headSkipped + 1);
      for (let k = 0; k < want; k++) {
        const b = input.peek(k);
        if (b === -1) return this.needMoreHead();
        const ok = k < 7 ? b === VERSION_PREFIX[k] : b === 0x30 || b === 0x31;
        if (!ok) {
          return this.fail(
            responseFailure(
              k < 5
                ? "response is not HTTP/1.x (the status line does not start with HTTP/; an HTTP/0.9 reply or garbage)"
                : "unsupported HTTP version in the status line (only HTTP/1.0 and HTTP/1.1)",
            ),
          );
        }
      }
      this.prefixChecked = true;
    }
    const r = input.scan(this.maxHeadBytes - this.headSkipped, false);
    if (r !== SCAN_FOUND) {
      // The lines that did arrive whole are checked now, so a fault is named before the head ends.
      const bad = this.checkPartialSection(this.headRules);
      if (bad !== undefined) return this.fail(bad);
      return r === SCAN_MORE ? this.needMoreHead() : this.failHeadLimit();
    }
    // Whole now (it came in pieces): the one-pass reader first, the full parser for what it leaves.
    const fast = parseHeadInChunk(input.foundBytes, input.foundStart, input.foundEnd, this.maxHeaderCount, this.strict);
    if (fast !== null) return this.headEvent(buildResponseHead(fast.status, fast.headers, this.request));
    return this.headEvent(this.parseHead(latin1(input.foundBytes, input.foundStart, input.foundEnd)));
  }

  /**
   * Checks the complete lines of the head or trailer section scanned so far (not yet ended) that
   * were not checked before, by the same rules as the whole section.
   */
  private checkPartialSection(rules: SectionRules): ResponseFailure | undefined {
    const bytes = this.input.partialBytes;
    const lastLf = bytes.lastIndexOf(0x0a);
    if (lastLf < this.sectionChecked) return undefined;
    const text = latin1(bytes, this.sectionChecked, lastLf + 1);
    let from = 0;
    if (rules.kind === "header" && this.sectionChecked === 0) {
      const lf = text.indexOf("\n");
      const bad = checkStatusLine(text, lf, rules);
      if (bad !== undefined) return bad;
      from = lf + 1;
    }
    const checked = checkFieldLines(text, from, text.length, rules, this.sectionFields);
    if ("fault" in checked) return checked;
    this.sectionChecked += checked.next;
    this.sectionFields = checked.count;
    return undefined;
  }

  /** The event for a parsed head (or the failure for a rejected one); sets up the body state. */
  private headEvent(head: ResponseHead | ResponseFailure): ResponseEvent {
    if ("fault" in head) return this.fail(head);
    this.prefixChecked = false;
    this.headSkipped = 0;
    this.sectionChecked = 0;
    this.sectionFields = 0;
    if (isInterimStatus(head.statusCode)) return { type: "informational", head };
    switch (head.framing) {
      case "none":
        this.state = NO_BODY;
        break;
      case "length":
        this.state = LENGTH;
        this.contentLength = head.contentLength;
        this.remaining = head.contentLength;
        break;
      case "chunked":
        this.state = CHUNK_SIZE;
        break;
      case "close":
        this.state = UNTIL_CLOSE;
        break;
    }
    return { type: "head", head };
  }

  private parseHead(text: string): ResponseHead | ResponseFailure {
    const head = readHeadText(text, this.headRules);
    if ("fault" in head) return head;
    return buildResponseHead(head.status, head.headers, this.request);
  }

  private nextTrailers(): ResponseEvent | null {
    const input = this.input;
    const r = input.scan(this.maxHeadBytes, false);
    if (r !== SCAN_FOUND) {
      const bad = this.checkPartialSection(this.trailerRules);
      if (bad !== undefined) return this.fail(bad);
      if (r === SCAN_MORE) return this.ended ? this.failChunked("in the trailer section") : null;
      return this.fail(responseFailure(`trailer section exceeds the limit of ${this.maxHeadBytes} bytes`, "too-large"));
    }
    const text = latin1(input.foundBytes, input.foundStart, input.foundEnd);
    if (text.length <= 2) {
      const bad = checkLineBytes(text, 0, text.length - 1, this.trailerRules, false);
      return bad === undefined ? this.finish(NO_TRAILERS) : this.fail(bad);
    }
    const clean = isCleanSection(text);
    const trailers: HeaderField[] = [];
    const badField = parseFieldLines(text, 0, this.trailerRules, trailers, clean);
    if (badField !== undefined) return this.fail(badField);
    return this.finish(trailers);
  }

  private needMoreHead(): ResponseEvent | null {
    if (!this.ended) return null;
    const seen = this.getResponseBytesSeen();
    if (seen === 0) return this.fail(responseFailure("connection closed before any byte of the response", "truncated"));
    return this.fail(responseFailure(`connection closed before the end of the response head (after ${seen} bytes)`, "truncated"));
  }

  private failHeadLimit(): ResponseEvent {
    return this.fail(responseFailure(`response head exceeds the limit of ${this.maxHeadBytes} bytes`, "too-large"));
  }

  private failChunked(where: string): ResponseEvent {
    return this.fail(responseFailure(`connection closed in the chunked body (${where}, after ${this.bodyBytes} body bytes)`, "truncated"));
  }

  private finish(trailers: readonly HeaderField[]): ResponseEvent {
    this.finalSeen = this.input.consumed - this.responseStart;
    this.state = IDLE;
    return trailers === NO_TRAILERS ? END_WITHOUT_TRAILERS : { type: "end", trailers };
  }

  private fail(failure: ResponseFailure): ResponseEvent {
    if (this.state !== IDLE && this.state !== DEAD) this.finalSeen = this.getResponseBytesSeen();
    this.state = DEAD;
    this.input.clear();
    const event: ResponseEvent = { type: "error", reason: failure.reason, code: failure.code, fault: "server" };
    this.failure = event;
    return event;
  }
}

/** `value` when it is a positive integer, else `fallback`. */
function positiveInteger(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback;
}
