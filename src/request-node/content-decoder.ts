/**
 * A synchronous, streaming, bounded decoder for `Content-Encoding` (gzip, x-gzip, deflate, br,
 * identity, stacked).
 *
 * How it runs synchronously: Node offers no public synchronous streaming API for zlib (the
 * `*Sync` functions are one-shot, the streams run on the thread pool). The legacy
 * `stream._processChunk(chunk, flag)` without a callback is synchronous but unusable here: it
 * closes the native handle after one call (it exists for `gunzipSync`) and concatenates all the
 * output of a chunk into one buffer, so a bomb would be materialised. This module therefore does
 * what that function does internally, one level down: it creates the decompressor with the public
 * factory (`createGunzip`, `createInflate`, `createInflateRaw`, `createBrotliDecompress`) and calls
 * the native handle's `writeSync(flush, in, inOff, inLen, out, outOff, outLen)`, which decodes into
 * an output buffer of a fixed size and reports what is left in `_writeState`. The shape of these
 * internals is checked at construction; if it ever changes, construction fails with a clear reason
 * (kind `unavailable`) instead of misbehaving. Errors are captured synchronously by setting the
 * handle's `onerror` (what the stream's own `zlibOnError` would have done, minus the asynchronous
 * `error` event).
 *
 * Bounds: each call produces at most `outputChunkSize` bytes (default 64 KiB) before the output is
 * handed on, so memory stays bounded whatever the compression ratio; when the output callback
 * returns false nothing more is decoded. A `budget` given to {@link ContentDecoder.push} or
 * {@link ContentDecoder.resume} bounds the decoded bytes one call hands out (it may pass it by at
 * most one output chunk): the encoded bytes not yet decoded then wait inside the decoder (copied,
 * so the caller's array may be reused) until {@link ContentDecoder.resume} is called, which is how
 * a caller decodes a bounded amount per tick however large the compression ratio.
 *
 * Stream ends: several gzip members in a row are all decoded (as gunzip does); NUL bytes after the
 * last member are ignored as padding (as gzip and Node do); any other byte after the end of the
 * compressed data (gzip, deflate or br) is an error, whatever the split of the input. A body that
 * stops before the end of the compressed data fails at {@link ContentDecoder.finish} ("unexpected
 * end of gzip stream"). An empty body (zero bytes) decodes to an empty body.
 *
 * @module
 */

import * as zlib from "node:zlib";

/** Options of {@link createContentDecoder}. */
export interface ContentDecoderOptions {
  /** Most codings accepted in the header values together; more is refused. Default 5 (as curl and undici). */
  readonly maxEncodings?: number;
  /** Most bytes produced by one native call and handed out in one chunk. Default 65536, minimum 64. */
  readonly outputChunkSize?: number;
}

/**
 * Receives decoded bytes. The chunk belongs to the receiver (it is never overwritten). Return
 * false to stop decoding at once (e.g. a size limit was reached); the decoder is then closed.
 */
export type DecodedOutput = (chunk: Uint8Array) => boolean;

/** The outcome of {@link ContentDecoder.push} and {@link ContentDecoder.finish}. */
export type DecodeStatus = { readonly ok: true; readonly stopped: boolean } | { readonly ok: false; readonly reason: string };

