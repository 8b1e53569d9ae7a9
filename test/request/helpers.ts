/**
 * Shared harness for stepped HTTPRequest tests: a SceneTree ticked by hand in virtual time, an
 * HTTPRequest over a ScriptedNetwork, and a recorder of every `requestCompleted` emission with the
 * tick it happened on. No socket, no timer, no event loop turn.
 */
import { HTTPRequest, type Result, SceneTree, ScriptedNetwork, VERSION, resultName, type ScriptedPeer } from "../../src/index.ts";

/** One `requestCompleted` emission. */
export interface Completion {
  /** The tree frame (1-based tick number) during which it was emitted. */
  readonly tick: number;
  readonly result: Result;
  readonly code: number;
  readonly headers: string[];
  /** A copy of the body bytes. */
  readonly body: Uint8Array;
  /** The body decoded as Latin-1, for easy comparison. */
  readonly text: string;
  /** `getErrorReason()` right after the emission. */
  readonly reason: string;
}

/** What {@link setup} returns. */
export interface Harness {
  readonly tree: SceneTree;
  readonly node: HTTPRequest;
  readonly network: ScriptedNetwork;
  /** Every emission so far, in order. */
  readonly completions: Completion[];
  /** Steps the tree once with `delta` (default 1/60 s) and returns the new frame number. */
  tick(delta?: number): number;
  /** Steps the tree `count` times. */
  ticks(count: number, delta?: number): void;
  /** Ticks until a new completion arrives (at most `max` ticks) and returns it. */
  untilDone(max?: number, delta?: number): Completion;
  /** The connection opened `index`-th (default the last one). */
  peer(index?: number): ScriptedPeer;
}

/** Options of {@link setup}. */
export interface SetupOptions {
  /** Host names the network resolves at once. Default example.test → 10.0.0.1, other.test → 10.0.0.2. */
  readonly hosts?: Readonly<Record<string, readonly string[]>>;
  /** Whether connections open at once. Default true. */
  readonly autoAccept?: boolean;
  /** Whether TLS handshakes complete at once. Default true. */
  readonly autoHandshake?: boolean;
}

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");

/** Builds a tree with one HTTPRequest over a ScriptedNetwork and records its completions. */
export function setup(options: SetupOptions = {}): Harness {
  const network = new ScriptedNetwork();
  const hosts = options.hosts ?? { "example.test": ["10.0.0.1"], "other.test": ["10.0.0.2"] };
  for (const [name, addresses] of Object.entries(hosts)) network.addHost(name, addresses);
  network.autoAccept = options.autoAccept ?? true;
  network.autoHandshake = options.autoHandshake ?? true;
  const tree = new SceneTree();
  const node = new HTTPRequest({ network });
  tree.root.addChild(node);
  const completions: Completion[] = [];
  node.requestCompleted.connect((result, code, headers, body) => {
    completions.push({
      tick: tree.getFrame(),
      result,
      code,
      headers: [...headers],
      body: body.slice(),
      text: latin1(body),
      reason: node.getErrorReason(),
    });
  });
  const tick = (delta = 1 / 60): number => {
    tree.process(delta);
    return tree.getFrame();
  };
  return {
    tree,
    node,
    network,
    completions,
    tick,
    ticks(count, delta) {
      for (let i = 0; i < count; i++) tick(delta);
    },
    untilDone(max = 50, delta) {
      const before = completions.length;
      for (let i = 0; i < max && completions.length === before; i++) tick(delta);
      const done = completions[before];
      if (done === undefined) throw new Error(`no completion within ${max} ticks`);
      return done;
    },
    peer(index) {
      const all = network.connections;
      const peer = index === undefined ? all[all.length - 1] : all[index];
      if (peer === undefined) throw new Error(`no connection ${index ?? "(last)"}; ${all.length} opened`);
      return peer;
    },
  };
}

/** `Accept-Encoding` line the node adds by default. */
export const AE = "Accept-Encoding: gzip, deflate";
/** The default `User-Agent` line. */
export const UA = `User-Agent: poll-http/${VERSION}`;
/** The default `Accept` line. */
export const ACCEPT = "Accept: */*";

/** A request or response head: the first line, each header line, the empty line; then `body`. */
export function wire(first: string, lines: readonly string[], body = ""): string {
  // The Host line goes first (RFC 9110 §7.2), wherever a test lists it.
  const host = lines.filter((line) => /^host:/i.test(line));
  const ordered = [...host, ...lines.filter((line) => !/^host:/i.test(line))];
  return `${first}\r\n${ordered.map((line) => `${line}\r\n`).join("")}\r\n${body}`;
}

/** The request head a default node sends for a body-less GET to `host` (the `Host` value). */
export function getHead(target: string, host = "example.test", userHeaders: readonly string[] = []): string {
  return wire(`GET ${target} HTTP/1.1`, [...userHeaders, AE, `Host: ${host}`, UA, ACCEPT]);
}

/** `HTTP/1.1 200 OK` with Content-Length and optional extra headers before it. */
export function ok(body = "", extra: readonly string[] = []): string {
  return wire("HTTP/1.1 200 OK", [...extra, `Content-Length: ${Buffer.byteLength(body)}`], body);
}

/** A redirect with `Location` and an empty body. */
export function redirect(code: number, location: string, extra: readonly string[] = []): string {
  return wire(`HTTP/1.1 ${code} Redirect`, [`Location: ${location}`, ...extra, "Content-Length: 0"]);
}

/** Concatenates strings (Latin-1) and byte arrays into bytes. */
export function bytes(...parts: ReadonlyArray<string | Uint8Array>): Uint8Array {
  return Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part, "latin1") : part)));
}

/** `[name, code, headers, text]` of a completion: one value to compare with `toEqual`. */
export function summary(c: Completion): [string, number, string[], string] {
  return [resultName(c.result), c.code, c.headers, c.text];
}

export { latin1 };
