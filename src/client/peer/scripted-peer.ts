import { Buffer } from "node:buffer";
import type { ResolvedAddress } from "./address.ts";
import { parseIpAddress } from "./address.ts";
import { ChunkQueue } from "./chunk-queue.ts";
import { PeerState, type PeerError, type PeerErrorKind, type StreamPeer } from "./stream-peer.ts";
import { concatBytes } from "../wire/bytes.ts";

const utf8 = new TextEncoder();

/** Settings of a {@link ScriptedPeer}. */
export interface ScriptedPeerOptions {
  /** The address the peer pretends to be connected to (an IP literal or a resolved address). Default `127.0.0.1`. */
  readonly address?: string | ResolvedAddress;
  /** The port the peer pretends to be connected to. Default 0. */
  readonly port?: number;
  /** Start `OPEN` instead of `CONNECTING` (as if `accept()` had been called). Default false. */
  readonly open?: boolean;
  /** The initial {@link ScriptedPeer.writeCapacity}. Default unlimited. */
  readonly writeCapacity?: number;
}

/**
 * An in-memory {@link StreamPeer} for tests: the test plays the network and the server, the code
 * under test plays the client. Nothing runs on the event loop and nothing happens by itself, so a
 * test is fully deterministic: it pushes bytes, polls the client, and asserts.
 *
 * The client side is the {@link StreamPeer} interface. The test side is:
 * - connection: {@link accept} (`CONNECTING` → `OPEN`), {@link refuse} (→ `ERROR`, kind `connect`);
 * - server to client: {@link pushIncoming}, {@link pushEnd} (the server closed), {@link pushError}
 *   (→ `ERROR`, kind `io`);
 * - client to server: {@link takeOutgoing} / {@link takeOutgoingText} (what the client wrote since
 *   the last call), {@link isClosed} (did the client close it);
 * - back-pressure: {@link writeCapacity} limits how many written bytes may be in flight; the test
 *   frees them with {@link drainOutgoing}.
 *
 * Like a real peer, `read()` returns views of the pushed chunks (one chunk at most per call), and
 * a peer whose server has ended accepts no more writes. Test-side methods call the activity
 * listener synchronously; client-side methods never do. Test-side methods throw on a misuse (for
 * instance pushing bytes before `accept()`), but once the client has closed the peer they are
 * silently ignored, as a real server would not know yet.
 *
 * @example
 * ```ts
 * const peer = new ScriptedPeer({ open: true });
 * const client = new HTTPClient();
 * client.setConnection(peer, "example.com", 80);
 * client.request(Method.METHOD_GET, "/", []);
 * client.poll();
 * expect(peer.takeOutgoingText().startsWith("GET / HTTP/1.1\r\n")).toBe(true);
 * peer.pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
 * client.poll();
 * expect(client.getResponseCode()).toBe(200);
 * ```
 */
export class ScriptedPeer implements StreamPeer {
  /** The address the peer was opened to. */
  readonly address: ResolvedAddress;
  /** The port the peer was opened to. */
  readonly port: number;
  /**
   * How many written bytes may be in flight (accepted by `write()` and not yet freed with
   * {@link drainOutgoing}); `write()` accepts only the room left. `Infinity` (the default) means
   * every write is accepted whole and nothing is ever pending. May be changed at any time.
   */
  writeCapacity: number;
  #state: PeerState;
  #error: PeerError | null = null;
  readonly #incoming = new ChunkQueue();
  #outgoing: Uint8Array[] = [];
  #inFlight = 0;
  #written = 0;
  #ended = false;
  #closedByClient = false;
  #handedOver = false;
  #listener: (() => void) | null = null;

  /**
   * @param options - Address, port, initial state and write capacity.
   */
  constructor(options: ScriptedPeerOptions = {}) {
    const address = options.address ?? "127.0.0.1";
    const resolved = typeof address === "string" ? parseIpAddress(address) : address;
    if (resolved === null) throw new Error(`ScriptedPeer: ${String(address)} is not an IP address`);
    this.address = resolved;
    this.port = options.port ?? 0;
    this.writeCapacity = options.writeCapacity ?? Infinity;
    this.#state = options.open === true ? PeerState.OPEN : PeerState.CONNECTING;
  }

