import { type ConnectionFailure, type ConnectionFailureCode, connectionFailure } from "./connection-failure.ts";
import { PeerState, type StreamPeer } from "./peer/stream-peer.ts";
import type { Upload } from "./upload.ts";
import { headerFieldsToLines } from "./wire/headers.ts";
import type { HeaderField, ResponseErrorCode, ResponseHead } from "./wire/response-events.ts";
import type { BeginResponseOptions, ResponseParser } from "./wire/response-parser.ts";

const EMPTY = new Uint8Array(0);
/** The most bytes taken from the peer at once while reading a response head. */
const HEAD_READ_BYTES = 65536;
/**
 * The most interim (1xx) responses accepted before the final one. Each head is bounded by the
 * head limit, but a server could send them forever: past this many the response is refused.
 */
const MAX_INTERIM_RESPONSES = 32;

/** An interim (1xx) response received before the final one. */
export interface InformationalResponse {
  /** The status code, e.g. 100 or 103. */
  readonly code: number;
  /** Its header fields as `"Name: value"` lines. */
  readonly headers: readonly string[];
}

/**
 * What a step of an {@link Exchange} came to: `wait` (more bytes needed), `head` (the final head is
 * in), `done` (the message is complete; `reusable` tells whether the connection may carry another
 * request) or `failed` with a typed failure.
 *
 * @internal
 */
export type ExchangeOutcome =
  | { readonly kind: "wait" }
  | { readonly kind: "head" }
  | { readonly kind: "done"; readonly reusable: boolean; readonly reason: string }
  | { readonly kind: "failed"; readonly failure: ConnectionFailure };

const WAIT: ExchangeOutcome = { kind: "wait" };
const HEAD: ExchangeOutcome = { kind: "head" };
const REUSABLE: ExchangeOutcome = { kind: "done", reusable: true, reason: "" };

/**
 * One request and its response on a connection: writes the request bytes, feeds received bytes to
 * the response parser only as far as needed (so unread bytes stay in the peer's bounded buffer),
 * and keeps the response head, interim responses and trailers.
 *
 * @internal
 */
export class Exchange {
  /** The final response head, once received. */
  head: ResponseHead | null = null;
  /** The head's fields as `"Name: value"` lines, built on first use. */
  get headerLines(): readonly string[] {
    if (this.lines === null) this.lines = this.head === null ? [] : headerFieldsToLines(this.head.headers);
    return this.lines;
  }
  private lines: string[] | null = null;
  /** Interim responses before the final one. */
  readonly interim: InformationalResponse[] = [];
  /** Trailer fields, once a chunked body is complete. */
  trailers: readonly HeaderField[] = [];
  /** The parser's code for the error that ended the response, or `""`. */
  errorCode: ResponseErrorCode | "" = "";
  /** Body bytes handed out so far. */
  bodyRead = 0;
  /** Bytes of this response taken from the peer so far (head and body, as on the wire). */
  wireBytes = 0;
  /**
   * True when the last read from the peer found nothing: until the network brings news, no byte
   * of this response waits there. Known without asking the peer again.
   */
  peerDrained = false;
  /** The request body being streamed after the head, or null when there is none. */
  readonly upload: Upload | null;
  private outgoing: Uint8Array[];
  /** True when the final response came before the whole request was handed to the peer. */
  private uploadCutShort = false;
  private readonly parser: ResponseParser;

  /**
   * @param parser - The connection's parser (it keeps bytes that arrived after the last message).
   * @param request - The request bytes to send, in order.
   * @param expect - What the response answers: a HEAD request (no body), an upgrade asked for.
   * @param upload - The body, streamed once `request` is sent; null when `request` is all.
   */
  constructor(parser: ResponseParser, request: Uint8Array[], expect: BeginResponseOptions, upload: Upload | null = null) {
    this.parser = parser;
    this.outgoing = request;
    this.upload = upload;
    parser.beginResponse(expect);
  }

  /** True while request bytes remain unsent. */
  hasUnsentRequest(): boolean {
    return this.outgoing.length > 0 || (this.upload !== null && !this.upload.isDone());
  }

  /** Stops the upload (if any) and closes its source. Idempotent. */
  closeUpload(): void {
    this.upload?.close();
  }

  /**
   * Writes what the peer accepts and reads until the final response head is in.
   *
   * @param peer - The connection.
   * @returns `wait`, `head` or `failed`.
   */
  stepHead(peer: StreamPeer): ExchangeOutcome {
    // The head, and a body already in memory, go out first. A streamed body is read and written
    // only once no final response is waiting, so an early answer stops it before another piece.
    const inMemory = this.upload?.inMemory === true;
    this.flush(peer, inMemory);
    const outcome = this.readHead(peer);
    if (outcome !== WAIT) return outcome;
    this.flush(peer, true);
    const failure = this.upload?.getFailure() ?? "";
    return failure === "" ? WAIT : this.failed("upload-failed", failure);
  }