/** A streaming decoder for one response body. */
export interface ContentDecoder {
  /** The codings in the order they are decoded (the reverse of the header order), `identity` left out. */
  readonly codings: readonly string[];
  /** Encoded bytes pushed so far. */
  readonly bytesIn: number;
  /** Decoded bytes handed out so far. */
  readonly bytesOut: number;
  /**
   * True when encoded bytes (or output the decompressor holds) wait because a call's `budget` was
   * used up: call {@link resume} before pushing more, and before {@link finish}.
   */
  readonly pending: boolean;
  /**
   * Decodes a piece of the body, handing out decoded bytes before returning: all of them, or up to
   * `budget` (the rest then waits, see {@link pending}). After an error, or after `onOutput`
   * returned false (`stopped: true`), the decoder is closed and later calls fail. Pushing while
   * {@link pending} is allowed: the new bytes queue behind the waiting ones.
   *
   * @param input - The next encoded bytes (any split; the decoder keeps no reference to it).
   * @param onOutput - Receives the decoded bytes.
   * @param budget - The most decoded bytes to hand out in this call (exceeded by at most one
   * output chunk); default unlimited.
   * @returns `ok` (with `stopped` when `onOutput` stopped it) or the reason decoding failed.
   */
  push(input: Uint8Array, onOutput: DecodedOutput, budget?: number): DecodeStatus;
  /**
   * Decodes what waits after a call ran out of budget (see {@link pending}); does nothing when
   * nothing waits.
   *
   * @param onOutput - Receives the decoded bytes.
   * @param budget - The most decoded bytes to hand out in this call; default unlimited.
   * @returns As {@link push}.
   */
  resume(onOutput: DecodedOutput, budget?: number): DecodeStatus;
  /**
   * Ends the body: fails when the compressed data is incomplete, then closes the decoder. Decoding
   * never holds output back, so normally nothing is produced here; `onOutput` is only a safety net.
   *
   * @param onOutput - Receives any last decoded bytes.
   * @returns `ok`, or the reason (e.g. "unexpected end of gzip stream").
   */
  finish(onOutput?: DecodedOutput): DecodeStatus;
  /** Releases the native decompressors without checking the end. Idempotent. */
  close(): void;
}

/**
 * The outcome of {@link createContentDecoder}. `unsupported`: a coding this decoder does not
 * know (the caller may deliver the body as it is). `too-many`: more codings than
 * `maxEncodings`. `unavailable`: this Node's zlib internals are not what this module drives.
 */
export type ContentDecoderResult =
  | { readonly ok: true; readonly decoder: ContentDecoder }
  | {
      readonly ok: false;
      readonly kind: "unsupported" | "too-many" | "unavailable";
      /** True exactly when `kind` is `unsupported`. */
      readonly unsupported: boolean;
      readonly reason: string;
    };

/** The codings {@link createContentDecoder} accepts (lower case). */
export const SUPPORTED_CODINGS: readonly string[] = ["gzip", "x-gzip", "deflate", "br", "identity"];

type Kind = "gzip" | "zlib" | "raw" | "br";
/** How a stage's work ended: all done, stopped for good, paused by the budget, or failed. */
type Step = "ok" | "stopped" | "paused" | { readonly error: string };
/** What a stage's output receiver answers: go on, stop for good, or pause (budget used up). */
type Flow = "ok" | "stopped" | "paused";
/** A stage's output receiver. */
type Emit = (chunk: Uint8Array) => Flow;

interface NativeHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  onerror: unknown;
}

interface Engine {
  readonly handle: NativeHandle;
  readonly state: Uint32Array;
  readonly stream: { destroy(): unknown };
  error: string | undefined;
}

function createStream(kind: Kind): { destroy(): unknown } {
  const chunkSize = zlib.constants.Z_MIN_CHUNK;
  switch (kind) {
    case "gzip":
      return zlib.createGunzip({ chunkSize });
    case "zlib":
      return zlib.createInflate({ chunkSize });
    case "raw":
      return zlib.createInflateRaw({ chunkSize });
    case "br":
      return zlib.createBrotliDecompress({ chunkSize });
  }
}

function openEngine(kind: Kind): Engine | string {
  let stream: { destroy(): unknown };
  try {
    stream = createStream(kind);
  } catch (e) {
    return `cannot create the ${kind} decompressor: ${String(e)}`;
  }
  const internals = stream as { _handle?: unknown; _writeState?: unknown };
  const handle = internals._handle as Partial<NativeHandle> | null | undefined;
  const state = internals._writeState;
  if (
    typeof handle !== "object" ||
    handle === null ||
    typeof handle.writeSync !== "function" ||
    !("onerror" in handle) ||
    !(state instanceof Uint32Array) ||
    state.length < 2
  ) {
    stream.destroy();
    return `node:zlib internals changed (no _handle.writeSync/_writeState on ${process.version}); ` + "cannot decode synchronously";
  }
  const engine: Engine = { handle: handle as NativeHandle, state, stream, error: undefined };
  engine.handle.onerror = (message: unknown, _errno: unknown, code: unknown): void => {
    engine.error = code === "Z_BUF_ERROR" ? "unexpected end" : `${String(message)} (${String(code)})`;
  };
  return engine;
}

let probed: string | undefined | null = null;

