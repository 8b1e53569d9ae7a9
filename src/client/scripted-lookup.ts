import { LookupAnswer } from "./lookup-answer.ts";
import type { LookupState, PendingLookup, ResolvedAddress } from "./network.ts";
import { parseIpAddress } from "./peer/address.ts";

/**
 * Turns IP literals and resolved addresses into {@link ResolvedAddress}es.
 *
 * @param addresses - `"10.0.0.1"`, `"::1"` or `{ address, family }` entries.
 * @returns The addresses, in the same order.
 * @throws Error when a string is not an IP literal.
 */
export function toResolvedAddresses(addresses: ReadonlyArray<string | ResolvedAddress>): ResolvedAddress[] {
  return addresses.map((entry) => {
    if (typeof entry !== "string") return { address: entry.address, family: entry.family };
    const parsed = parseIpAddress(entry);
    if (parsed === null) throw new Error(`${entry} is not an IP address`);
    return parsed;
  });
}

/**
 * A host-name lookup that a test answers by hand: it stays `pending` until the test calls
 * {@link resolve} or {@link fail}. Made by `ScriptedNetwork.resolve()`.
 *
 * @example
 * ```ts
 * declare const network: ScriptedNetwork;
 * const [lookup] = network.pendingLookups();
 * expect(lookup!.host).toBe("example.com");
 * lookup!.resolve(["::1", "127.0.0.1"]);   // or lookup!.fail("ENOTFOUND")
 * ```
 */
export class ScriptedLookup implements PendingLookup {
  /** {@inheritDoc PendingLookup.host} */
  readonly host: string;
  readonly #answer: LookupAnswer;

  /** {@inheritDoc PendingLookup.getState} */
  getState(): LookupState {
    return this.#answer.getState();
  }

  /** {@inheritDoc PendingLookup.getAddresses} */
  getAddresses(): readonly ResolvedAddress[] {
    return this.#answer.getAddresses();
  }

  /** {@inheritDoc PendingLookup.getError} */
  getError(): string {
    return this.#answer.getError();
  }

  /** {@inheritDoc PendingLookup.cancel} */
  cancel(): void {
    this.#answer.cancel();
  }

  /** True once {@link PendingLookup.cancel} was called. */
  isCancelled(): boolean {
    return this.#answer.isCancelled();
  }

  /** {@inheritDoc PendingLookup.setActivityListener} */
  setActivityListener(listener: (() => void) | null): void {
    this.#answer.setActivityListener(listener);
  }

  /** @param host - The host name being looked up. */
  constructor(host: string) {
    this.host = host;
    this.#answer = new LookupAnswer(host);
  }

  /**
   * Answers the lookup: `pending` → `done` with these addresses, in this order.
   *
   * @param addresses - IP literals or resolved addresses; at least one.
   * @throws Error when the lookup is already settled, the list is empty or a string is not an IP.
   */
  resolve(addresses: ReadonlyArray<string | ResolvedAddress>): void {
    this.#expectPending("resolve");
    const resolved = toResolvedAddresses(addresses);
    if (resolved.length === 0) throw new Error("ScriptedLookup.resolve: no addresses (use fail() for that)");
    this.#answer.settleDone(resolved);
  }

  /**
   * Fails the lookup: `pending` → `failed` with this code.
   *
   * @param code - The error code. Default `ENOTFOUND`.
   * @throws Error when the lookup is already settled.
   */
  fail(code = "ENOTFOUND"): void {
    this.#expectPending("fail");
    this.#answer.settleFailed(code);
  }

  #expectPending(method: string): void {
    const state = this.getState();
    if (state !== "pending") throw new Error(`ScriptedLookup.${method}: the lookup of ${this.host} is already ${state}`);
  }
}
