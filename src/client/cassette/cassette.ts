/**
 * The cassette: what a {@link RecordingNetwork} saw of every lookup and connection, and what a
 * {@link ReplayNetwork} plays back. In memory it is a header and a list of events in the order they
 * were recorded; on disk it is JSON lines (see `docs/cassettes.md` for the schema).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { readFileSync, writeFileSync } from "node:fs";

/** The version of the cassette format this library writes and reads. */
export const CASSETTE_VERSION = 1;
/** The `format` field of a cassette's first line. */
export const CASSETTE_FORMAT = "poll-http-cassette";

/** Why a peer failed, as recorded. */
export interface RecordedPeerError {
  /** `connect`, `tls` or `io`, as in `PeerError`. */
  readonly kind: "connect" | "tls" | "io";
  /** The code, e.g. `ECONNREFUSED`. */
  readonly code: string;
  /** The message. */
  readonly message: string;
}

/** What every event carries. */
export interface EventBase {
  /** The lookup (`l<n>`) or connection (`c<n>`) the event belongs to. */
  readonly id: string;
  /** The tick: the count of `tick()` calls on the recording network when it happened (0 before the first). */
  readonly t: number;
}

/**
 * The moment an observed change happened: the tick and, within it, how many calls the client had
 * made on that lookup or peer before it (`op`). Bytes that arrive on the event loop are seen at the
 * start of a tick, before the client's first call in it.
 */
export interface EventTime extends EventBase {
  /** The client's calls on the same lookup or peer before the event. */
  readonly op: number;
}

/** A lookup was started: `resolve(host)`. Its id is `l<n>`. */
export interface ResolveEvent extends EventBase {
  /** `resolve`. */
  readonly ev: "resolve";
  /** The host name. */
  readonly host: string;
}

/** A lookup settled, as the client first saw it. */
export interface LookupEvent extends EventTime {
  /** `lookup`. */
  readonly ev: "lookup";
  /** `done` with addresses, or `failed` with an error. */
  readonly state: "done" | "failed";
  /** The addresses (IP literals), when `done`. */
  readonly addresses?: readonly string[];
  /** The error code, when `failed`. */
  readonly error?: string;
}

/** A TCP connection was started: `connect(address, port)`. Its id is `c<n>`. */
export interface ConnectEvent extends EventBase {
  /** `connect`. */
  readonly ev: "connect";
  /** The IP address. */
  readonly address: string;
  /** 4 or 6. */
  readonly family: 4 | 6;
  /** The port. */
  readonly port: number;
}

/** TLS was started over connection `over`: `startTls(peer, options)`. Its id is `c<n>`. */
export interface TlsEvent extends EventBase {
  /** `tls`. */
  readonly ev: "tls";
  /** The id of the TCP connection the handshake runs over. */
  readonly over: string;
  /** The SNI / verification name. */
  readonly servername: string;
  /** True when verification was off. */
  readonly unsafe: boolean;
}

/** The peer opened (`open`), or failed (`error`), as the client first saw it. */
export interface StateEvent extends EventTime {
  /** `state`. */
  readonly ev: "state";
  /** The new state. */
  readonly state: "open" | "error";
  /** Why it failed, for `error`. */
  readonly error?: RecordedPeerError;
}

/** `n` more received bytes became available. */
export interface ArriveEvent extends EventTime {
  /** `arrive`. */
  readonly ev: "arrive";
  /** How many bytes. */
  readonly n: number;
}

/** The remote end closed its side. */
export interface EndEvent extends EventTime {
  /** `end`. */
  readonly ev: "end";
}

/** `getPendingWriteBytes()` answered a new value. */
export interface PendingEvent extends EventTime {
  /** `pending`. */
  readonly ev: "pending";
  /** The value. */
  readonly n: number;
}

/**
 * Bytes written (`write`) or read (`read`), one chunk as it was accepted or handed out: the chunk
 * boundaries are part of the recording. A write the peer refused (0 bytes accepted) is an empty
 * chunk.
 */
export interface DataEvent extends EventBase {
  /** `write` or `read`. */
  readonly ev: "write" | "read";
  /** The bytes (hidden header values as `*`). In the file: `text`, `base64`, or both (text first). */
  readonly data: Uint8Array;
  /** True for bytes that had arrived but were still unread when the client closed the peer. */
  readonly unread?: boolean;
}

/** The client closed the peer. */
export interface CloseEvent extends EventBase {
  /** `close`. */
  readonly ev: "close";
}

/** One entry of a cassette. */
export type CassetteEvent =
  | ResolveEvent
  | LookupEvent
  | ConnectEvent
  | TlsEvent
  | StateEvent
  | ArriveEvent
  | EndEvent
  | PendingEvent
  | DataEvent
  | CloseEvent;