/** Checks once that the native handles have the expected shape; the reason when they do not. */
function probeNative(): string | undefined {
  if (probed === null) {
    const engine = openEngine("gzip");
    probed = typeof engine === "string" ? engine : undefined;
    if (typeof engine !== "string") engine.stream.destroy();
  }
  return probed;
}

interface Stage {
  /** Decodes `input`; when `emit` pauses, the rest is kept (copied) for {@link Stage.resume}. */
  write(input: Uint8Array, emit: Emit): Step;
  /** Continues work kept by a pause; "ok" when nothing is kept any more. */
  resume(emit: Emit): Step;
  /** True while work kept by a pause waits. */
  readonly pending: boolean;
  /** Keeps (a copy of) `input` to be written after the waiting work. */
  queue(input: Uint8Array): void;
  end(emit: Emit): Step;
  close(): void;
}

/** One coding decoded by a native handle. */
class NativeStage implements Stage {
  readonly #name: string;
  #kind: Kind | undefined;
  #engine: Engine | undefined;
  #header: Uint8Array | undefined;
  #sawInput = false;
  #ended = false;
  #out: Uint8Array;
  #outOffset = 0;
  readonly #chunkSize: number;
  /** After a pause: the encoded bytes not yet given to the decompressor (copied), possibly empty. */
  #kept: Uint8Array | null = null;
  /** Bytes that came while work waited, to be written after it (copied). */
  #queued: Uint8Array | null = null;

  constructor(name: string, kind: Kind | undefined, chunkSize: number) {
    this.#name = name;
    this.#kind = kind;
    this.#chunkSize = chunkSize;
    this.#out = new Uint8Array(0);
  }

  get pending(): boolean {
    return this.#kept !== null || this.#queued !== null;
  }

  queue(input: Uint8Array): void {
    if (input.length === 0) return;
    this.#queued = this.#queued === null ? copyOf(input, 0, input.length) : concat(this.#queued, input);
  }

  resume(emit: Emit): Step {
    const kept = this.#kept;
    if (kept !== null) {
      this.#kept = null;
      const step = this.#run(kept, false, emit);
      if (step !== "ok") return step;
    }
    const queued = this.#queued;
    if (queued === null) return "ok";
    this.#queued = null;
    return this.write(queued, emit);
  }

