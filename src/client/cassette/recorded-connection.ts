import type { CassetteEvent, ConnectEvent, LookupEvent, ResolveEvent, TlsEvent } from "./cassette.ts";
import { HeadScanner, parseFields } from "./head-scanner.ts";

/** An event that changes what a peer shows (state, bytes available, end, pending writes). */
export type Observation = Extract<CassetteEvent, { ev: "state" | "arrive" | "end" | "pending" }>;

/** One recorded lookup: how it was started and how it settled. */
export interface RecordedLookup {
  readonly start: ResolveEvent;
  readonly settle: LookupEvent | null;
  used: boolean;
}

/** One recorded connection (TCP or TLS) of a cassette, indexed for replay. */
export interface RecordedConnection {
  readonly id: string;
  readonly start: ConnectEvent | TlsEvent;
  /** State changes, arrivals, ends and pending-write values, in recorded order. */
  readonly observations: Observation[];
  /** The chunks read, in order (the stream the peer delivered, split where it was split). */
  readonly reads: Uint8Array[];
  /** The chunks written, in order (as accepted; hidden header values as `*`). */
  readonly writes: Uint8Array[];
  /** The request heads written, in order. */
  readonly heads: string[];
  /** The tick of the first write, or -1. */
  firstWriteTick: number;
  /** Set once a replayed peer has taken this recording. */
  used: boolean;
}

/** A cassette's events grouped by lookup and connection. */
export interface CassetteIndex {
  readonly lookups: RecordedLookup[];
  readonly connections: RecordedConnection[];
  readonly byId: Map<string, RecordedConnection>;
}

/**
 * Groups a cassette's events by lookup and connection, and finds each connection's request heads.
 *
 * @param events - The events in recorded order.
 * @param redacted - The header names the cassette hides (for finding heads the same way).
 * @returns The index.
 */
export function indexCassette(events: readonly CassetteEvent[], redacted: readonly string[]): CassetteIndex {
  const lookups: RecordedLookup[] = [];
  const lookupById = new Map<string, RecordedLookup>();
  const connections: RecordedConnection[] = [];
  const byId = new Map<string, RecordedConnection>();
  for (const event of events) {
    switch (event.ev) {
      case "resolve": {
        const lookup: RecordedLookup = { start: event, settle: null, used: false };
        lookups.push(lookup);
        lookupById.set(event.id, lookup);
        break;
      }
      case "lookup": {
        const lookup = lookupById.get(event.id);
        if (lookup !== undefined) (lookup as { settle: LookupEvent | null }).settle = event;
        break;
      }
      case "connect":
      case "tls": {
        const connection: RecordedConnection = {
          id: event.id,
          start: event,
          observations: [],
          reads: [],
          writes: [],
          heads: [],
          firstWriteTick: -1,
          used: false,
        };
        connections.push(connection);
        byId.set(event.id, connection);
        break;
      }
      case "state":
      case "arrive":
      case "end":
      case "pending":
        byId.get(event.id)?.observations.push(event);
        break;
      case "read":
        if (event.data.length > 0) byId.get(event.id)?.reads.push(event.data);
        break;
      case "write": {
        const connection = byId.get(event.id);
        if (connection === undefined) break;
        if (connection.firstWriteTick < 0 && event.data.length > 0) connection.firstWriteTick = event.t;
        connection.writes.push(event.data);
        break;
      }
      case "close":
        break;
    }
  }
  for (const connection of connections) {
    const scanner = new HeadScanner("request", redacted, []);
    for (const chunk of connection.writes) scanner.scan(chunk);
    connection.heads.push(...scanner.takeHeads());
  }
  return { lookups, connections, byId };
}

/**
 * What matched mode compares of a request: method, target and the chosen headers (lower-case
 * names, values trimmed). Hidden headers are never compared.
 *
 * @param head - A request head.
 * @param headers - Lower-case names of the headers to compare.
 * @param redacted - Lower-case names of hidden headers (skipped).
 * @returns A key; equal keys match.
 */
export function requestKey(head: string, headers: readonly string[], redacted: readonly string[]): string {
  const line = head.slice(0, head.search(/\r?\n/));
  const [method = "", target = ""] = line.split(" ");
  const fields = parseFields(head);
  const parts = [method, target];
  for (const name of headers) {
    if (redacted.includes(name)) continue;
    parts.push(`${name}=${fields.get(name) ?? ""}`);
  }
  return parts.join("\n");
}

/**
 * A short human description of a request head: its request line.
 *
 * @param head - A request head.
 * @returns The request line.
 */
export function requestLine(head: string): string {
  return head.slice(0, head.search(/\r?\n/));
}
