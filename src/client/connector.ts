import { DEFAULT_CONNECT_ATTEMPT_DELAY } from "./connect-attempt-delay.ts";
import { isIP } from "node:net";
import type { Network, PendingLookup, ResolvedAddress } from "./network.ts";
import { PeerState, type StreamPeer } from "./peer/stream-peer.ts";
import type { ProxyTunnel } from "./proxy-tunnel.ts";
import type { TLSOptions } from "./tls-options.ts";

/** What a {@link Connector} connects to. */
export interface ConnectTarget {
  /** The host to resolve and connect to: the origin, or the proxy. */
  readonly host: string;
  /** Its port. */
  readonly port: number;
  /** TLS settings for the origin, or null for plain TCP. */
  readonly tls: TLSOptions | null;
  /** The origin's host name, for SNI and certificate verification. */
  readonly servername: string;
  /** A CONNECT tunnel to open through a proxy before TLS, or null. */
  readonly tunnel: ProxyTunnel | null;
}

/** Where a {@link Connector} is. */
export type ConnectorPhase = "resolving" | "connecting" | "open" | "cant-resolve" | "cant-connect" | "tls-failed";

/** Slack when comparing summed deltas with the delay, so 15 ticks of 1/60 s reach 0.25 s despite float rounding. */
const TIME_EPSILON = 1e-9;

/** One TCP connection attempt of a {@link Connector}. */
interface Attempt {
  readonly address: ResolvedAddress;
  readonly peer: StreamPeer;
}

/**
 * Opens a connection step by step: resolve the name, connect, then open a proxy tunnel and run the
 * TLS handshake when asked. It advances only inside {@link Connector.step}.
 *
 * Several addresses are raced as RFC 8305 ("Happy Eyeballs") describes: the addresses are ordered
 * to alternate between IPv6 and IPv4 (starting with the family the resolver put first), one
 * attempt starts, and when it has neither connected nor failed after the attempt delay, the next
 * one starts beside it; a failed attempt starts the next at once. The first attempt to connect
 * wins and the others are closed. The delay is counted in the time passed to
 * {@link Connector.advanceTime}, never on a clock: a connector told no time tries the addresses
 * one after another, each until it fails.
 *
 * @internal
 */
export class Connector {
  private phase: ConnectorPhase;
  private lookup: PendingLookup | null = null;
  private addresses: readonly ResolvedAddress[] = [];
  private nextAddress = 0;
  /** The TCP attempts in flight, oldest first, until one wins. */
  private attempts: Attempt[] = [];
  /** Seconds passed since the newest attempt started. */
  private sinceAttempt = 0;
  /** The winning connection (the TLS peer once the handshake started), or null. */
  private peer: StreamPeer | null = null;
  /** The address of the winning connection, or null. */
  private winner: ResolvedAddress | null = null;
  private tlsStarted = false;
  private reason = "";
  private failedAttempts = 0;
  private activity: (() => void) | null = null;
  private readonly network: Network;
  private readonly host: string;
  private readonly port: number;
  private readonly tls: TLSOptions | null;
  private readonly servername: string;
  private readonly tunnel: ProxyTunnel | null;
  private readonly attemptDelay: number;

  /**
   * Starts connecting: an IP literal goes straight to connecting, a name is looked up first.
   *
   * @param network - How to resolve and connect.
   * @param target - What to connect to, and how.
   * @param attemptDelay - Seconds of passed time before the next address is tried beside a
   * connect that has not finished (default {@link DEFAULT_CONNECT_ATTEMPT_DELAY}).
   */
  constructor(network: Network, target: ConnectTarget, attemptDelay: number = DEFAULT_CONNECT_ATTEMPT_DELAY) {
    this.network = network;
    this.host = target.host;
    this.port = target.port;
    this.tls = target.tls;
    this.servername = target.servername;
    this.tunnel = target.tunnel;
    this.attemptDelay = attemptDelay;
    const host = target.host;
    const family = isIP(host);
    if (family === 4 || family === 6) {
      this.addresses = [{ address: host, family }];
      this.phase = "connecting";
      this.startAttempt();
    } else {
      this.phase = "resolving";
      try {
        this.lookup = network.resolve(host);
      } catch (error) {
        this.fail("cant-resolve", `cannot resolve ${host}: ${describe(error)}`);
      }
    }
  }

