import { isIP, type Socket } from "node:net";
import { checkServerIdentity, connect as tlsConnect, type ConnectionOptions, type PeerCertificate, type TLSSocket } from "node:tls";
import type { TlsConnectOptions } from "./tls-connect-options.ts";
import { SocketCore } from "./socket-core.ts";
import type { SocketPeer, SocketPeerOptions } from "./socket-peer.ts";
import type { PeerError, PeerState } from "./stream-peer.ts";

/** Strips the brackets of an IPv6 literal written as in a URL (`[::1]` → `::1`). */
function bareHost(name: string): string {
  return name.startsWith("[") && name.endsWith("]") ? name.slice(1, -1) : name;
}

/**
 * Translates {@link TlsConnectOptions} into `tls.connect()` options over an open socket: SNI for
 * host names only (never for IP literals), certificate and host-name verification unless `unsafe`,
 * TLS 1.2 minimum, ALPN `http/1.1`.
 *
 * @param socket - The open TCP socket to run TLS over.
 * @param options - The connection's TLS settings.
 * @returns Options for `tls.connect()`.
 */
export function tlsConnectionOptions(socket: Socket, options: TlsConnectOptions): ConnectionOptions {
  const host = bareHost(options.servername);
  const override = options.commonNameOverride;
  const result: ConnectionOptions = {
    socket,
    host,
    rejectUnauthorized: options.unsafe !== true,
    minVersion: "TLSv1.2",
    ALPNProtocols: ["http/1.1"],
    checkServerIdentity: (name: string, cert: PeerCertificate) =>
      checkServerIdentity(override !== undefined && override !== "" ? override : name, cert),
  };
  if (host !== "" && isIP(host) === 0) result.servername = host;
  const ca = options.trustedCA;
  if (ca !== undefined) result.ca = typeof ca === "string" ? ca : [...ca];
  if (options.clientCert !== undefined) result.cert = options.clientCert;
  if (options.clientKey !== undefined) result.key = options.clientKey;
  if (options.passphrase !== undefined) result.passphrase = options.passphrase;
  return result;
}

/**
 * A {@link StreamPeer} running TLS (`node:tls`) over an open TCP socket.
 *
 * It starts `CONNECTING` (the handshake) and becomes `OPEN` on `secureConnect`. Any failure before
 * that — a certificate that does not verify, a host-name mismatch, a protocol the server will not
 * speak, the server closing the connection, a bad client key — makes it `ERROR` with kind `tls`
 * and Node's code (`DEPTH_ZERO_SELF_SIGNED_CERT`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`,
 * `SELF_SIGNED_CERT_IN_CHAIN`, `CERT_HAS_EXPIRED`, `ERR_TLS_CERT_ALTNAME_INVALID`,
 * `ERR_SSL_…`) in both `code` and `message`. Later failures have kind `io`. Buffering and
 * back-pressure are those described at {@link SocketPeer}.
 *
 * Usually created by `NodeNetwork.startTls()`.
 */
export class TlsPeer implements SocketPeer {
  /** The TLS settings the handshake was started with. */
  readonly options: TlsConnectOptions;
  readonly #core: SocketCore;
  #tls: TLSSocket | null = null;

  /**
   * Starts the TLS handshake over `socket`, which this peer now owns. Never throws: invalid
   * settings (an unreadable PEM, a wrong passphrase) make a peer in `ERROR` state.
   *
   * @param socket - An open TCP socket nobody else reads.
   * @param options - Verification and identity settings.
   * @param peerOptions - Buffer bounds.
   */
  constructor(socket: Socket, options: TlsConnectOptions, peerOptions: SocketPeerOptions = {}) {
    this.options = options;
    // The TCP socket under the TLS one refs with it and is destroyed when the peer fails or closes.
    const core = new SocketCore("tls", peerOptions, "data", socket);
    this.#core = core;
    socket.on("error", this.#onRawError);
    let secure: TLSSocket;
    try {
      secure = tlsConnect(tlsConnectionOptions(socket, options));
    } catch (err) {
      core.fail(err);
      return;
    }
    this.#tls = secure;
    secure.once("secureConnect", this.#onSecureConnect);
    core.attachSocket(secure);
  }

  /** The protocol agreed by ALPN (`"http/1.1"`), or `null` when none was (or not yet). */
  getAlpnProtocol(): string | null {
    const protocol = this.#tls?.alpnProtocol;
    return typeof protocol === "string" && protocol !== "" ? protocol : null;
  }

  /** The negotiated TLS version (`"TLSv1.3"`), or `null` before the handshake completes. */
  getProtocol(): string | null {
    return this.#tls?.getProtocol() ?? null;
  }

  /** {@inheritDoc StreamPeer.getState} */
  getState(): PeerState {
    return this.#core.getState();
  }

  /** {@inheritDoc StreamPeer.getError} */
  getError(): PeerError | null {
    return this.#core.getError();
  }

  /** {@inheritDoc StreamPeer.getAvailableBytes} */
  getAvailableBytes(): number {
    return this.#core.getAvailableBytes();
  }

  /** {@inheritDoc StreamPeer.read} */
  read(maxBytes: number): Uint8Array {
    return this.#core.read(maxBytes);
  }

  /** {@inheritDoc SocketPeer.releaseReads} */
  releaseReads(keepLastBytes: number): void {
    this.#core.releaseReads(keepLastBytes);
  }

  /** {@inheritDoc StreamPeer.write} */
  write(data: Uint8Array): number {
    return this.#core.write(data);
  }

  /** {@inheritDoc StreamPeer.getPendingWriteBytes} */
  getPendingWriteBytes(): number {
    return this.#core.getPendingWriteBytes();
  }

  /** {@inheritDoc StreamPeer.isEnded} */
  isEnded(): boolean {
    return this.#core.isEnded();
  }

  /** Closes the TLS socket and the TCP socket under it, and drops buffered bytes. Idempotent. */
  close(): void {
    this.#core.close();
  }

  /** {@inheritDoc StreamPeer.setActivityListener} */
  setActivityListener(listener: (() => void) | null): void {
    this.#core.setActivityListener(listener);
  }

  /** {@inheritDoc SocketPeer.setIdle} */
  setIdle(idle: boolean): void {
    this.#core.setIdle(idle);
  }

  /** {@inheritDoc SocketPeer.getPeakBufferedBytes} */
  getPeakBufferedBytes(): number {
    return this.#core.getPeakBufferedBytes();
  }

  /** {@inheritDoc SocketPeer.getReadBufferBytes} */
  getReadBufferBytes(): number {
    return this.#core.getReadBufferBytes();
  }

  /** {@inheritDoc SocketPeer.getMaxReadBufferBytes} */
  getMaxReadBufferBytes(): number {
    return this.#core.getMaxReadBufferBytes();
  }

  /** {@inheritDoc SocketPeer.getCurrentReadBufferBytes} */
  getCurrentReadBufferBytes(): number {
    return this.#core.getCurrentReadBufferBytes();
  }

  /** {@inheritDoc SocketPeer.getWriteBufferBytes} */
  getWriteBufferBytes(): number {
    return this.#core.getWriteBufferBytes();
  }

  readonly #onSecureConnect = (): void => {
    this.#core.markOpen();
  };

  readonly #onRawError = (err: Error): void => {
    this.#core.fail(err);
  };
}
