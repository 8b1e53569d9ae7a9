import type { LookupState, PendingLookup, ResolvedAddress } from "../network.ts";
import { LOOKUP_BLOCK_BYTES, LOOKUP_TEXT_OFFSET, LookupWord } from "./channel-layout.ts";
import type { SocketThread } from "./socket-thread.ts";
import { withLoopbackAddresses } from "../loopback-name.ts";

const decoder = new TextDecoder();
let nextLookupId = 1;

interface Answer {
  readonly addresses?: readonly (readonly [string, number])[];
  readonly code?: string;
  readonly message?: string;
}

/**
 * A host-name lookup with `dns.lookup()` run by the socket thread of a `ThreadedNetwork` (all
 * addresses, the resolver's order, as `NodeLookup`). The answer is written to shared memory, so
 * `getState()` sees it whether or not this thread's event loop turns.
 *
 * Made by `ThreadedNetwork.resolve()`.
 */
export class ThreadedLookup implements PendingLookup {
  /** {@inheritDoc PendingLookup.host} */
  readonly host: string;
  readonly #id = nextLookupId++;
  readonly #thread: SocketThread;
  readonly #block: Int32Array;
  #state: LookupState = "pending";
  #addresses: readonly ResolvedAddress[] = [];
  #error = "";
  #errorMessage = "";
  #done = false;
  #listener: (() => void) | null = null;

  /**
   * Asks the socket thread to resolve `host`.
   *
   * @param thread - The socket thread.
   * @param host - The host name.
   * @internal
   */
  constructor(thread: SocketThread, host: string) {
    this.host = host;
    this.#thread = thread;
    const block = new SharedArrayBuffer(LOOKUP_BLOCK_BYTES);
    this.#block = new Int32Array(block, 0, 2);
    thread.add(this);
    thread.setBusy(1); // a lookup keeps the process alive until it settles, as dns.lookup() does
    thread.post({ t: "lookup", id: this.#id, host, block });
  }

  /** {@inheritDoc PendingLookup.getState} */
  getState(): LookupState {
    this.#check();
    return this.#state;
  }

  /** {@inheritDoc PendingLookup.getAddresses} */
  getAddresses(): readonly ResolvedAddress[] {
    this.#check();
    return this.#addresses;
  }

  /** {@inheritDoc PendingLookup.getError} */
  getError(): string {
    this.#check();
    return this.#error;
  }

  /** The resolver's full message for a failed lookup (it names the code); otherwise empty. */
  getErrorMessage(): string {
    this.#check();
    return this.#errorMessage;
  }

  /** {@inheritDoc PendingLookup.cancel} */
  cancel(): void {
    if (this.#done) return;
    this.#thread.post({ t: "cancel", id: this.#id });
    this.#finish();
  }

  /** {@inheritDoc PendingLookup.setActivityListener} */
  setActivityListener(listener: (() => void) | null): void {
    if (this.#done) return;
    this.#listener = listener;
    this.#thread.listen(this, listener !== null);
  }

  /** @internal */
  onWake(): void {
    if (Atomics.load(this.#block, LookupWord.STATE) !== 0) this.#listener?.();
  }

  /** @internal */
  onThreadStopped(reason: string): void {
    if (this.#state !== "pending") return;
    this.#error = "ECONNABORTED";
    this.#errorMessage = `ECONNABORTED: ${reason}`;
    this.#state = "failed";
    this.#listener?.();
    this.#finish();
  }

  #check(): void {
    if (this.#done) return;
    const state = Atomics.load(this.#block, LookupWord.STATE);
    if (state === 0) return;
    const length = Atomics.load(this.#block, LookupWord.LENGTH);
    const answer = JSON.parse(decoder.decode(new Uint8Array(this.#block.buffer, LOOKUP_TEXT_OFFSET, length).slice())) as Answer;
    const given: ResolvedAddress[] = [];
    for (const [address, family] of state === 2 ? [] : (answer.addresses ?? [])) {
      if (family === 4 || family === 6) given.push({ address, family });
    }
    const found = withLoopbackAddresses(this.host, given);
    if (found.length === 0) {
      this.#error = state === 2 ? (answer.code ?? "EUNKNOWN") : "ENODATA";
      this.#errorMessage = state === 2 ? (answer.message ?? this.#error) : `ENODATA: no address found for ${this.host}`;
      this.#state = "failed";
    } else {
      this.#addresses = found;
      this.#state = "done";
    }
    this.#finish();
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#listener = null;
    this.#thread.setBusy(-1);
    this.#thread.remove(this);
  }
}
