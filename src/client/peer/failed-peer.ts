import { PeerState, type PeerError, type StreamPeer } from "./stream-peer.ts";

const EMPTY = new Uint8Array(0);

/**
 * A {@link StreamPeer} that failed before it existed: it is born in `ERROR` state, holds no bytes
 * and accepts none. A network returns one instead of throwing when it is asked for something it
 * cannot do (for instance TLS over a peer that is not open).
 */
export class FailedPeer implements StreamPeer {
  readonly #error: PeerError;
  #closed = false;

  /**
   * @param error - Why the peer failed.
   */
  constructor(error: PeerError) {
    this.#error = error;
  }

  /** {@inheritDoc StreamPeer.getState} */
  getState(): PeerState {
    return this.#closed ? PeerState.CLOSED : PeerState.ERROR;
  }

  /** {@inheritDoc StreamPeer.getError} */
  getError(): PeerError | null {
    return this.#closed ? null : this.#error;
  }

  /** {@inheritDoc StreamPeer.getAvailableBytes} */
  getAvailableBytes(): number {
    return 0;
  }

  /** {@inheritDoc StreamPeer.read} */
  read(_maxBytes: number): Uint8Array {
    return EMPTY;
  }

  /** {@inheritDoc StreamPeer.write} */
  write(_data: Uint8Array): number {
    return 0;
  }

  /** {@inheritDoc StreamPeer.getPendingWriteBytes} */
  getPendingWriteBytes(): number {
    return 0;
  }

  /** {@inheritDoc StreamPeer.isEnded} */
  isEnded(): boolean {
    return false;
  }

  /** {@inheritDoc StreamPeer.close} */
  close(): void {
    this.#closed = true;
  }

  /** {@inheritDoc StreamPeer.setActivityListener} */
  setActivityListener(_listener: (() => void) | null): void {
    // Nothing will ever happen.
  }
}
