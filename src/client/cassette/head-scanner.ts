/** The header names whose values a cassette hides unless asked otherwise. */
export const DEFAULT_REDACTED_HEADERS: readonly string[] = ["authorization", "cookie", "proxy-authorization", "set-cookie"];

const STAR = 0x2a;
const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;
/** Heads longer than this are not kept as text (redaction still applies). */
const MAX_HEAD_TEXT = 64 * 1024;

type Phase = "head" | "length" | "chunk-size" | "chunk-data" | "chunk-crlf" | "trailers" | "opaque";

/**
 * Follows one direction of an HTTP/1.1 connection byte by byte, across any chunk boundaries:
 * it finds each message head, hides the values of chosen headers by overwriting them with `*`
 * (the same number of bytes, so offsets, chunk sizes and `Content-Length` stay true), and skips
 * bodies by their framing (`Content-Length`, chunked). Where the framing cannot be known (a body
 * read until close, a tunnel after `CONNECT`) it stops looking and passes bytes through.
 *
 * The request side reports each request's method to the response side of the same connection, so
 * a response to `HEAD` is known to have no body.
 */
export class HeadScanner {
  readonly #role: "request" | "response";
  readonly #redacted: ReadonlySet<string>;
  /** Methods of requests whose responses have not been scanned yet (shared by both sides). */
  readonly #methods: string[];
  #phase: Phase = "head";
  /** The current head's text so far (latin-1). */
  #head = "";
  /** The current line's first bytes, until the name is known. */
  #name = "";
  /** Within a head line: 0 reading the name, 1 in the value of a hidden header, 2 in any other value. */
  #inLine: 0 | 1 | 2 = 0;
  /** Whether the value's leading blanks are behind. */
  #valueStarted = false;
  #lineLength = 0;
  #remaining = 0;
  #sizeLine = "";
  readonly #heads: string[] = [];

  /**
   * @param role - Which side this scanner follows.
   * @param redacted - Lower-case header names to hide.
   * @param methods - A queue shared by the request and response scanners of one connection.
   */
  constructor(role: "request" | "response", redacted: readonly string[], methods: string[]) {
    this.#role = role;
    this.#redacted = new Set(redacted.map((name) => name.toLowerCase()));
    this.#methods = methods;
  }

  /**
   * Scans the next bytes.
   *
   * @param chunk - Bytes that follow the ones scanned before.
   * @returns The chunk itself when nothing is hidden in it, or a copy with hidden values as `*`.
   */
  scan(chunk: Uint8Array): Uint8Array {
    return this.#run(chunk, false);
  }

  /**
   * Scans the next bytes like {@link scan}, but leaves hidden values out altogether, so that two
   * streams that differ only in hidden values (whatever their lengths) come out equal.
   *
   * @param chunk - Bytes that follow the ones scanned before.
   * @returns The bytes without the hidden values (the chunk itself when nothing is hidden).
   */
  collapse(chunk: Uint8Array): Uint8Array {
    return this.#run(chunk, true);
  }

