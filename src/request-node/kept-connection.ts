/**
 * The connection an `HTTPRequest` keeps between requests: its {@link HTTPClient}, made on first use
 * with the node's proxies and activity listener, and the origin and TLS options it was opened
 * with, which decide whether the next hop may reuse it.
 *
 * @module
 */
import { HTTPClient } from "../client/http-client.ts";
import type { Network } from "../client/network.ts";
import { sharedThreadedNetwork } from "../client/threaded/threaded-network.ts";
import type { TLSOptions } from "../client/tls-options.ts";
import { type HttpUrl, sameOrigin } from "../client/url.ts";
import type { Err } from "../status/err.ts";
import { Status } from "../status/status.ts";
import type { RequestProxies } from "./request-proxies.ts";

/**
 * The client of an `HTTPRequest` and what it is connected to. It is made lazily and kept for the
 * node's life; a kept connection is reused by a hop to the same origin with the same TLS options.
 *
 * @internal
 */
export class KeptConnection {
  /** The network given to the node; undefined for Node's. */
  readonly #network: Network | undefined;
  /** True when the node's connections go through the shared `ThreadedNetwork` (`useThreads`). */
  #threads = false;
  /** The `#threads` setting the client was made with. */
  #clientThreads = false;
  readonly #proxies: RequestProxies;
  readonly #onActivity: () => void;
  #client: HTTPClient | null = null;
  #origin: HttpUrl | null = null;
  /** The TLS options the kept connection was opened (and its certificate verified) with. */
  #tls: TLSOptions | null = null;
  /** Whether the kept connection was opened taking the environment's proxies. */
  #environmentProxy = false;

  /**
   * @param network - How the client resolves and connects; undefined for Node's.
   * @param proxies - The node's proxies, given to the client when it is made.
   * @param onActivity - Called from the event loop when the client has news (bytes, close, drain, connect).
   */
  constructor(network: Network | undefined, proxies: RequestProxies, onActivity: () => void) {
    this.#network = network;
    this.#proxies = proxies;
    this.#onActivity = onActivity;
  }

  /** True when the node's next connections go through the shared `ThreadedNetwork`. */
  usesThreads(): boolean {
    return this.#threads;
  }

  /**
   * Chooses the network of the next connection: the shared `ThreadedNetwork`, or the one the node
   * was given. A kept connection of the other kind is not reused; a running request keeps its own.
   *
   * @param threads - True for the threaded network.
   */
  setThreads(threads: boolean): void {
    this.#threads = threads;
  }

  /**
   * True when the client's network runs its sockets off this thread (`useThreads`, or a network
   * that can wait for news): its changes are seen by polling, whether or not the activity
   * listener has been called from the event loop.
   */
  isOffThread(): boolean {
    const threads = this.#client === null ? this.#threads : this.#clientThreads;
    return threads || this.#network?.waitForActivity !== undefined;
  }

  /** The client, or null before the first connection. */
  getClient(): HTTPClient | null {
    return this.#client;
  }

  /** The status of the client, DISCONNECTED without one. */
  getStatus(): Status {
    return this.#client?.getStatus() ?? Status.STATUS_DISCONNECTED;
  }

  /** The most unread bytes the current connection has held at once (0 without one, or for in-memory peers). */
  getPeakBufferedBytes(): number {
    return this.#client?.getConnection()?.getPeakBufferedBytes?.() ?? 0;
  }

  /**
   * Whether a hop to `url` may go on the open connection: same origin, opened with the TLS options
   * the request runs with (for `https`) and the same choice of environment proxies, and idle in
   * CONNECTED.
   *
   * @param url - The hop's URL.
   * @param tls - The TLS options of the request.
   * @param environmentProxy - Whether the request takes the environment's proxies.
   */
  canReuse(url: HttpUrl, tls: TLSOptions, environmentProxy = false): boolean {
    const client = this.#client;
    const origin = this.#origin;
    // A kept connection is reused only if it was verified with the TLS options in force now.
    const sameTls = url.scheme !== "https" || this.#tls === tls;
    const sameNetwork = this.#clientThreads === this.#threads;
    return (
      client !== null &&
      origin !== null &&
      sameOrigin(origin, url) &&
      sameTls &&
      sameNetwork &&
      this.#environmentProxy === environmentProxy &&
      client.getStatus() === Status.STATUS_CONNECTED
    );
  }

  /**
   * Starts a new connection to `url`'s origin (closing what the client had), making the client
   * on first use.
   *
   * @param url - The hop's URL.
   * @param tlsOptions - The TLS options of the request (used for `https`).
   * @param environmentProxy - Whether the connection takes the proxies the environment names.
   * @returns What the client's `connectToHost` returned.
   */
  open(url: HttpUrl, tlsOptions: TLSOptions, environmentProxy = false): Err {
    if (this.#client !== null && this.#clientThreads !== this.#threads) {
      this.#client.close();
      this.#client.setActivityListener(null);
      this.#client = null;
    }
    const client = this.#client ?? this.#createClient();
    const tls = url.scheme === "https" ? tlsOptions : null;
    client.useEnvironmentProxy = environmentProxy;
    this.#environmentProxy = environmentProxy;
    const err = client.connectToHost(url.host, url.port, tls);
    this.#origin = url;
    this.#tls = tls;
    return err;
  }

  /** True when the whole request is sent and the client only waits for the response head. */
  waitsForHeadOnly(): boolean {
    const client = this.#client;
    if (client === null || client.getStatus() !== Status.STATUS_REQUESTING) return false;
    const length = client.getRequestBodyLength();
    return length >= 0 && client.getRequestBodyBytesSent() === length;
  }

  /**
   * Gives the client the node's proxy for `kind` URLs after it changed; a kept connection may go
   * the old way, so it is closed unless a request runs on it.
   *
   * @param kind - Which proxy.
   * @param active - True while a request runs.
   */
  onProxyChanged(kind: "http" | "https", active: boolean): void {
    if (this.#client === null) return;
    this.#proxies.applyTo(this.#client, kind);
    if (!active) this.close();
  }

  /** Closes the connection; the client is kept for the next one. */
  close(): void {
    this.#client?.close();
    this.#origin = null;
  }

  #createClient(): HTTPClient {
    const network = this.#threads ? sharedThreadedNetwork() : this.#network;
    const client = new HTTPClient(network === undefined ? {} : { network });
    this.#clientThreads = this.#threads;
    this.#proxies.applyTo(client);
    client.setActivityListener(this.#onActivity);
    this.#client = client;
    return client;
  }
}
