import type { LookupState, PendingLookup, ResolvedAddress } from "../network.ts";
import { parseIpAddress } from "../peer/address.ts";
import type { RecordedLookup } from "./recorded-connection.ts";
import { isDue, type ReplayClock } from "./replay-clock.ts";

export class ReplayLookup implements PendingLookup {
  readonly host: string;
  readonly #settle: RecordedLookup["settle"] | "missing";
  readonly #clock: ReplayClock;
  readonly #useOps: boolean;
  readonly #done: (lookup: ReplayLookup) => void;
  #state: LookupState = "pending";
  #addresses: ResolvedAddress[] = [];
  #error = "";
  #ops = 0;
  #cancelled = false;
  #listener: (() => void) | null = null;

  /**
   * @param settle - How the recorded lookup settled (null: it never did), or `missing` for a
   *   lookup the cassette does not hold, failed at once with `ECASSETTE_MISSING`.
   */
  constructor(
    host: string,
    settle: RecordedLookup["settle"] | "missing",
    clock: ReplayClock,
    useOps: boolean,
    done: (lookup: ReplayLookup) => void,
  ) {
    this.host = host;
    this.#settle = settle;
    this.#clock = clock;
    this.#useOps = useOps;
    this.#done = done;
    if (settle === "missing") {
      this.#state = "failed";
      this.#error = "ECASSETTE_MISSING";
    }
  }

  /** Settles the lookup if its recorded time has come; `notify` at the start of a tick. */
  advance(notify: boolean): void {
    const settle = this.#settle;
    if (this.#state !== "pending" || this.#cancelled || settle === null || settle === "missing") return;
    if (!isDue(settle, 0, this.#clock.now(), this.#ops, this.#useOps)) return;
    if (settle.state === "done") {
      this.#addresses = (settle.addresses ?? []).map((text) => parseIpAddress(text) ?? { address: text, family: 4 });
      this.#state = "done";
    } else {
      this.#error = settle.error ?? "ENOTFOUND";
      this.#state = "failed";
    }
    this.#done(this);
    if (notify) this.#listener?.();
  }

  /** True when the recorded answer comes later in this tick, after more of the client's calls. */
  isDueLaterThisTick(): boolean {
    return (
      this.isWaiting() && typeof this.#settle === "object" && this.#settle !== null && this.#settle.t === this.#clock.now() && this.#useOps
    );
  }

  /** True while the recorded answer is still to come. */
  isWaiting(): boolean {
    return this.#state === "pending" && !this.#cancelled && this.#settle !== null && this.#settle !== "missing";
  }

  getState(): LookupState {
    this.#enter();
    return this.#state;
  }

  getAddresses(): readonly ResolvedAddress[] {
    this.#enter();
    return this.#addresses;
  }

  getError(): string {
    this.#enter();
    return this.#error;
  }

  cancel(): void {
    this.#cancelled = true;
    this.#listener = null;
    this.#done(this);
  }

  setActivityListener(listener: (() => void) | null): void {
    this.#listener = listener;
  }

  #enter(): void {
    this.advance(false);
    this.#ops++;
  }
}
