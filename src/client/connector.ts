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

/**
 * Opens a connection step by step: resolve the name, try each address in order until one accepts,
 * then run the TLS handshake when asked. It advances only inside {@link Connector.step}.
 *
 * @internal
 */
export class Connector {
  private phase: ConnectorPhase;
  private lookup: PendingLookup | null = null;
  private addresses: readonly ResolvedAddress[] = [];
  private nextAddress = 0;
  private peer: StreamPeer | null = null;
  private tlsStarted = false;
  private reason = "";
  private readonly network: Network;
  private readonly host: string;
  private readonly port: number;
  private readonly tls: TLSOptions | null;
  private readonly servername: string;
  private readonly tunnel: ProxyTunnel | null;

  /**
   * Starts connecting: an IP literal goes straight to connecting, a name is looked up first.
   *
   * @param network - How to resolve and connect.
   * @param target - What to connect to, and how.
   */
  constructor(network: Network, target: ConnectTarget) {
    this.network = network;
    this.host = target.host;
    this.port = target.port;
    this.tls = target.tls;
    this.servername = target.servername;
    this.tunnel = target.tunnel;
    const host = target.host;
    const family = isIP(host);
    if (family === 4 || family === 6) {
      this.addresses = [{ address: host, family }];
      this.phase = "connecting";
      this.connectNext();
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
   * Passes a listener to the lookup and the peer being connected, so a runner wakes when either
   * has news. `null` removes it.
   *
   * @param listener - The function, or null.
   */
  setActivityListener(listener: (() => void) | null): void {
    this.lookup?.setActivityListener?.(listener);
    this.peer?.setActivityListener(listener);
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

  /** The peer being connected (the TLS peer once the handshake started), or null. */
  getPeer(): StreamPeer | null {
    return this.peer;
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

  /** Stops everything and closes the peer being connected. Idempotent. */
  cancel(): void {
    this.lookup?.cancel();
    this.lookup = null;
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
    this.addresses = lookup.getAddresses();
    if (this.addresses.length === 0) {
      this.fail("cant-resolve", `cannot resolve ${this.host}: no addresses`);
      return true;
    }
    this.phase = "connecting";
    this.connectNext();
    return true;
  }

  /** @returns true when progress was made and stepping should go on. */
  private stepConnect(): boolean {
    const peer = this.peer;
    if (peer === null) return false;
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
    const last = this.addresses[this.nextAddress - 1];
    const where = last === undefined ? this.host : formatAddress(last, this.port);
    this.reason = `cannot connect to ${where}: ${error?.message ?? "connection closed"}`;
    if (this.nextAddress < this.addresses.length) {
      this.connectNext();
      return true;
    }
    this.fail("cant-connect", this.reason);
    return true;
  }

  private connectNext(): void {
    const address = this.addresses[this.nextAddress++];
    if (address === undefined) {
      this.fail("cant-connect", this.reason || `cannot connect to ${this.host}: no address left`);
      return;
    }
    try {
      this.peer = this.network.connect(address, this.port);
    } catch (error) {
      this.peer = null;
      this.reason = `cannot connect to ${formatAddress(address, this.port)}: ${describe(error)}`;
      this.connectNext();
    }
  }

  private fail(phase: ConnectorPhase, reason: string): void {
    this.phase = phase;
    this.reason = reason;
  }
}

function formatAddress(address: ResolvedAddress, port: number): string {
  return address.family === 6 ? `[${address.address}]:${port}` : `${address.address}:${port}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
