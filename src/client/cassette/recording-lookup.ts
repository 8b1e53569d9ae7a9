import type { LookupState, PendingLookup, ResolvedAddress } from "../network.ts";
import type { Recorder } from "./recorder.ts";

/** A lookup passed through, noting when the client first sees it settled. */
export class RecordingLookup implements PendingLookup {
  readonly host: string;
  readonly #inner: PendingLookup;
  readonly #id: string;
  readonly #recorder: Recorder;
  readonly #settled: (lookup: RecordingLookup) => void;
  #ops = 0;
  #done = false;

  constructor(inner: PendingLookup, id: string, recorder: Recorder, settled: (lookup: RecordingLookup) => void) {
    this.host = inner.host;
    this.#inner = inner;
    this.#id = id;
    this.#recorder = recorder;
    this.#settled = settled;
  }

  /** Notes the answer if it came since the last look. */
  observe(): void {
    if (this.#done) return;
    const state = this.#inner.getState();
    if (state === "pending") return;
    this.#done = true;
    const base = { ev: "lookup", id: this.#id, t: this.#recorder.tick(), op: this.#ops } as const;
    this.#recorder.add(
      state === "done"
        ? { ...base, state, addresses: this.#inner.getAddresses().map((address) => address.address) }
        : { ...base, state, error: this.#inner.getError() },
    );
    this.#settled(this);
  }

  getState(): LookupState {
    this.#enter();
    return this.#inner.getState();
  }

  getAddresses(): readonly ResolvedAddress[] {
    this.#enter();
    return this.#inner.getAddresses();
  }

  getError(): string {
    this.#enter();
    return this.#inner.getError();
  }

  cancel(): void {
    this.#inner.cancel();
    this.#done = true;
    this.#settled(this);
  }

  setActivityListener(listener: (() => void) | null): void {
    this.#inner.setActivityListener?.(listener);
  }

  #enter(): void {
    this.observe();
    this.#ops++;
  }
}
