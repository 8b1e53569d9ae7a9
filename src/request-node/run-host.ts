/**
 * What the machinery of an `HTTPRequest` run (`RequestRun` and its `KeptConnection`) reads from
 * and tells its node.
 *
 * @module
 */
import type { HTTPClient } from "../client/http-client.ts";
import type { TLSOptions } from "../client/tls-options.ts";
import type { RedirectMode } from "./request-settings.ts";
import type { TickEmissions } from "./tick-emissions.ts";

/**
 * What a run needs of its `HTTPRequest`: the node's settings as they are at the moment of the
 * call, the tick's emissions, and what the run tells the node. The node makes it once, when it is
 * constructed.
 *
 * @internal
 */
export interface RequestRunHost {
  /** `downloadChunkSize`. */
  chunkSize(): number;
  /** `acceptGzip`. */
  acceptGzip(): boolean;
  /** `bodySizeLimit`. */
  limit(): number;
  /** `downloadFile`. */
  file(): string;
  /** `maxRedirects`. */
  maxRedirects(): number;
  /** `redirectMode`. */
  redirectMode(): RedirectMode;
  /** The TLS options for `https://` URLs now. */
  tlsOptions(): TLSOptions;
  /** True when `proxyLoginHandler` is set. */
  hasProxyLoginHandler(): boolean;
  /** What the current tick will emit (another object after each flush: never kept). */
  emissions(): TickEmissions;
  /** The node's request serial: changes whenever a request starts or is cancelled. */
  serial(): number;
  /** True when `bodyData` has listeners. */
  streamsBody(): boolean;
  /** True while the node holds the body back (`setBodyPaused(true)`): nothing is read from the connection. */
  bodyPaused(): boolean;
  /** Records why the request failed. */
  setReason(reason: string): void;
  /** Sets the node's proxy settings on a new client. */
  applyProxies(client: HTTPClient): void;
  /** Asks `proxyLoginHandler` after a 407 (see `HTTPRequestSettings.loginToProxy`). */
  loginToProxy(kind: "http" | "https", headers: readonly string[]): { readonly retry: true } | { readonly retry: false; readonly note: string };
  /** Counts an activity notice of the client (bytes, close, drain, connect, body source) and wakes the tree the node is in now. */
  onActivity(): void;
  /** Called as the request ends (success or failure, not a cancel): the node notes it and lets go of its AbortSignal. */
  ended(): void;
}