/** A recording: the ticks' deltas, the header names redacted, and the events in recorded order. */
export interface Cassette {
  /** {@link CASSETTE_VERSION}. */
  readonly version: number;
  /** The seconds passed to each `tick(delta)`, in order: the replay steps with the same deltas. */
  readonly deltas: readonly number[];
  /** Lower-case header names whose values were replaced with `*` at record time. */
  readonly redacted: readonly string[];
  /** True when the recorded network could block (`waitForActivity`, e.g. `ThreadedNetwork`); the replay then can too. */
  readonly blocking?: boolean;
  /** The events. */
  readonly events: readonly CassetteEvent[];
}

/** The largest printable prefix kept as text before the rest of a chunk goes to base64. */
const MIN_TEXT_PREFIX = 16;

function isPrintable(byte: number): boolean {
  return (byte >= 0x20 && byte < 0x7f) || byte === 0x0d || byte === 0x0a || byte === 0x09;
}

/**
 * Encodes a chunk for the file: `text` when every byte is printable ASCII, `base64` when none is
 * worth showing, or both (text first) when a printable head is followed by binary, as a response
 * head before a gzip body.
 */
function encodeBytes(data: Uint8Array): { text?: string; base64?: string } {
  let printable = 0;
  while (printable < data.length && isPrintable(data[printable] as number)) printable++;
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.length);
  if (printable === data.length) return { text: buffer.toString("latin1") };
  if (printable < MIN_TEXT_PREFIX) return { base64: buffer.toString("base64") };
  return { text: buffer.toString("latin1", 0, printable), base64: buffer.toString("base64", printable) };
}

function decodeBytes(text: unknown, base64: unknown): Uint8Array {
  const head = typeof text === "string" ? Buffer.from(text, "latin1") : null;
  const tail = typeof base64 === "string" ? Buffer.from(base64, "base64") : null;
  if (head !== null && tail !== null) return new Uint8Array(Buffer.concat([head, tail]));
  const only = head ?? tail;
  return only === null ? new Uint8Array(0) : new Uint8Array(only.buffer, only.byteOffset, only.length);
}

/**
 * Writes a cassette as JSON lines: a header line, then one line per event.
 *
 * @param cassette - The cassette.
 * @returns The text of the file.
 */
export function formatCassette(cassette: Cassette): string {
  const lines: string[] = [
    JSON.stringify({
      format: CASSETTE_FORMAT,
      version: cassette.version,
      redacted: cassette.redacted,
      ...(cassette.blocking === true ? { blocking: true } : {}),
      deltas: cassette.deltas,
    }),
  ];
  for (const event of cassette.events) {
    if (event.ev === "write" || event.ev === "read") {
      const { data, ...rest } = event;
      lines.push(JSON.stringify({ ...rest, ...encodeBytes(data) }));
    } else {
      lines.push(JSON.stringify(event));
    }
  }
  return lines.join("\n") + "\n";
}

/**
 * Reads the text of a cassette file.
 *
 * @param text - JSON lines as {@link formatCassette} writes them.
 * @returns The cassette.
 * @throws Error when the text is not a cassette or has a version this library does not read.
 */
export function parseCassette(text: string): Cassette {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const header = JSON.parse(lines[0] ?? "null") as {
    format?: unknown;
    version?: unknown;
    redacted?: unknown;
    blocking?: unknown;
    deltas?: unknown;
  } | null;
  if (header === null || header.format !== CASSETTE_FORMAT) throw new Error(`not a ${CASSETTE_FORMAT} file`);
  if (header.version !== CASSETTE_VERSION)
    throw new Error(`cassette version ${String(header.version)} is not supported (this library reads ${CASSETTE_VERSION})`);
  const events: CassetteEvent[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = JSON.parse(lines[i] as string) as Record<string, unknown>;
    if (raw.ev === "write" || raw.ev === "read") {
      const { text: chunkText, base64, ...rest } = raw;
      events.push({ ...rest, data: decodeBytes(chunkText, base64) } as unknown as DataEvent);
    } else {
      events.push(raw as unknown as CassetteEvent);
    }
  }
  return {
    version: CASSETTE_VERSION,
    deltas: Array.isArray(header.deltas) ? (header.deltas as number[]) : [],
    redacted: Array.isArray(header.redacted) ? (header.redacted as string[]) : [],
    ...(header.blocking === true ? { blocking: true } : {}),
    events,
  };
}

/**
 * Reads a cassette file.
 *
 * @param path - The file.
 * @returns The cassette.
 * @throws Error when the file cannot be read or is not a cassette.
 */
export function readCassette(path: string): Cassette {
  return parseCassette(readFileSync(path, "utf8"));
}

/**
 * Writes a cassette file (replacing it).
 *
 * @param path - The file.
 * @param cassette - The cassette.
 */
export function writeCassette(path: string, cassette: Cassette): void {
  writeFileSync(path, formatCassette(cassette), "utf8");
}