  /** Reads until the final response head is in: `wait`, `head` or `failed`. */
  private readHead(peer: StreamPeer): ExchangeOutcome {
    for (;;) {
      const event = this.parser.next();
      if (event === null) {
        const more = this.feed(peer, HEAD_READ_BYTES);
        if (more === "fed") continue;
        if (more === "wait") return WAIT;
        if (more === "failed") return this.failed("connection-lost", `connection failed: ${describePeer(peer)}`);
        continue; // "ended": the parser was told; it produces an error or end now
      }
      switch (event.type) {
        case "informational":
          if (this.interim.length >= MAX_INTERIM_RESPONSES) {
            return this.failed(
              "invalid-response",
              `invalid response: more than ${MAX_INTERIM_RESPONSES} interim (1xx) responses`,
              "too-large",
            );
          }
          this.interim.push({ code: event.head.statusCode, headers: headerFieldsToLines(event.head.headers) });
          continue;
        case "head":
          this.head = event.head;
          this.lines = null;
          // An early final response ends the upload: the rest of the request is not sent, and
          // the server, still waiting for it, would read a next request as body bytes.
          if (this.hasUnsentRequest()) this.uploadCutShort = true;
          this.outgoing = [];
          this.upload?.close();
          return HEAD;
        case "error":
          if (this.wireBytes === 0) return this.failed("connection-lost", `no response: ${event.reason}`, event.code);
          return this.failed("invalid-response", `invalid response: ${event.reason}`, event.code);
        case "data":
        case "end":
          return this.failed("invalid-response", "invalid response: body before head");
      }
    }
  }

  /**
   * Hands out the next piece of body that has arrived.
   *
   * @param peer - The connection.
   * @param maxBytes - The most bytes to return.
   * @param onOutcome - Called when the message completes or fails during this call.
   * @returns A view of body bytes, or an empty array (nothing waiting, or the message ended).
   */
  nextBodyPiece(peer: StreamPeer, maxBytes: number, onOutcome: (outcome: ExchangeOutcome) => void): Uint8Array {
    for (;;) {
      const event = this.parser.next(maxBytes);
      if (event === null) {
        const more = this.feed(peer, Math.max(maxBytes, HEAD_READ_BYTES));
        if (more === "fed" || more === "ended") continue;
        if (more === "failed") {
          onOutcome(this.failed("connection-lost", `body cut short after ${this.bodyRead} bytes: ${describePeer(peer)}`));
        }
        return EMPTY;
      }
      switch (event.type) {
        case "data":
          this.bodyRead += event.data.length;
          return event.data;
        case "end":
          this.trailers = event.trailers;
          onOutcome(this.finish(peer));
          return EMPTY;
        case "error":
          onOutcome(this.failed(event.code === "truncated" ? "connection-lost" : "invalid-response", event.reason, event.code));
          return EMPTY;
        case "informational":
        case "head":
          onOutcome(this.failed("invalid-response", "invalid response: a second head inside the body"));
          return EMPTY;
      }
    }
  }

  /**
   * True when the connection failed and no received byte is left to read.
   *
   * @param peer - The connection.
   */
  isPeerDead(peer: StreamPeer): boolean {
    return peer.getState() === PeerState.ERROR && peer.getAvailableBytes() === 0 && this.parser.getBufferedBytes() === 0;
  }

  private finish(peer: StreamPeer): ExchangeOutcome {
    if (this.uploadCutShort) {
      return { kind: "done", reusable: false, reason: "the server answered before the whole request body was sent; connection closed" };
    }
    if (this.head?.keepAlive !== true || peer.isEnded() || peer.getState() !== PeerState.OPEN)
      return { kind: "done", reusable: false, reason: "" };
    if (this.parser.getBufferedBytes() > 0 || peer.getAvailableBytes() > 0) {
      return {
        kind: "done",
        reusable: false,
        reason: "the server sent more bytes than the response framing announced; connection closed",
      };
    }
    return REUSABLE;
  }

  private failed(kind: ConnectionFailureCode, reason: string, code: ResponseErrorCode | "" = ""): ExchangeOutcome {
    this.outgoing = [];
    this.upload?.close();
    this.errorCode = code;
    return { kind: "failed", failure: connectionFailure(kind, reason) };
  }

  /** Moves one received chunk from the peer into the parser. */
  private feed(peer: StreamPeer, maxBytes: number): "fed" | "wait" | "ended" | "failed" {
    const chunk = peer.read(maxBytes);
    this.peerDrained = chunk.length === 0;
    if (chunk.length > 0) {
      this.wireBytes += chunk.length;
      this.parser.push(chunk);
      return "fed";
    }
    const state = peer.getState();
    if (state === PeerState.ERROR) return "failed";
    if (peer.isEnded() || state === PeerState.CLOSED) {
      if (this.parserEnded) return "wait";
      this.parserEnded = true;
      this.parser.pushEnd();
      return "ended";
    }
    return "wait";
  }

  private parserEnded = false;

  /**
   * Writes what the peer accepts: the head, then (with `withBody`) as much of the body as it takes.
   *
   * @param peer - The connection.
   * @param withBody - Whether to write body bytes too.
   */
  private flush(peer: StreamPeer, withBody: boolean): void {
    while (this.outgoing.length > 0) {
      const next = this.outgoing[0];
      if (next === undefined) break;
      const accepted = peer.write(next);
      if (accepted >= next.length) {
        this.outgoing.shift();
      } else {
        if (accepted > 0) this.outgoing[0] = next.subarray(accepted);
        return;
      }
    }
    if (withBody) this.upload?.pump(peer);
  }
}

function describePeer(peer: StreamPeer): string {
  return peer.getError()?.message ?? "connection closed";
}
