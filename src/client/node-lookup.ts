import { lookup, type LookupAddress } from "node:dns";
import type { LookupState, PendingLookup, ResolvedAddress } from "./network.ts";
import { parseIpAddress } from "./resolved-address.ts";

function codeOf(err: unknown): string {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string" && err.code !== "") {
    return err.code;
  }
  return "EUNKNOWN";
}

/**
 * A host-name lookup with `dns.lookup()` (the operating system's resolver, as `net.connect` uses),
 * run on libuv's thread pool so it never blocks the caller. All addresses are returned in the
 * resolver's order. An IP literal is answered at once, without a lookup.
 *
 * Usually created by `NodeNetwork.resolve()`.
 */
export class NodeLookup implements PendingLookup {
  /** {@inheritDoc PendingLookup.host} */
  readonly host: string;
  #state: LookupState = "pending";
  #addresses: readonly ResolvedAddress[] = [];
  #error = "";
  #errorMessage = "";
  #cancelled = false;
  #listener: (() => void) | null = null;

  /**
   * Starts the lookup. Never throws: invalid input makes a `failed` lookup.
   *
   * @param host - The host name to resolve.
   */
  constructor(host: string) {
    this.host = host;
    const literal = parseIpAddress(host);
    if (literal !== null) {
      this.#state = "done";
      this.#addresses = [literal];
      return;
    }
    try {
      lookup(host, { all: true, order: "verbatim" }, (err, addresses) => {
        this.#settle(err, addresses);
      });
    } catch (err) {
      this.#state = "failed";
      this.#error = codeOf(err);
      this.#errorMessage = err instanceof Error ? err.message : String(err);
    }
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

  /** The resolver's full message for a failed lookup (it names the code); otherwise empty. */
  getErrorMessage(): string {
    return this.#errorMessage;
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
   * Registers a function called from Node's event loop when the lookup settles (so a runner can
   * sleep until then). `null` removes it.
   *
   * @param listener - The function, or `null`.
   */
  setActivityListener(listener: (() => void) | null): void {
    this.#listener = listener;
  }

  #settle(err: NodeJS.ErrnoException | null, addresses: readonly LookupAddress[]): void {
    if (this.#cancelled || this.#state !== "pending") return;
    const found: ResolvedAddress[] = [];
    for (const entry of err === null ? addresses : []) {
      if (entry.family === 4 || entry.family === 6) found.push({ address: entry.address, family: entry.family });
    }
    if (err !== null || found.length === 0) {
      this.#state = "failed";
      this.#error = err === null ? "ENODATA" : codeOf(err);
      this.#errorMessage = err === null ? `ENODATA: no address found for ${this.host}` : err.message;
    } else {
      this.#state = "done";
      this.#addresses = found;
    }
    this.#listener?.();
  }
}
