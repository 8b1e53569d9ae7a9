// Finds where one HTTP response ends in the raw bytes a floor client counts, for servers whose
// response size is not known ahead (nginx): parses the head for Content-Length, or for chunked
// bodies watches for the last chunk `\r\n0\r\n\r\n` (no trailers). With a known size it only counts.
const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1");
const LAST_CHUNK = Buffer.from("\r\n0\r\n\r\n", "latin1");

/** Counts response bytes until the end of one response. */
export class WireEnd {
  /** Bytes on the wire of the whole response, or -1 until the head has told. */
  private total: number;
  private got = 0;
  private head: Buffer | null = null;
  private chunked = false;
  private tail = Buffer.alloc(0);

  /** @param total - The response's wire size when known, else -1. */
  constructor(total: number) {
    this.total = total;
  }

  /** Adds received bytes; true once the response is complete. */
  push(chunk: Buffer): boolean {
    this.got += chunk.length;
    if (this.total >= 0) return this.got >= this.total;
    if (this.chunked) return this.lastChunkSeen(chunk);
    this.head = this.head === null ? chunk : Buffer.concat([this.head, chunk]);
    const end = this.head.indexOf(CRLFCRLF);
    if (end === -1) return false;
    const text = this.head.toString("latin1", 0, end).toLowerCase();
    const length = /\r\ncontent-length:\s*(\d+)/.exec(text);
    if (length !== null) {
      this.total = end + 4 + Number(length[1]);
      return this.got >= this.total;
    }
    if (!/\r\ntransfer-encoding:[^\r]*chunked/.test(text)) throw new Error("response has neither Content-Length nor chunked framing");
    this.chunked = true;
    const rest = this.head.subarray(end + 2); // keep the CRLF before the body: "0\r\n\r\n" first is an empty body
    this.head = null;
    return this.lastChunkSeen(rest);
  }

  private lastChunkSeen(chunk: Buffer): boolean {
    const joined = chunk.length >= LAST_CHUNK.length ? chunk.subarray(chunk.length - LAST_CHUNK.length) : Buffer.concat([this.tail, chunk]);
    this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - LAST_CHUNK.length)));
    return this.tail.equals(LAST_CHUNK);
  }
}
