/**
 * The background validation of `stale-while-revalidate` (RFC 5861 §3): when an `HTTPRequest`
 * delivers a stale stored response inside that window, a conditional request for it goes out
 * beside the node's own requests, stepped by the node's ticks, and its answer refreshes the stored
 * entry (a 304) or replaces it (a 200). Nothing of it reaches the node's signals; its failures are
 * dropped.
 *
 * @module
 */
import type { Network } from "../client/network.ts";
import { NodeNetwork } from "../client/node-network.ts";
import type { StreamPeer } from "../client/peer/stream-peer.ts";
import type { HTTPCache } from "../session/http-cache.ts";
import { KeptConnection } from "./kept-connection.ts";
import type { RequestPlan } from "./request-plan.ts";
import type { RequestProxies } from "./request-proxies.ts";
import { RequestRun } from "./request-run.ts";
import { RequestSession, type SessionSettings } from "./request-session.ts";
import type { RequestSettings } from "./request-settings.ts";
import { Signal } from "./signal.ts";
import { TimingObserver } from "./timing-observer.ts";

/** The cache keys validated in the background right now, per cache: at most one validation per key, whichever node started it. */
const IN_FLIGHT = new WeakMap<HTTPCache, Set<string>>();

/** One validation going on: its run, the connection it owns, and the key it holds. */
interface Validation {
  readonly run: RequestRun;
  /** The node's `timeout` when it started (0: none), in seconds of ticks. */
  readonly timeout: number;
  /** Seconds of ticks since it started. */
  elapsed: number;
  readonly connection: KeptConnection;
  readonly cache: HTTPCache;
  readonly key: string;
}

/**
 * A peer that never keeps the process alive: its sockets are unreferenced from the start, whether
 * or not a request is in flight on it. The peer is changed in place.
 */
function unreferenced(peer: StreamPeer): StreamPeer {
  const setIdle = peer.setIdle?.bind(peer);
  if (setIdle !== undefined) {
    setIdle(true);
    peer.setIdle = () => setIdle(true);
  }
  return peer;
}

/** A network (Node's when undefined) whose peers are all {@link unreferenced}. */
function unreferencedNetwork(given: Network | undefined): Network {
  const network = given ?? new NodeNetwork();
  return {
    resolve: (host) => network.resolve(host),
    connect: (address, port) => unreferenced(network.connect(address, port)),
    startTls: (peer, options) => unreferenced(network.startTls(peer, options)),
    ...(network.eventLoopTurns === undefined ? {} : { eventLoopTurns: () => network.eventLoopTurns?.() ?? 0 }),
  };
}

/**
 * The background validations of one `HTTPRequest` node. Each gets a connection of its own over the
 * node's network and proxies, closed once its answer is in; {@link BackgroundRevalidator.cancel}
 * (the node leaving its tree) closes them all.
 *
 * @internal
 */
export class BackgroundRevalidator {
  readonly #given: Network | undefined;
  /** The node's network with unreferenced peers, made on first use. */
  #network: Network | null = null;
  readonly #proxies: RequestProxies;
  readonly #onActivity: () => void;
  readonly #validations: Validation[] = [];
  /** A `bodyData` nobody listens to: the body is collected for the cache. */
  readonly #bodyData = new Signal<[chunk: Uint8Array]>("body_data");

  /**
   * @param network - The node's network (its sockets made unreferenced here); undefined for Node's.
   * @param proxies - The node's proxies.
   * @param onActivity - Called from the event loop when a validation's connection has news (wakes the tree).
   */
  constructor(network: Network | undefined, proxies: RequestProxies, onActivity: () => void) {
    this.#given = network;
    this.#proxies = proxies;
    this.#onActivity = onActivity;
  }

  /** How many validations are going on. */
  get size(): number {
    return this.#validations.length;
  }

  /**
   * Starts validating a stored response in the background, unless one for the same cache key is
   * going on already. The request is the delivered one's first hop, sent with the stored
   * validators (Fetch's `no-cache` mode), with the node's settings but no retries, no download file,
   * no login handlers (nobody is asked anything for it) and no manual redirects.
   *
   * @param plan - The delivered request's plan.
   * @param settings - Its frozen settings.
   * @param session - Its cookie jar, cache (not null) and clock.
   * @param key - The cache key.
   * @param timeout - The node's `timeout` in seconds (0: none): the validation is dropped after as many seconds of ticks.
   * @returns True when a validation was started.
   */
  start(plan: RequestPlan, settings: RequestSettings, session: SessionSettings, key: string, timeout: number): boolean {
    const cache = session.cache;
    if (cache === null) return false;
    let keys = IN_FLIGHT.get(cache);
    if (keys === undefined) IN_FLIGHT.set(cache, (keys = new Set()));
    if (keys.has(key)) return false;
    keys.add(key);
    const connection = new KeptConnection((this.#network ??= unreferencedNetwork(this.#given)), this.#proxies, this.#onActivity);
    const validation = new RequestSession({ ...session, cacheMode: "no-cache", login: null }, plan.hop, false);
    const run = new RequestRun({
      plan: { ok: true, hop: plan.hop, range: null, integrity: null },
      settings: Object.freeze({
        ...settings,
        downloadFile: "",
        proxyLoginHandler: null,
        retry: null,
        redirectMode: settings.redirectMode === "manual" ? "error" : settings.redirectMode,
      }),
      connection,
      proxies: this.#proxies,
      timings: new TimingObserver(session.now),
      bodyData: this.#bodyData,
      session: validation,
    });
    this.#validations.push({ run, timeout, elapsed: 0, connection, cache, key });
    this.#sweep();
    return true;
  }

  /**
   * Steps every validation by one tick; what they would emit is dropped, and an ended one's
   * connection is closed and its key released.
   *
   * @param delta - Seconds since the last tick (for the phase timeouts).
   */
  process(delta: number): void {
    if (this.#validations.length === 0) return;
    const passed = Number.isFinite(delta) && delta > 0 ? delta : 0;
    for (const validation of this.#validations) {
      const run = validation.run;
      validation.elapsed += passed;
      try {
        if (validation.timeout > 0 && validation.elapsed >= validation.timeout) run.cancel();
        if (run.isActive()) run.advanceTime(passed);
        if (run.isActive()) run.step();
      } catch {
        run.cancel(); // a failure of a background validation is never the user's
      }
    }
    this.#sweep();
  }

  /**
   * When a validation next needs a tick even if no byte arrives (a phase timeout, the node's
   * `timeout`), in seconds from now; null when none does.
   */
  nextDeadline(): number | null {
    let due: number | null = null;
    for (const { run, timeout, elapsed } of this.#validations) {
      for (const next of [run.nextDeadline(), timeout > 0 ? Math.max(0, timeout - elapsed) : null]) {
        if (next !== null) due = due === null ? next : Math.min(due, next);
      }
    }
    return due;
  }

  /** Stops every validation and closes their connections. */
  cancel(): void {
    for (const validation of this.#validations) validation.run.cancel();
    this.#sweep();
  }

  /** Drops what the runs emitted, and ends the validations that are over. */
  #sweep(): void {
    for (let i = this.#validations.length - 1; i >= 0; i--) {
      const validation = this.#validations[i] as Validation;
      if (validation.run.hasEmissions()) validation.run.takeEmissions();
      validation.run.takeReason();
      if (validation.run.isActive()) continue;
      this.#validations.splice(i, 1);
      validation.connection.close();
      IN_FLIGHT.get(validation.cache)?.delete(validation.key);
    }
  }
}
