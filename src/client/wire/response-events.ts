import type { ResponseErrorCode } from "./wire-failure.ts";

/** One header field as received: the name as sent (case kept) and the value with surrounding whitespace removed. */
export interface HeaderField {
  /** The field name, case as received. */
  readonly name: string;
  /** The field value, without leading or trailing spaces and tabs. */
  readonly value: string;
}

/** How the body of a response is delimited (RFC 9112 §6.3). */
export type BodyFraming =
  /** No body: HEAD, 1xx, 204, 304, or `Content-Length: 0`. */
  | "none"
  /** Exactly `contentLength` bytes follow. */
  | "length"
  /** `Transfer-Encoding: chunked`. */
  | "chunked"
  /** The body runs until the server closes the connection. */
  | "close";

/** A parsed response head (status line and header section). */
export interface ResponseHead {
  /** The HTTP minor version: 1 for HTTP/1.1, 0 for HTTP/1.0. */
  readonly versionMinor: number;
  /** The three-digit status code. */
  readonly statusCode: number;
  /** The reason phrase, possibly empty. */
  readonly reason: string;
  /** Header fields in the order received, duplicates kept. */
  readonly headers: readonly HeaderField[];
  /** How the body is delimited. */
  readonly framing: BodyFraming;
  /** The announced body length for `length` framing (0 for `none`), otherwise -1. */
  readonly contentLength: number;
  /** True when the body is chunked (`Transfer-Encoding` ends in `chunked`). */
  readonly chunked: boolean;
  /**
   * The transfer codings the body still carries after de-chunking, in the order they were applied
   * (`identity` left out): e.g. `["gzip"]` for `Transfer-Encoding: gzip, chunked`, or
   * `["chunked", "br"]` for a close-delimited `chunked, br`. Empty for most responses.
   */
  readonly transferCodings: readonly string[];
  /** True when the connection may carry another request after this response. */
  readonly keepAlive: boolean;
}

/** What the response parser produces, one at a time. */
export type ResponseEvent =
  /** A 1xx interim response (100 Continue, 103 Early Hints, …); the final response follows. 101 is not interim here: it ends parsing. */
  | {
      /** Discriminant. */
      readonly type: "informational";
      /** The interim head (framing `none`). */
      readonly head: ResponseHead;
    }
  /** The final response head. */
  | {
      /** Discriminant. */
      readonly type: "head";
      /** The parsed head. */
      readonly head: ResponseHead;
    }
  /** A piece of the (de-chunked) body, a view into received bytes where possible. */
  | {
      /** Discriminant. */
      readonly type: "data";
      /** Body bytes (never empty), a view into a pushed array; valid as long as that array is. */
      readonly data: Uint8Array;
    }
  /** The end of the message; `trailers` holds the chunked trailer fields (empty otherwise). */
  | {
      /** Discriminant. */
      readonly type: "end";
      /** Trailer fields of a chunked body, in order; empty otherwise. */
      readonly trailers: readonly HeaderField[];
    }
  /** The response is malformed or cut short; the parser accepts nothing more. */
  | {
      /** Discriminant. */
      readonly type: "error";
      /** What was wrong, for people (not a stable code). */
      readonly reason: string;
      /** What kind of problem it was, as a stable code. */
      readonly code: ResponseErrorCode;
      /** Who is at fault: always the server for a response. */
      readonly fault: "server";
    };

export type { ResponseErrorCode };
