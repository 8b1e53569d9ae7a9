import { lookup, type LookupAddress } from "node:dns";
import { LookupAnswer } from "./lookup-answer.ts";
import type { LookupState, PendingLookup, ResolvedAddress } from "./network.ts";
import { withLoopbackAddresses } from "./loopback-name.ts";
import { parseIpAddress } from "./peer/address.ts";

function codeOf(err: unknown): string {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string" && err.code !== "") {
    return err.code;
  }
  return "EUNKNOWN";
}

/**
 * A host-name lookup with `dns.lookup()` (the operating system's resolver, as `net.connect` uses),
 * run on libuv's thread pool so it never blocks the caller. All addresses are returned in the
 * resolver's order. An IP literal is answered at once, without a lookup. For `localhost` and names
 * under `.localhost`, both loopback addresses are in the answer even when the hosts file lists one
 * (see `withLoopbackAddresses`).
 *
 * Usually created by `NodeNetwork.resolve()`.
 */
export class NodeLookup implements PendingLookup {
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
  #errorMessage = "";

  /**
   * Starts the lookup. Never throws: invalid input makes a `failed` lookup.
   *
   * @param host - The host name to resolve.
   */
  constructor(host: string) {
    this.host = host;
    this.#answer = new LookupAnswer(host);
    const literal = parseIpAddress(host);
    if (literal !== null) {
      this.#answer.settleDone([literal]);
      return;
    }
    try {
      lookup(host, { all: true, order: "verbatim" }, (err, addresses) => {
        this.#settle(err, addresses);
      });
    } catch (err) {
      this.#errorMessage = err instanceof Error ? err.message : String(err);
      this.#answer.settleFailed(codeOf(err));
    }
  }

  /** The resolver's full message for a failed lookup (it names the code); otherwise empty. */
  getErrorMessage(): string {
    return this.#errorMessage;
  }

  #settle(err: NodeJS.ErrnoException | null, addresses: readonly LookupAddress[]): void {
    const given: ResolvedAddress[] = [];
    for (const entry of err === null ? addresses : []) {
      if (entry.family === 4 || entry.family === 6) given.push({ address: entry.address, family: entry.family });
    }
    const found = withLoopbackAddresses(this.host, given);
    if (found.length === 0) {
      if (this.getState() === "pending" && !this.isCancelled()) {
        this.#errorMessage = err === null ? `ENODATA: no address found for ${this.host}` : err.message;
      }
      this.#answer.settleFailed(err === null ? "ENODATA" : codeOf(err));
    } else {
      this.#answer.settleDone(found);
    }
  }
}
