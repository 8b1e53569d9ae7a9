import { checkLineBytes, isCleanSection, parseFieldLines, type SectionRules } from "./field-lines.ts";
import type { HeaderField } from "./response-events.ts";
import { responseFailure, type ResponseFailure } from "./wire-failure.ts";

/** The parts of a valid status line. */
export interface StatusLine {
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly versionMinor: number;
  /** The status code, 100–999. */
  readonly statusCode: number;
  /** The reason phrase, possibly empty. */
  readonly reason: string;
}

/** `HTTP/1.x SP 3DIGIT [SP reason]`; the reason is checked separately. */
const STATUS_LINE = /^HTTP\/1\.([01]) ([0-9]{3})(?:$| )/;
/** The status line starts with `HTTP/`. */
const HTTP_PREFIX = /^HTTP\//;
/** Control characters other than HTAB (NUL and CR are caught before). */
const INVALID_REASON_CHAR = /[\x00-\x08\x0A-\x1F\x7F]/;

/**
 * Parses a status line (RFC 9112 §4) without its line ending: `HTTP/1.0` or `HTTP/1.1`, one SP, a
 * three-digit code from 100 to 999, then SP and a reason phrase of HTAB, SP, VCHAR and obs-text.
 * The SP before an empty reason may be missing (`HTTP/1.1 200`).
 *
 * @returns the parsed line, or the failure
 */
export function parseStatusLine(line: string): StatusLine | ResponseFailure {
  const m = STATUS_LINE.exec(line);
  if (m === null) {
    if (!HTTP_PREFIX.test(line)) return responseFailure("response is not HTTP/1.x (the status line does not start with HTTP/)");
    if (!/^HTTP\/1\.[01](?: |$)/.test(line))
      return responseFailure("unsupported HTTP version in the status line (only HTTP/1.0 and HTTP/1.1)");
    return responseFailure("invalid status code in the status line (expected three digits followed by a space or the line end)");
  }
  const statusCode = Number(m[2]);
  if (statusCode < 100) return responseFailure(`invalid status code ${m[2]} in the status line`);
  const reason = line.slice(m[0].length);
  if (INVALID_REASON_CHAR.test(reason)) return responseFailure("control character in the reason phrase");
  return { versionMinor: m[1] === "1" ? 1 : 0, statusCode, reason };
}

/** A response head read by {@link readHeadText}: its status line and its fields in order. */
export interface HeadText {
  /** The status line. */
  readonly status: StatusLine;
  /** The header fields, in order, duplicates kept. */
  readonly headers: HeaderField[];
}

/**
 * Reads a whole response head (status line and field lines, without the final empty line) with
 * the general, regex-based rules: the path for any head that the fast path does not take. Lines
 * are checked in order, so the first faulty line gives the reason.
 *
 * @param text - The head as latin-1 text, final empty line included.
 * @param rules - The field count limit and strictness (`kind` "header").
 * @returns The head, or the failure.
 */
export function readHeadText(text: string, rules: SectionRules): HeadText | ResponseFailure {
  const clean = isCleanSection(text);
  const lf = text.indexOf("\n");
  const bad = checkLineBytes(text, 0, lf, rules, clean);
  if (bad !== undefined) return bad;
  const end = lf > 0 && text.charCodeAt(lf - 1) === 0x0d ? lf - 1 : lf;
  const status = parseStatusLine(text.slice(0, end));
  if ("fault" in status) return status;
  const headers: HeaderField[] = [];
  const badField = parseFieldLines(text, lf + 1, rules, headers, clean);
  return badField ?? { status, headers };
}

/**
 * Checks the status line of a head that is still arriving, `text[0, lf]`, by the rules of
 * {@link readHeadText}.
 *
 * @returns the failure, or `undefined`
 */
export function checkStatusLine(text: string, lf: number, rules: SectionRules): ResponseFailure | undefined {
  const bad = checkLineBytes(text, 0, lf, rules, false);
  if (bad !== undefined) return bad;
  const end = lf > 0 && text.charCodeAt(lf - 1) === 0x0d ? lf - 1 : lf;
  const status = parseStatusLine(text.slice(0, end));
  return "fault" in status ? status : undefined;
}