  /**
   * Passes a listener to the lookup and the peers being connected, so a runner wakes when any
   * has news. `null` removes it.
   *
   * @param listener - The function, or null.
   */
  setActivityListener(listener: (() => void) | null): void {
    this.activity = listener;
    this.lookup?.setActivityListener?.(listener);
    for (const attempt of this.attempts) attempt.peer.setActivityListener(listener);
    this.peer?.setActivityListener(listener);
  }

  /**
   * Tells the connector that time passed, for the attempt delay. Only counted while addresses are
   * being connected; the next {@link Connector.step} starts the next address when the delay is over.
   *
   * @param seconds - Seconds passed (negative and non-finite values are ignored).
   */
  advanceTime(seconds: number): void {
    if (this.phase === "connecting" && this.peer === null && Number.isFinite(seconds) && seconds > 0) this.sinceAttempt += seconds;
  }

  /**
   * Seconds of passed time until the next address is due to start beside the attempts in flight.
   *
   * @returns The seconds (0 when due now), or null when nothing is timed (no address left, or not
   * connecting addresses).
   */
  getNextDeadline(): number | null {
    if (this.phase !== "connecting" || this.peer !== null || this.attempts.length === 0) return null;
    if (this.nextAddress >= this.addresses.length || !Number.isFinite(this.attemptDelay)) return null;
    return Math.max(0, this.attemptDelay - this.sinceAttempt);
  }

  /** True once the TLS handshake has started (the TCP connection, and any proxy tunnel, is up). */
  isTlsStarted(): boolean {
    return this.tlsStarted;
  }

  /** The current phase. */
  getPhase(): ConnectorPhase {
    return this.phase;
  }

  /** Why the connector failed, or `""`. */
  getReason(): string {
    return this.reason;
  }

  /** The peer being connected (the winner, the TLS peer once the handshake started, else the oldest attempt), or null. */
  getPeer(): StreamPeer | null {
    return this.peer ?? this.attempts[0]?.peer ?? null;
  }

  /** Advances as far as the network allows right now. */
  step(): void {
    for (;;) {
      if (this.phase === "resolving") {
        if (!this.stepLookup()) return;
      } else if (this.phase === "connecting") {
        if (!this.stepConnect()) return;
      } else {
        return;
      }
    }
  }

  /**
   * Hands the open peer to the caller; the connector forgets it.
   *
   * @returns The open peer, or null when not open.
   */
  takePeer(): StreamPeer | null {
    if (this.phase !== "open") return null;
    const peer = this.peer;
    this.peer = null;
    return peer;
  }

  /** Stops everything and closes the peers being connected. Idempotent. */
  cancel(): void {
    this.lookup?.cancel();
    this.lookup = null;
    this.closeAttempts();
    this.peer?.close();
    this.peer = null;
  }

  /** @returns true when the phase changed. */
  private stepLookup(): boolean {
    const lookup = this.lookup;
    if (lookup === null) return false;
    const state = lookup.getState();
    if (state === "pending") return false;
    this.lookup = null;
    if (state === "failed") {
      this.fail("cant-resolve", `cannot resolve ${this.host}: ${lookup.getError() || "lookup failed"}`);
      return true;
    }
    this.addresses = interleaveFamilies(lookup.getAddresses());
    if (this.addresses.length === 0) {
      this.fail("cant-resolve", `cannot resolve ${this.host}: no addresses`);
      return true;
    }
    this.phase = "connecting";
    this.startAttempt();
    return true;
  }

  /** @returns true when progress was made and stepping should go on. */
  private stepConnect(): boolean {
    if (this.peer === null) return this.stepAttempts();
    const peer = this.peer;
    const state = peer.getState();
    if (state === PeerState.CONNECTING) return false;
    if (state === PeerState.OPEN) {
      const tunnel = this.tunnel;
      if (tunnel !== null && !this.tlsStarted && tunnel.getState() !== "open") {
        const tunnelState = tunnel.step(peer);
        if (tunnelState === "pending") return false;
        if (tunnelState === "failed") {
          peer.close();
          this.peer = null;
          this.fail("cant-connect", `cannot open a tunnel through the proxy ${this.host}:${this.port}: ${tunnel.getReason()}`);
          return true;
        }
      }
      if (this.tls !== null && !this.tlsStarted) {
        this.tlsStarted = true;
        try {
          this.peer = this.network.startTls(peer, this.tls.toConnectOptions(this.servername));
          this.peer.setActivityListener(this.activity);
        } catch (error) {
          peer.close();
          this.peer = null;
          this.fail("tls-failed", `TLS handshake with ${this.servername} failed: ${describe(error)}`);
        }
        return true;
      }
      this.phase = "open";
      return true;
    }
    const error = peer.getError();
    peer.close();
    this.peer = null;
    if (this.tlsStarted || error?.kind === "tls") {
      this.fail("tls-failed", `TLS handshake with ${this.servername} failed: ${error?.message ?? "closed"}`);
      return true;
    }
    // Lost before it was ready (e.g. a proxy closing during the tunnel): the next address, if any.
    this.failedAttempts++;
    const where = this.winner === null ? `${this.host}:${this.port}` : formatAddress(this.winner, this.port);
    this.reason = `cannot connect to ${where}: ${error?.message ?? "connection closed"}`;
    this.winner = null;
    return this.stepAttempts();
  }