  #run(chunk: Uint8Array, drop: boolean): Uint8Array {
    /** The indexes of the hidden bytes of this chunk, in order. */
    let hidden: number[] | null = null;
    let i = 0;
    while (i < chunk.length) {
      switch (this.#phase) {
        case "opaque":
          i = chunk.length;
          break;
        case "length": {
          const take = Math.min(this.#remaining, chunk.length - i);
          i += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#phase = "head";
          break;
        }
        case "chunk-data": {
          const take = Math.min(this.#remaining, chunk.length - i);
          i += take;
          this.#remaining -= take;
          if (this.#remaining === 0) {
            this.#phase = "chunk-crlf";
            this.#remaining = 2;
          }
          break;
        }
        case "chunk-crlf": {
          const byte = chunk[i++] as number;
          if (byte === LF || --this.#remaining === 0) this.#phase = "chunk-size";
          break;
        }
        case "chunk-size": {
          const byte = chunk[i++] as number;
          if (byte !== LF) {
            if (this.#sizeLine.length < 64) this.#sizeLine += String.fromCharCode(byte);
            break;
          }
          const size = Number.parseInt(this.#sizeLine.split(";")[0]?.trim() ?? "", 16);
          this.#sizeLine = "";
          if (!Number.isFinite(size) || size < 0) this.#phase = "opaque";
          else if (size === 0) this.#startHead("trailers");
          else {
            this.#phase = "chunk-data";
            this.#remaining = size;
          }
          break;
        }
        case "head":
        case "trailers": {
          const byte = chunk[i] as number;
          const hide = this.#inLine === 1 && byte !== CR && byte !== LF && (this.#valueStarted || (byte !== 0x20 && byte !== 0x09));
          if (hide) {
            this.#valueStarted = true;
            (hidden ??= []).push(i);
          }
          this.#takeHeadByte(byte, hide ? STAR : byte);
          i++;
          break;
        }
      }
    }
    if (hidden === null) return chunk;
    if (!drop) {
      const out = chunk.slice();
      for (const index of hidden) out[index] = STAR;
      return out;
    }
    const out = new Uint8Array(chunk.length - hidden.length);
    let from = 0;
    let kept = 0;
    for (const index of hidden) {
      out.set(chunk.subarray(from, index), kept);
      kept += index - from;
      from = index + 1;
    }
    out.set(chunk.subarray(from), kept);
    return out;
  }

  /** Heads completed since the last call, as latin-1 text ending with the blank line. */
  takeHeads(): string[] {
    return this.#heads.splice(0);
  }

  #startHead(phase: "head" | "trailers"): void {
    this.#phase = phase;
    this.#head = "";
    this.#name = "";
    this.#inLine = 0;
    this.#lineLength = 0;
  }

  /** Follows one byte of a head; `shown` is the byte as written out (after hiding). */
  #takeHeadByte(byte: number, shown: number): void {
    if (this.#head.length < MAX_HEAD_TEXT) this.#head += String.fromCharCode(shown);
    if (byte === LF) {
      const blank = this.#lineLength === 0;
      this.#inLine = 0;
      this.#name = "";
      this.#lineLength = 0;
      if (blank) this.#endHead();
      return;
    }
    if (byte === CR) return;
    this.#lineLength++;
    if (this.#inLine !== 0) return;
    if (byte === COLON) {
      this.#inLine = this.#redacted.has(this.#name.toLowerCase()) ? 1 : 2;
      this.#valueStarted = false;
    } else if (this.#name.length < 64) {
      this.#name += String.fromCharCode(byte);
    }
  }

  #endHead(): void {
    const head = this.#head;
    if (this.#phase === "trailers") {
      this.#startHead("head");
      return;
    }
    if (head.trim() === "") {
      this.#startHead("head"); // stray blank line between messages
      return;
    }
    this.#heads.push(head);
    const fields = parseFields(head);
    const chunked = /(^|,)\s*chunked\s*$/i.test(fields.get("transfer-encoding") ?? "");
    const length = Number(fields.get("content-length") ?? "0");
    if (this.#role === "request") {
      const method = head.slice(0, head.indexOf(" "));
      this.#methods.push(method);
      if (method === "CONNECT") return this.#startHead("head"); // no body; after a 2xx the tunnel moves to a TLS peer
      return this.#bodyAfterHead(chunked, length, fields.has("content-length"));
    }
    const code = Number(head.slice(9, 12));
    if (code >= 100 && code < 200 && code !== 101) return this.#startHead("head");
    const method = this.#methods.shift() ?? "";
    if (code === 101 || (method === "CONNECT" && code >= 200 && code < 300)) return this.#opaqueAfterHead();
    if (method === "HEAD" || code === 204 || code === 304) return this.#startHead("head");
    if (!chunked && !fields.has("content-length")) return this.#opaqueAfterHead(); // read until close
    return this.#bodyAfterHead(chunked, length, true);
  }

  #bodyAfterHead(chunked: boolean, length: number, hasLength: boolean): void {
    this.#startHead("head");
    if (chunked) {
      this.#phase = "chunk-size";
      this.#sizeLine = "";
    } else if (hasLength && Number.isSafeInteger(length) && length > 0) {
      this.#phase = "length";
      this.#remaining = length;
    } else if (hasLength && !(Number.isSafeInteger(length) && length >= 0)) {
      this.#phase = "opaque";
    }
  }

  /** Past a head whose body (or tunnel) has no framing to follow: pass the rest through. */
  #opaqueAfterHead(): void {
    this.#startHead("head");
    this.#phase = "opaque";
  }
}

/**
 * The fields of a head, by lower-case name (the last value wins; enough for framing).
 *
 * @param head - A head as text.
 * @returns Name → value.
 */
export function parseFields(head: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of head.split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return fields;
}
