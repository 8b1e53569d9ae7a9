import type { LookupState, PendingLookup, ResolvedAddress } from "./network.ts";

/**
 * The answer of a lookup, which `NodeLookup` and `ScriptedLookup` each hold: pending until settled
 * once, then `done` with addresses or `failed` with a code; a cancelled lookup drops its answer; an
 * activity listener hears the settling.
 *
 * @internal
 */
export class LookupAnswer implements PendingLookup {
  /** {@inheritDoc PendingLookup.host} */
  readonly host: string;
  #state: LookupState = "pending";
  #addresses: readonly ResolvedAddress[] = [];
  #error = "";
  #cancelled = false;
  #listener: (() => void) | null = null;

  /** @param host - The host name being looked up. */
  constructor(host: string) {
    this.host = host;
  }

  /** {@inheritDoc PendingLookup.getState} */
  getState(): LookupState {
    return this.#state;
  }

  /** {@inheritDoc PendingLookup.getAddresses} */
  getAddresses(): readonly ResolvedAddress[] {
    return this.#addresses;
  }

  /** {@inheritDoc PendingLookup.getError} */
  getError(): string {
    return this.#error;
  }

  /** {@inheritDoc PendingLookup.cancel} */
  cancel(): void {
    this.#cancelled = true;
    this.#listener = null;
  }

  /** True once `cancel()` was called; a cancelled lookup's answer is dropped. */
  isCancelled(): boolean {
    return this.#cancelled;
  }

  /**
   * Registers a function called when the lookup settles (from Node's event loop for a real
   * lookup, synchronously for a scripted one), so a runner can sleep until then. `null` removes it.
   *
   * @param listener - The function, or `null`.
   */
  setActivityListener(listener: (() => void) | null): void {
    this.#listener = listener;
  }

  /**
   * Settles a pending lookup as `done`.
   *
   * @param addresses - The addresses, in the order to try them.
   * @returns false when the lookup was no longer pending (settled or cancelled).
   */
  settleDone(addresses: readonly ResolvedAddress[]): boolean {
    if (this.#cancelled || this.#state !== "pending") return false;
    this.#addresses = addresses;
    this.#state = "done";
    this.#listener?.();
    return true;
  }

  /**
   * Settles a pending lookup as `failed`.
   *
   * @param code - The error code, e.g. `ENOTFOUND`.
   * @returns false when the lookup was no longer pending (settled or cancelled).
   */
  settleFailed(code: string): boolean {
    if (this.#cancelled || this.#state !== "pending") return false;
    this.#error = code;
    this.#state = "failed";
    this.#listener?.();
    return true;
  }
}