  /**
   * The race of TCP attempts: the first open one wins, failed ones are dropped (and the next
   * address started), and the next address starts beside them once the attempt delay passed.
   *
   * @returns true when progress was made and stepping should go on.
   */
  private stepAttempts(): boolean {
    let progressed = false;
    for (let index = 0; index < this.attempts.length; ) {
      const attempt = this.attempts[index] as Attempt;
      const state = attempt.peer.getState();
      if (state === PeerState.OPEN) {
        this.attempts.splice(index, 1);
        this.closeAttempts();
        this.peer = attempt.peer;
        this.winner = attempt.address;
        return true;
      }
      if (state === PeerState.CONNECTING) {
        index++;
        continue;
      }
      const error = attempt.peer.getError();
      attempt.peer.close();
      this.attempts.splice(index, 1);
      this.failedAttempts++;
      this.reason = `cannot connect to ${formatAddress(attempt.address, this.port)}: ${error?.message ?? "connection closed"}`;
      progressed = true;
    }
    const more = this.nextAddress < this.addresses.length;
    if (!more && this.attempts.length === 0) {
      this.fail("cant-connect", this.failedAttempts > 1 ? `${this.reason} (${this.failedAttempts} addresses tried)` : this.reason);
      return true;
    }
    // A failure starts the next address at once; a slow attempt, once the delay has passed.
    if (more && (progressed || this.attempts.length === 0 || this.sinceAttempt >= this.attemptDelay - TIME_EPSILON)) {
      this.startAttempt();
      return true;
    }
    return progressed;
  }

  /** Starts a TCP attempt to the next address (skipping addresses whose `connect()` throws). */
  private startAttempt(): void {
    for (;;) {
      const address = this.addresses[this.nextAddress++];
      if (address === undefined) {
        if (this.attempts.length === 0) this.fail("cant-connect", this.reason || `cannot connect to ${this.host}: no address left`);
        return;
      }
      try {
        const peer = this.network.connect(address, this.port);
        peer.setActivityListener(this.activity);
        this.attempts.push({ address, peer });
        this.sinceAttempt = 0;
        return;
      } catch (error) {
        this.failedAttempts++;
        this.reason = `cannot connect to ${formatAddress(address, this.port)}: ${describe(error)}`;
      }
    }
  }

  private closeAttempts(): void {
    for (const attempt of this.attempts) {
      attempt.peer.setActivityListener(null);
      attempt.peer.close();
    }
    this.attempts = [];
  }

  private fail(phase: ConnectorPhase, reason: string): void {
    this.closeAttempts();
    this.phase = phase;
    this.reason = reason;
  }
}

/**
 * Orders addresses as RFC 8305 section 4 does: the family of the first address first, then
 * alternating between the families, each family keeping the resolver's order.
 *
 * @param addresses - The resolver's answer, in its order.
 * @returns The order to try them in.
 * @internal
 */
export function interleaveFamilies(addresses: readonly ResolvedAddress[]): ResolvedAddress[] {
  const first = addresses[0]?.family;
  const preferred = addresses.filter((address) => address.family === first);
  const other = addresses.filter((address) => address.family !== first);
  const ordered: ResolvedAddress[] = [];
  for (let index = 0; index < Math.max(preferred.length, other.length); index++) {
    const a = preferred[index];
    const b = other[index];
    if (a !== undefined) ordered.push(a);
    if (b !== undefined) ordered.push(b);
  }
  return ordered;
}

function formatAddress(address: ResolvedAddress, port: number): string {
  return address.family === 6 ? `[${address.address}]:${port}` : `${address.address}:${port}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
