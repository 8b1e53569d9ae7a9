/**
 * The connection an `HTTPRequest` keeps between requests: its {@link HTTPClient}, made on first use
 * with the node's proxies and activity listener, and the origin and TLS options it was opened
 * with, which decide whether the next hop may reuse it.
 *
 * @module
 */
import { HTTPClient } from "../client/http-client.ts";
import type { Network } from "../client/network.ts";
import type { StreamPeer } from "../client/peer/stream-peer.ts";
import type { ProxyCredentials } from "../client/proxy-settings.ts";
import { sharedThreadedNetwork } from "../client/threaded/threaded-network.ts";
import type { TLSOptions } from "../client/tls-options.ts";
import { sameOrigin, type HttpUrl } from "../client/url.ts";
import type { Err } from "../status/err.ts";
import { Status } from "../status/status.ts";
import type { RequestRunHost } from "./run-host.ts";

/**
 * The client of an `HTTPRequest` and what it is connected to. It is made lazily and kept for the
 * node's life; a kept connection is reused by a hop to the same origin with the same TLS options.
 *
 * @internal
 */
export class KeptConnection {
  /** The network given to the node; undefined for Node's. */
  private readonly network: Network | undefined;
  private readonly host: RequestRunHost;
  /** True when the node's connections go through the shared `ThreadedNetwork` (`useThreads`). */
  private threads = false;
  /** The `threads` setting the client was made with. */
  private clientThreads = false;
  private client: HTTPClient | null = null;
  private origin: HttpUrl | null = null;
  /** The TLS options the kept connection was opened (and its certificate verified) with. */
  private tls: TLSOptions | null = null;

  /**
   * @param network - How the client resolves and connects; undefined for Node's.
   * @param host - The node.
   */
  constructor(network: Network | undefined, host: RequestRunHost) {
    this.network = network;
    this.host = host;
  }

  /** True when the node's next connections go through the shared `ThreadedNetwork`. */
  usesThreads(): boolean {
    return this.threads;
  }

  /**
   * Chooses the network of the next connection: the shared `ThreadedNetwork`, or the one the node
   * was given. A kept connection of the other kind is not reused; a running request keeps its own.
   *
   * @param threads - True for the threaded network.
   */
  setThreads(threads: boolean): void {
    this.threads = threads;
  }

  /**
   * True when the client's network runs its sockets off this thread (`useThreads`, or a network
   * that can wait for news): its changes are seen by polling, whether or not the activity
   * listener has been called from the event loop.
   */
  isOffThread(): boolean {
    const threads = this.client === null ? this.threads : this.clientThreads;
    return threads || this.network?.waitForActivity !== undefined;
  }

  /** The client, or null before the first connection. */
  getClient(): HTTPClient | null {
    return this.client;
  }

  /** The status of the client, DISCONNECTED without one. */
  getStatus(): Status {
    return this.client?.getStatus() ?? Status.STATUS_DISCONNECTED;
  }

  /** The client's connection, or null. */
  getConnection(): StreamPeer | null {
    return this.client?.getConnection() ?? null;
  }

  /**
   * Whether a hop to `url` may go on the open connection: same origin, opened with the TLS
   * options in force now (for `https`), and idle in CONNECTED.
   *
   * @param url - The hop's URL.
   */
  canReuse(url: HttpUrl): boolean {
    const client = this.client;
    const origin = this.origin;
    // A kept connection is reused only if it was verified with the TLS options in force now.
    const sameTls = url.scheme !== "https" || this.tls === this.host.tlsOptions();
    return client !== null && origin !== null && sameOrigin(origin, url) && sameTls && this.clientThreads === this.threads &&
      client.getStatus() === Status.STATUS_CONNECTED;
  }

  /**
   * Starts a new connection to `url`'s origin (closing what the client had), making the client
   * on first use.
   *
   * @param url - The hop's URL.
   * @returns What the client's `connectToHost` returned.
   */
  open(url: HttpUrl): Err {
    if (this.client !== null && this.clientThreads !== this.threads) {
      this.client.close();
      this.client.setActivityListener(null);
      this.client = null;
    }
    const client = this.client ?? this.createClient();
    const tls = url.scheme === "https" ? this.host.tlsOptions() : null;
    const err = client.connectToHost(url.host, url.port, tls);
    this.origin = url;
    this.tls = tls;
    return err;
  }

  /**
   * True when the whole request is sent and the client only waits for the response head.
   */
  waitsForHeadOnly(): boolean {
    const client = this.client;
    if (client === null || client.getStatus() !== Status.STATUS_REQUESTING) return false;
    const length = client.getRequestBodyLength();
    return length >= 0 && client.getRequestBodyBytesSent() === length;
  }

  /**
   * Passes a proxy change to the client; a kept connection may go the old way, so it is closed
   * unless a request runs on it.
   *
   * @param kind - Which proxy.
   * @param host - The new host.
   * @param port - The new port.
   * @param credentials - Credentials given apart from the host.
   * @param active - True while a request runs.
   */
  onProxyChanged(kind: "http" | "https", host: string, port: number, credentials: ProxyCredentials | undefined, active: boolean): void {
    if (this.client === null) return;
    if (kind === "http") this.client.setHttpProxy(host, port, credentials);
    else this.client.setHttpsProxy(host, port, credentials);
    if (!active) this.close();
  }

  /** Closes the connection; the client is kept for the next one. */
  close(): void {
    this.client?.close();
    this.origin = null;
  }

  private createClient(): HTTPClient {
    const network = this.threads ? sharedThreadedNetwork() : this.network;
    const client = new HTTPClient(network === undefined ? {} : { network });
    this.clientThreads = this.threads;
    this.host.applyProxies(client);
    client.setActivityListener(() => this.host.onActivity());
    this.client = client;
    return client;
  }
}
