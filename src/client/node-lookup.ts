import { lookup, type LookupAddress } from "node:dns";
import { LookupBase } from "./lookup-base.ts";
import type { ResolvedAddress } from "./network.ts";
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
 * resolver's order. An IP literal is answered at once, without a lookup.
 *
 * Usually created by `NodeNetwork.resolve()`.
 */
export class NodeLookup extends LookupBase {
  #errorMessage = "";

  /**
   * Starts the lookup. Never throws: invalid input makes a `failed` lookup.
   *
   * @param host - The host name to resolve.
   */
  constructor(host: string) {
    super(host);
    const literal = parseIpAddress(host);
    if (literal !== null) {
      this.settleDone([literal]);
      return;
    }
    try {
      lookup(host, { all: true, order: "verbatim" }, (err, addresses) => {
        this.#settle(err, addresses);
      });
    } catch (err) {
      this.#errorMessage = err instanceof Error ? err.message : String(err);
      this.settleFailed(codeOf(err));
    }
  }

  /** The resolver's full message for a failed lookup (it names the code); otherwise empty. */
  getErrorMessage(): string {
    return this.#errorMessage;
  }

  #settle(err: NodeJS.ErrnoException | null, addresses: readonly LookupAddress[]): void {
    const found: ResolvedAddress[] = [];
    for (const entry of err === null ? addresses : []) {
      if (entry.family === 4 || entry.family === 6) found.push({ address: entry.address, family: entry.family });
    }
    if (err !== null || found.length === 0) {
      if (this.getState() === "pending" && !this.isCancelled()) {
        this.#errorMessage = err === null ? `ENODATA: no address found for ${this.host}` : err.message;
      }
      this.settleFailed(err === null ? "ENODATA" : codeOf(err));
    } else {
      this.settleDone(found);
    }
  }
}