  write(input: Uint8Array, emit: Emit): Step {
    if (input.length === 0) return "ok";
    if (this.pending) {
      // Work waits from a pause: the new bytes go behind it.
      this.queue(input);
      return "paused";
    }
    this.#sawInput = true;
    if (this.#ended) return this.#trailing(input, 0);
    let data = input;
    if (this.#kind === undefined) {
      // deflate: zlib-wrapped (RFC 1950) or raw (RFC 1951), told apart by the zlib header check.
      data = this.#header === undefined ? input : concat(this.#header, input);
      const b0 = data[0] ?? 0;
      const b1 = data[1];
      if (b1 === undefined) {
        this.#header = copyOf(data, 0, data.length);
        return "ok";
      }
      this.#header = undefined;
      this.#kind = (b0 * 256 + b1) % 31 === 0 && (b0 & 0x0f) === 8 ? "zlib" : "raw";
    }
    return this.#run(data, false, emit);
  }

  end(emit: Emit): Step {
    if (!this.#sawInput || this.#ended) return "ok";
    if (this.#kind === undefined) return { error: `unexpected end of ${this.#name} stream` };
    return this.#run(new Uint8Array(0), true, emit);
  }

  close(): void {
    this.#engine?.stream.destroy();
    this.#engine = undefined;
    this.#ended = true;
    this.#kept = null;
    this.#queued = null;
  }

  #run(input: Uint8Array, finish: boolean, emit: Emit): Step {
    const kind = this.#kind ?? "raw";
    if (this.#engine === undefined) {
      const engine = openEngine(kind);
      if (typeof engine === "string") return { error: engine };
      this.#engine = engine;
    }
    const { handle, state } = this.#engine;
    const flush =
      kind === "br"
        ? finish
          ? zlib.constants.BROTLI_OPERATION_FINISH
          : zlib.constants.BROTLI_OPERATION_PROCESS
        : finish
          ? zlib.constants.Z_FINISH
          : zlib.constants.Z_SYNC_FLUSH;
    let offset = 0;
    let length = input.length;
    for (;;) {
      if (this.#outOffset >= this.#out.length) {
        this.#out = new Uint8Array(this.#chunkSize);
        this.#outOffset = 0;
      }
      const room = this.#out.length - this.#outOffset;
      handle.writeSync(flush, input, offset, length, this.#out, this.#outOffset, room);
      const error = this.#engine.error;
      if (error !== undefined) {
        return {
          error: error === "unexpected end" ? `unexpected end of ${this.#name} stream` : `corrupt ${this.#name} data: ${error}`,
        };
      }
      const availOut = state[0] ?? 0;
      const availIn = state[1] ?? 0;
      const produced = room - availOut;
      offset += length - availIn;
      length = availIn;
      // Output room left over with input left: the compressed data has ended.
      const ended = availOut !== 0 && availIn !== 0;
      if (ended) this.#ended = true;
      if (produced > 0) {
        const chunk = this.#out.subarray(this.#outOffset, this.#outOffset + produced);
        this.#outOffset += produced;
        const flow = emit(chunk);
        if (flow === "stopped") return "stopped";
        if (flow === "paused") {
          // The output buffer filled: the decompressor may hold more output even without input left.
          if (availOut === 0 && !finish) this.#kept = copyOf(input, offset, offset + length);
          else if (ended) {
            const trailing = this.#trailing(input, offset);
            if (trailing !== "ok") return trailing;
          }
          return "paused";
        }
      }
      if (availOut === 0) continue;
      if (!ended) return "ok";
      return this.#trailing(input, offset);
    }
  }

  #trailing(input: Uint8Array, from: number): Step {
    for (let i = from; i < input.length; i++) {
      if (input[i] !== 0 || this.#kind !== "gzip") {
        return { error: `trailing data after the end of the ${this.#name} stream` };
      }
    }
    return "ok";
  }
}

/** A copy of `bytes[start, end)` (`Buffer#slice` would return a view, hence no `.slice()`). */
function copyOf(bytes: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(bytes.subarray(start, end));
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** The decoder: a pipeline of stages, the first decoding the last-applied coding. */
class PipelineDecoder implements ContentDecoder {
  readonly codings: readonly string[];
  #stages: Stage[];
  #state: "open" | "finished" | "stopped" | "failed" | "closed" = "open";
  #innerError: string | undefined;
  #bytesIn = 0;
  #bytesOut = 0;
  /** The receiver and budget of the call in progress. */
  #sink: DecodedOutput = () => true;
  #budgetLeft = Infinity;

  constructor(codings: readonly string[], stages: Stage[]) {
    this.codings = codings;
    this.#stages = stages;
  }

  get bytesIn(): number {
    return this.#bytesIn;
  }

  get bytesOut(): number {
    return this.#bytesOut;
  }

  get pending(): boolean {
    for (const stage of this.#stages) if (stage.pending) return true;
    return false;
  }

  push(input: Uint8Array, onOutput: DecodedOutput, budget = Infinity): DecodeStatus {
    if (this.#state !== "open") return { ok: false, reason: `the decoder is ${this.#state}` };
    this.#bytesIn += input.length;
    this.#begin(onOutput, budget);
    const first = this.#stages[0];
    if (first !== undefined && this.pending) {
      // What waits is older: it is decoded before the new bytes.
      first.queue(input);
      return this.#settle(this.#resumeStages(), false);
    }
    return this.#settle(this.#feed(0, input), false);
  }

  resume(onOutput: DecodedOutput, budget = Infinity): DecodeStatus {
    if (this.#state !== "open") return { ok: false, reason: `the decoder is ${this.#state}` };
    this.#begin(onOutput, budget);
    return this.#settle(this.#resumeStages(), false);
  }

  finish(onOutput?: DecodedOutput): DecodeStatus {
    if (this.#state !== "open") return { ok: false, reason: `the decoder is ${this.#state}` };
    const sink: DecodedOutput =
      onOutput ??
      (() => {
        this.#innerError = "the decoder produced output at finish() and no receiver was given";
        return false;
      });
    this.#begin(sink, Infinity);
    const waiting = this.#resumeStages();
    if (waiting !== "ok") return this.#settle(waiting, true);
    for (let i = 0; i < this.#stages.length; i++) {
      const stage = this.#stages[i];
      if (stage === undefined) break;
      const step = stage.end((chunk) => this.#forward(i + 1, chunk));
      if (step !== "ok") return this.#settle(step, true);
    }
    return this.#settle("ok", true);
  }

  close(): void {
    if (this.#state === "open") this.#state = "closed";
    for (const stage of this.#stages) stage.close();
  }

  #begin(sink: DecodedOutput, budget: number): void {
    this.#sink = sink;
    this.#budgetLeft = budget > 0 ? budget : 1;
  }

  /** Continues the work kept by pauses, deepest stage first (its input is older output). */
  #resumeStages(): Step {
    for (let i = this.#stages.length - 1; i >= 0; i--) {
      const stage = this.#stages[i] as Stage;
      if (!stage.pending) continue;
      const step = stage.resume((chunk) => this.#forward(i + 1, chunk));
      if (step !== "ok") return step;
      // Its output may have left work in deeper stages again.
      if (this.pending) return this.#resumeStages();
    }
    return "ok";
  }

  #feed(index: number, chunk: Uint8Array): Step {
    const stage = this.#stages[index];
    if (stage === undefined) {
      if (chunk.length === 0) return "ok";
      this.#bytesOut += chunk.length;
      if (!this.#sink(chunk)) return "stopped";
      this.#budgetLeft -= chunk.length;
      return this.#budgetLeft <= 0 ? "paused" : "ok";
    }
    return stage.write(chunk, (out) => this.#forward(index + 1, out));
  }

  #forward(index: number, chunk: Uint8Array): Flow {
    const step = this.#feed(index, chunk);
    if (typeof step === "object") {
      this.#innerError ??= step.error;
      return "stopped";
    }
    return step;
  }

  #settle(step: Step, finishing: boolean): DecodeStatus {
    const error = this.#innerError ?? (typeof step === "object" ? step.error : undefined);
    this.#sink = () => true;
    if (error !== undefined) {
      this.close();
      this.#state = "failed";
      return { ok: false, reason: error };
    }
    if (step === "stopped") {
      this.close();
      this.#state = "stopped";
      return { ok: true, stopped: true };
    }
    if (finishing) {
      this.close();
      this.#state = "finished";
    }
    return { ok: true, stopped: false };
  }
}

/**
 * Creates a decoder for a response's `Content-Encoding` field values. Each value may list several
 * codings (`gzip, br`); several field lines add up. Codings are decoded in reverse order of
 * application. `identity` and empty list elements do nothing (identity still counts towards
 * `maxEncodings`). No coding at all gives a decoder that passes bytes through.
 *
 * @param contentEncodingHeaderValues - The values of every `Content-Encoding` field, in order.
 * @param options - Limits.
 * @returns The decoder, or why there is none (`unsupported` lets the caller keep the body as is).
 */
export function createContentDecoder(
  contentEncodingHeaderValues: readonly string[],
  options: ContentDecoderOptions = {},
): ContentDecoderResult {
  const maxEncodings = options.maxEncodings ?? 5;
  const chunkSize = Math.max(64, Math.floor(options.outputChunkSize ?? 65536));
  const listed: string[] = [];
  for (const value of contentEncodingHeaderValues) {
    for (const element of value.split(",")) {
      const coding = element.trim().toLowerCase();
      if (coding !== "") listed.push(coding);
    }
  }
  if (listed.length > maxEncodings) {
    return {
      ok: false,
      kind: "too-many",
      unsupported: false,
      reason: `${listed.length} content codings exceed the limit of ${maxEncodings}`,
    };
  }
  const unknown = listed.find((c) => !SUPPORTED_CODINGS.includes(c));
  if (unknown !== undefined) {
    return { ok: false, kind: "unsupported", unsupported: true, reason: `unsupported content coding ${JSON.stringify(unknown)}` };
  }
  const codings = listed.filter((c) => c !== "identity").reverse();
  if (codings.length > 0) {
    const why = probeNative();
    if (why !== undefined) return { ok: false, kind: "unavailable", unsupported: false, reason: why };
  }
  const stages: Stage[] = [];
  for (const coding of codings) {
    const kind: Kind | undefined = coding === "br" ? "br" : coding === "deflate" ? undefined : "gzip";
    stages.push(new NativeStage(coding, kind, chunkSize));
  }
  return { ok: true, decoder: new PipelineDecoder(codings, stages) };
}
