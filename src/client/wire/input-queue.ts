/** {@link InputQueue.scan} found what it looked for; the range is in `found*`. */
export const SCAN_FOUND = 1;
/** {@link InputQueue.scan} needs more input. */
export const SCAN_MORE = 0;
/** {@link InputQueue.scan} passed its byte limit without finding the end. */
export const SCAN_TOO_LONG = -1;

/** The result of {@link InputQueue.scan}. */
export type ScanResult = typeof SCAN_FOUND | typeof SCAN_MORE | typeof SCAN_TOO_LONG;

const LF = 0x0a;
const CR = 0x0d;

/**
 * The bytes received and not yet consumed, kept as the pushed arrays (never copied), with a
 * bounded scratch buffer for a line or header section that spans several arrays.
 *
 * Sans-I/O building block of the response parser; not part of the public API.
 */
export class InputQueue {
  private chunks: Uint8Array[] = [];
  private first = 0;
  private offset = 0;
  private held = 0;
  private consumedTotal = 0;
  /** Section bytes already scanned and copied out of the queue, waiting for the section's end. */
  private scratch: Uint8Array = new Uint8Array(256);
  private scratchLen = 0;
  /** Bytes of the current line seen by an unfinished scan (for empty-line detection). */
  private lineLen = 0;
  /** The last byte seen by an unfinished scan. */
  private lastByte = -1;

  /** After {@link scan} returned {@link SCAN_FOUND}: the array holding the found range. Valid until the next scan. */
  foundBytes: Uint8Array = this.scratch;
  /** After a successful scan: start of the range (first byte of the line or section). */
  foundStart = 0;
  /** After a successful scan: end of the range, just past the final LF. */
  foundEnd = 0;

  /**
   * After {@link scan} returned {@link SCAN_MORE} or {@link SCAN_TOO_LONG}: the bytes of the
   * unfinished range scanned so far (from its start), so a caller can check its complete lines.
   * A view, valid until the next call.
   */
  get partialBytes(): Uint8Array {
    return this.scratch.subarray(0, this.scratchLen);
  }

  /** Unconsumed bytes held: queued arrays plus bytes of an unfinished scan. */
  get size(): number {
    return this.held + this.scratchLen;
  }

  /** Bytes still queued (not counting an unfinished scan's scratch bytes). */
  get queued(): number {
    return this.held;
  }

  /** Every byte ever consumed (taken, skipped or scanned). */
  get consumed(): number {
    return this.consumedTotal;
  }

  /**
   * The array holding the read position, when no scan is unfinished (so the read position is
   * the first unconsumed byte); null when the queue is empty or a scan holds scratch bytes.
   * The read position in it is {@link frontOffset}.
   */
  get front(): Uint8Array | null {
    if (this.held === 0 || this.scratchLen !== 0 || this.lineLen !== 0) return null;
    return this.chunks[this.first] ?? null;
  }

  /** The read position inside {@link front}. */
  get frontOffset(): number {
    return this.offset;
  }

