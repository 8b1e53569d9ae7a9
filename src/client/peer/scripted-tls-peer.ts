import type { TlsConnectOptions } from "./tls-connect-options.ts";
import { ScriptedPeer } from "./scripted-peer.ts";
import { PeerState } from "./stream-peer.ts";

/**
 * The {@link ScriptedPeer} that `ScriptedNetwork.startTls()` returns: it carries the plaintext of
 * a TLS connection and starts `CONNECTING` (the handshake) until the test calls
 * {@link completeHandshake} or {@link failHandshake}. The TCP peer it runs over is
 * {@link underlying}, now handed over (`CLOSED`).
 *
 * @example
 * ```ts
 * const network = new ScriptedNetwork();
 * // …the client connects and starts TLS…
 * const [handshake] = network.pendingHandshakes();
 * expect(handshake!.options.servername).toBe("example.com");
 * handshake!.failHandshake("CERT_HAS_EXPIRED", "certificate has expired");
 * ```
 */
export class ScriptedTlsPeer extends ScriptedPeer {
  /** The TLS settings the client started the handshake with. */
  readonly options: TlsConnectOptions;
  /** The TCP peer this TLS connection runs over (handed over, so `CLOSED`). */
  readonly underlying: ScriptedPeer;

  /**
   * @param underlying - The open TCP peer to run over; its address and port are copied.
   * @param options - The TLS settings the client asked for.
   */
  constructor(underlying: ScriptedPeer, options: TlsConnectOptions) {
    super({ address: underlying.address, port: underlying.port });
    this.underlying = underlying;
    this.options = options;
  }

  /** Completes the handshake: `CONNECTING` → `OPEN`. Ignored once the client closed the peer. */
  completeHandshake(): void {
    this.accept();
  }

  /**
   * Fails the handshake: `CONNECTING` → `ERROR` with kind `tls`. Ignored once the client closed
   * the peer.
   *
   * @param code - The error code, e.g. Node's `DEPTH_ZERO_SELF_SIGNED_CERT`.
   * @param message - The description; default `"<code>: TLS handshake failed"`.
   * @throws Error when the handshake is not in progress.
   */
  failHandshake(code: string, message?: string): void {
    if (this.getState() === PeerState.CLOSED) return;
    if (this.getState() !== PeerState.CONNECTING) throw new Error("ScriptedTlsPeer.failHandshake: the handshake is not in progress");
    this.failWith("tls", code, message ?? `${code}: TLS handshake failed`);
  }
}