  // ---- client side (StreamPeer) ----

  /** {@inheritDoc StreamPeer.getState} */
  getState(): PeerState {
    return this.#state;
  }

  /** {@inheritDoc StreamPeer.getError} */
  getError(): PeerError | null {
    return this.#state === PeerState.ERROR ? this.#error : null;
  }

  /** {@inheritDoc StreamPeer.getAvailableBytes} */
  getAvailableBytes(): number {
    return this.#incoming.size;
  }

  /** {@inheritDoc StreamPeer.read} */
  read(maxBytes: number): Uint8Array {
    return this.#incoming.read(maxBytes);
  }

  /** {@inheritDoc StreamPeer.write} */
  write(data: Uint8Array): number {
    if (this.#state !== PeerState.OPEN || this.#ended || data.length === 0) return 0;
    const room = this.writeCapacity - this.#inFlight;
    if (!(room >= 1)) return 0;
    const accepted = Math.min(data.length, Math.floor(room));
    this.#outgoing.push(accepted === data.length ? data : data.subarray(0, accepted));
    this.#written += accepted;
    if (Number.isFinite(this.writeCapacity)) this.#inFlight += accepted;
    return accepted;
  }

  /** {@inheritDoc StreamPeer.getPendingWriteBytes} */
  getPendingWriteBytes(): number {
    return this.#state === PeerState.CLOSED ? 0 : this.#inFlight;
  }

  /** {@inheritDoc StreamPeer.isEnded} */
  isEnded(): boolean {
    return this.#ended;
  }

  /** {@inheritDoc StreamPeer.close} */
  close(): void {
    if (this.#state === PeerState.CLOSED) return;
    this.#state = PeerState.CLOSED;
    this.#closedByClient = true;
    this.#incoming.clear();
    this.#listener = null;
  }

  /** {@inheritDoc StreamPeer.setActivityListener} */
  setActivityListener(listener: (() => void) | null): void {
    this.#listener = listener;
  }

  // ---- test side ----

  /** Opens a `CONNECTING` peer, as when the server accepts the connection. */
  accept(): void {
    if (this.#ignored()) return;
    this.#expect(PeerState.CONNECTING, "accept");
    this.#state = PeerState.OPEN;
    this.#notify();
  }

  /**
   * Fails a `CONNECTING` peer with kind `connect`, as when the connection is refused.
   *
   * @param code - The error code. Default `ECONNREFUSED`.
   * @param message - The description; default `"<code>: connection refused by the script"`.
   */
  refuse(code = "ECONNREFUSED", message?: string): void {
    if (this.#ignored()) return;
    this.#expect(PeerState.CONNECTING, "refuse");
    this.failWith("connect", code, message ?? `${code}: connection refused by the script`);
  }

  /**
   * Delivers bytes from the server. The peer keeps a reference to a `Uint8Array` (do not modify
   * it afterwards); a string is encoded as UTF-8. Ignored once the client has closed the peer.
   *
   * @param bytes - The bytes to deliver; an empty chunk is ignored.
   * @throws Error when the peer is not `OPEN` or the server has already ended.
   */
  pushIncoming(bytes: Uint8Array | string): void {
    if (this.#ignored()) return;
    this.#expect(PeerState.OPEN, "pushIncoming");
    if (this.#ended) throw new Error("ScriptedPeer.pushIncoming: the server has already ended (pushEnd)");
    const chunk = typeof bytes === "string" ? utf8.encode(bytes) : bytes;
    if (chunk.length === 0) return;
    this.#incoming.push(chunk);
    this.#notify();
  }

  /**
   * Closes the server's side: `isEnded()` becomes true (bytes already pushed stay readable) and the
   * client can write no more, as with a real socket. Idempotent.
   *
   * @throws Error when the peer is not `OPEN`.
   */
  pushEnd(): void {
    if (this.#ignored() || this.#ended) return;
    this.#expect(PeerState.OPEN, "pushEnd");
    this.#ended = true;
    this.#notify();
  }

  /**
   * Fails the connection with kind `io`, as on a reset. Bytes already pushed stay readable.
   * Ignored when the peer is already failed or closed.
   *
   * @param reason - What happened, for the message.
   * @param code - The error code. Default `ECONNRESET`.
   */
  pushError(reason: string, code = "ECONNRESET"): void {
    if (this.#ignored() || this.#state === PeerState.ERROR) return;
    this.failWith("io", code, `${code}: ${reason}`);
  }

  /**
   * Takes everything the client wrote since the last call, concatenated (a copy).
   *
   * @returns The bytes; empty when nothing was written.
   */
  takeOutgoing(): Uint8Array {
    const chunks = this.#outgoing;
    this.#outgoing = [];
    // A copy even for one chunk: the client may reuse what it wrote.
    return chunks.length === 1 && chunks[0] !== undefined ? chunks[0].slice() : concatBytes(chunks);
  }

  /**
   * Like {@link takeOutgoing}, decoded as Latin-1 (one character per byte, as HTTP heads are).
   *
   * @returns The text.
   */
  takeOutgoingText(): string {
    const bytes = this.takeOutgoing();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
  }

  /**
   * Frees in-flight written bytes (see {@link writeCapacity}), as when the network sends them, and
   * calls the activity listener if any were freed.
   *
   * @param maxBytes - The most bytes to free. Default all.
   * @returns The number of bytes freed.
   */
  drainOutgoing(maxBytes: number = Infinity): number {
    const freed = Math.max(0, Math.min(this.#inFlight, Math.floor(maxBytes)));
    if (freed === 0) return 0;
    this.#inFlight -= freed;
    if (this.#state !== PeerState.CLOSED) this.#notify();
    return freed;
  }

  /** The total number of bytes the client has written (accepted by `write()`) over the peer's life. */
  getBytesWritten(): number {
    return this.#written;
  }

  /** True once the client called `close()`. */
  isClosed(): boolean {
    return this.#closedByClient;
  }

  /** True once the peer was handed over to a TLS peer by `ScriptedNetwork.startTls()`. */
  isHandedOver(): boolean {
    return this.#handedOver;
  }

  /** True while an activity listener is registered. */
  hasActivityListener(): boolean {
    return this.#listener !== null;
  }

  /**
   * Marks the peer handed over to a TLS peer: `CLOSED`, not closed by the client.
   *
   * @internal
   */
  handOver(): void {
    this.#state = PeerState.CLOSED;
    this.#handedOver = true;
    this.#incoming.clear();
    this.#listener = null;
  }

  /**
   * Fails the peer and notifies the listener.
   *
   * @param kind - The error kind.
   * @param code - The error code.
   * @param message - The description (should contain the code).
   */
  protected failWith(kind: PeerErrorKind, code: string, message: string): void {
    this.#error = { kind, code, message: message.includes(code) ? message : `${code}: ${message}` };
    this.#state = PeerState.ERROR;
    this.#inFlight = 0;
    this.#notify();
  }

  /**
   * True when a test-side call must be ignored because the client already closed the peer.
   *
   * @returns Whether to ignore the call.
   */
  #ignored(): boolean {
    return this.#state === PeerState.CLOSED;
  }

  #expect(state: PeerState, method: string): void {
    if (this.#state !== state) {
      const names = ["CONNECTING", "OPEN", "CLOSED", "ERROR"];
      throw new Error(`ScriptedPeer.${method}: the peer is ${names[this.#state] ?? "?"}, expected ${names[state] ?? "?"}`);
    }
  }

  #notify(): void {
    this.#listener?.();
  }
}