  /** Appends an array by reference; the caller must not modify it afterwards. */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.held += bytes.length;
  }

  /** The byte `k` positions after the read position, or -1 when not received yet. */
  peek(k: number): number {
    let i = this.first;
    let at = this.offset + k;
    while (i < this.chunks.length) {
      const c = this.chunks[i] as Uint8Array;
      if (at < c.length) return c[at] as number;
      at -= c.length;
      i++;
    }
    return -1;
  }

  /** Consumes `n` bytes, which must be queued. */
  skip(n: number): void {
    this.held -= n;
    this.consumedTotal += n;
    let left = n;
    while (left > 0) {
      const c = this.chunks[this.first] as Uint8Array;
      const avail = c.length - this.offset;
      if (left < avail) {
        this.offset += left;
        return;
      }
      left -= avail;
      this.dropFirst();
    }
  }

  /** Consumes and returns a view of up to `max` (≥ 1) bytes from the front array; null when empty. */
  take(max: number): Uint8Array | null {
    if (this.held === 0) return null;
    const c = this.chunks[this.first] as Uint8Array;
    const start = this.offset;
    const n = Math.min(max, c.length - start);
    this.held -= n;
    this.consumedTotal += n;
    if (start + n === c.length) {
      this.dropFirst();
      return start === 0 ? c : c.subarray(start);
    }
    this.offset = start + n;
    return c.subarray(start, start + n);
  }

  /** Removes and returns every queued array (views of the unconsumed parts). */
  drain(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = this.first; i < this.chunks.length; i++) {
      const c = this.chunks[i] as Uint8Array;
      out.push(i === this.first && this.offset > 0 ? c.subarray(this.offset) : c);
    }
    this.consumedTotal += this.held;
    this.chunks = [];
    this.first = 0;
    this.offset = 0;
    this.held = 0;
    return out;
  }

  /** Drops everything held, including an unfinished scan. */
  clear(): void {
    this.drain();
    this.resetScan();
  }

  /** Forgets an unfinished scan (its scratch bytes are discarded). */
  resetScan(): void {
    this.scratchLen = 0;
    this.lineLen = 0;
    this.lastByte = -1;
  }

  /**
   * Scans for the end of a line (`singleLine`) or of a field section (the first empty line, `LF`
   * or `CRLF`, including when the very first line is empty) starting at the read position.
   * Resumes where the last unfinished scan stopped; every byte is looked at once.
   *
   * On {@link SCAN_FOUND} the range is consumed and exposed as `foundBytes[foundStart, foundEnd)`
   * (a view into a pushed array when it lay in one, else the scratch buffer). Returns
   * {@link SCAN_TOO_LONG} as soon as more than `limit` bytes are held without the end (the LF
   * ending the range must be within the first `limit` bytes), so at most `limit` bytes are copied.
   */
  scan(limit: number, singleLine: boolean): ScanResult {
    while (this.held > 0) {
      const c = this.chunks[this.first] as Uint8Array;
      const start = this.offset;
      const end = Math.min(c.length, start + (limit - this.scratchLen));
      let p = start;
      let found = -1;
      while (p < end) {
        const i = c.indexOf(LF, p);
        if (i === -1 || i >= end) break;
        if (singleLine) {
          found = i;
          break;
        }
        const lineBytes = this.lineLen + (i - p);
        if (lineBytes === 0 || (lineBytes === 1 && (i > p ? c[i - 1] : this.lastByte) === CR)) {
          found = i;
          break;
        }
        this.lineLen = 0;
        this.lastByte = LF;
        p = i + 1;
      }
      if (found !== -1) {
        const stop = found + 1;
        if (this.scratchLen === 0) {
          this.foundBytes = c;
          this.foundStart = start;
          this.foundEnd = stop;
        } else {
          this.append(c, start, stop);
          this.foundBytes = this.scratch;
          this.foundStart = 0;
          this.foundEnd = this.scratchLen;
        }
        this.skip(stop - start);
        this.resetScan();
        return SCAN_FOUND;
      }
      this.lineLen += end - p;
      if (end > start) this.lastByte = c[end - 1] as number;
      if (end < c.length) {
        // Kept for the caller to check the lines that did arrive whole (see partialBytes).
        this.append(c, start, end);
        return SCAN_TOO_LONG;
      }
      this.append(c, start, end);
      this.held -= end - start;
      this.consumedTotal += end - start;
      this.dropFirst();
    }
    return SCAN_MORE;
  }

  private append(c: Uint8Array, start: number, end: number): void {
    const need = this.scratchLen + (end - start);
    if (need > this.scratch.length) {
      let cap = this.scratch.length * 2;
      while (cap < need) cap *= 2;
      const grown = new Uint8Array(cap);
      grown.set(this.scratch.subarray(0, this.scratchLen));
      this.scratch = grown;
    }
    this.scratch.set(c.subarray(start, end), this.scratchLen);
    this.scratchLen = need;
  }

  private dropFirst(): void {
    this.first++;
    this.offset = 0;
    if (this.first === this.chunks.length) {
      // pop() rather than `length = 0`, which is a slow runtime call; usually one element.
      while (this.chunks.length > 0) this.chunks.pop();
      this.first = 0;
    } else if (this.first >= 32 && this.first * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }
}
