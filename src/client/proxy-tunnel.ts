import { PeerState, type StreamPeer } from "./peer/stream-peer.ts";
import { headerFieldsToLines } from "./wire/headers.ts";
import { ResponseParser } from "./wire/response-parser.ts";

/** Where a {@link ProxyTunnel} is. */
export type TunnelState = "pending" | "open" | "failed";

const latin1 = new TextEncoder();

/**
 * Opens an HTTP `CONNECT` tunnel through a proxy over an open peer: writes
 * `CONNECT host:port HTTP/1.1` with a matching `Host` header (and `Proxy-Authorization` when
 * credentials are given), then waits for the proxy's answer. Any 2xx opens the tunnel (headers and
 * even `Content-Length: 0` are fine); anything else fails with the proxy's status in the reason.
 *
 * @internal
 */
export class ProxyTunnel {
  private readonly parser = new ResponseParser();
  private pending: Uint8Array | null;
  private state: TunnelState = "pending";
  private reason = "";
  private statusCode = 0;
  private headerLines: string[] = [];

  /**
   * @param authority - `host:port` of the origin (IPv6 in brackets).
   * @param proxyAuthorization - The value of a `Proxy-Authorization` header, or `""` for none.
   */
  constructor(authority: string, proxyAuthorization = "") {
    const auth = proxyAuthorization === "" ? "" : `Proxy-Authorization: ${proxyAuthorization}\r\n`;
    this.pending = latin1.encode(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
    this.parser.beginResponse({ headRequest: false, connectRequest: true });
  }

  /** The current state. */
  getState(): TunnelState {
    return this.state;
  }

  /** Why the tunnel failed, or `""`. */
  getReason(): string {
    return this.reason;
  }

  /** The proxy's status code, once answered (0 before). */
  getStatusCode(): number {
    return this.statusCode;
  }

  /** The header fields of the proxy's answer as `"Name: value"` lines (empty before). */
  getHeaders(): string[] {
    return this.headerLines.slice();
  }

  /**
   * Writes the request and reads the answer as far as possible.
   *
   * @param peer - The open connection to the proxy.
   * @returns The state after this step.
   */
  step(peer: StreamPeer): TunnelState {
    if (this.state !== "pending") return this.state;
    if (this.pending !== null) {
      const accepted = peer.write(this.pending);
      this.pending = accepted >= this.pending.length ? null : this.pending.subarray(accepted);
    }
    for (;;) {
      const event = this.parser.next();
      if (event === null) {
        const chunk = peer.read(4096);
        if (chunk.length > 0) {
          this.parser.push(chunk);
          continue;
        }
        if (peer.getState() === PeerState.ERROR) return this.failTunnel(`proxy connection failed: ${peer.getError()?.message ?? "error"}`);
        if (peer.isEnded() || peer.getState() === PeerState.CLOSED)
          return this.failTunnel("the proxy closed the connection before answering CONNECT");
        return this.state;
      }
      if (event.type === "informational") continue;
      if (event.type === "error") return this.failTunnel(`invalid answer from the proxy: ${event.reason}`);
      if (event.type !== "head") return this.failTunnel("invalid answer from the proxy");
      this.statusCode = event.head.statusCode;
      this.headerLines = headerFieldsToLines(event.head.headers);
      if (event.head.statusCode < 200 || event.head.statusCode > 299) {
        const reason = event.head.reason === "" ? "" : ` ${event.head.reason}`;
        return this.failTunnel(`the proxy refused the tunnel: ${event.head.statusCode}${reason}`);
      }
      if (this.parser.getBufferedBytes() > 0 || peer.getAvailableBytes() > 0) {
        return this.failTunnel("the proxy sent bytes after its CONNECT answer");
      }
      this.state = "open";
      return this.state;
    }
  }

  private failTunnel(reason: string): TunnelState {
    this.state = "failed";
    this.reason = reason;
    return this.state;
  }
}
