/**
 * The connection state machine of an `HTTPClient`: its status, the connection (opened by the
 * {@link ClientRoute} or given to `setConnection`), and the request and response on it. The public
 * class keeps the API and its documentation; the work happens here.
 *
 * @module
 */
import { Err } from "../status/err.ts";
import { type Method, verbOf } from "../status/method.ts";
import { Status, statusName } from "../status/status.ts";
import type { BodySource } from "./body-source.ts";
import { ClientRoute } from "./client-route.ts";
import { Exchange, type ExchangeOutcome } from "./exchange.ts";
import type { Network } from "./network.ts";
import { PeerState, type StreamPeer } from "./peer/stream-peer.ts";
import { planRequestBody } from "./request-body.ts";
import type { TLSOptions } from "./tls-options.ts";
import { hasHeader } from "./wire/headers.ts";
import { validateRequestTarget } from "./wire/request-writer.ts";
import { ResponseParser } from "./wire/response-parser.ts";

const EMPTY = new Uint8Array(0);

/**
 * Status, connection and exchange of an `HTTPClient`, advanced by {@link ClientConnection.poll}
 * and the body reads. No method throws.
 *
 * @internal
 */
export class ClientConnection {
  /** The client's status. */
  status: Status = Status.STATUS_DISCONNECTED;
  /** Why the last failure or refused call happened, or `""`. */
  reason = "";
  /** The request and response in progress or last finished. */
  exchange: Exchange | null = null;
  /** Where the client connects and how. */
  readonly route: ClientRoute;
  private readonly maxHeadBytes: number;
  private readonly maxHeaderCount: number;
  private peer: StreamPeer | null = null;
  private parser: ResponseParser;
  private activity: (() => void) | null = null;
  /** True while the open connection has carried no request yet: a close or reset on it is a connection error. */
  private fresh = false;
  private readonly onOutcome = (outcome: ExchangeOutcome): void => this.applyOutcome(outcome);

  /**
   * @param network - How host names are resolved and connections opened.
   * @param maxHeadBytes - Largest accepted response head.
   * @param maxHeaderCount - Most header fields in a response head.
   */
  constructor(network: Network, maxHeadBytes: number, maxHeaderCount: number) {
    this.route = new ClientRoute(network);
    this.maxHeadBytes = maxHeadBytes;
    this.maxHeaderCount = maxHeaderCount;
    this.parser = this.newParser();
  }

  /**
   * `HTTPClient.connectToHost`.
   *
   * @param host - Host name or IP literal, optionally prefixed with `http://` or `https://`.
   * @param port - 1–65535, or -1 for the scheme's default.
   * @param tlsOptions - TLS settings, or null.
   * @returns `OK`, or `ERR_INVALID_PARAMETER`.
   */
  connectToHost(host: string, port: number, tlsOptions: TLSOptions | null): Err {
    this.close();
    const invalid = this.route.connect(host, port, tlsOptions, this.activity);
    if (invalid !== null) {
      this.reason = invalid;
      return Err.ERR_INVALID_PARAMETER;
    }
    this.status = this.route.isResolving() ? Status.STATUS_RESOLVING : Status.STATUS_CONNECTING;
    this.stepConnector();
    return Err.OK;
  }

  /**
   * `HTTPClient.setConnection`.
   *
   * @param peer - The connection.
   * @param host - The host name for the `Host` header.
   * @param port - The port for the `Host` header.
   * @param tls - Whether the peer is a TLS connection.
   * @returns `OK`, or `ERR_INVALID_PARAMETER` when the peer is closed or failed.
   */
  setConnection(peer: StreamPeer, host: string, port: number, tls: boolean): Err {
    const state = peer.getState();
    if (state !== PeerState.OPEN && state !== PeerState.CONNECTING) {
      this.reason = "setConnection: the peer is closed or failed";
      return Err.ERR_INVALID_PARAMETER;
    }
    this.close();
    this.route.adopt(host, port, tls);
    this.attachPeer(peer);
    this.status = state === PeerState.OPEN ? Status.STATUS_CONNECTED : Status.STATUS_CONNECTING;
    this.fresh = true;
    peer.setIdle?.(state === PeerState.OPEN);
    return Err.OK;
  }

  /** The current connection (also while it is being opened), or null. */
  getConnection(): StreamPeer | null {
    return this.peer ?? this.route.getPeer();
  }

  /** True when received bytes wait to be read: in the parser or in the connection. */
  hasBufferedBytes(): boolean {
    return this.parser.getBufferedBytes() > 0 || (this.peer?.getAvailableBytes() ?? 0) > 0;
  }

  /**
   * `HTTPClient.setActivityListener`.
   *
   * @param listener - The function, or null.
   */
  setActivityListener(listener: (() => void) | null): void {
    this.activity = listener;
    this.exchange?.upload?.setActivityListener(listener);
    this.route.setActivityListener(listener);
    this.peer?.setActivityListener(listener);
  }

  /** `HTTPClient.poll`. */
  poll(): Err {
    try {
      // Body pieces handed out since the last poll() are no longer in use: the peer may reuse their
      // memory, except under the bytes the parser still holds.
      this.peer?.releaseReads?.(this.parser.getBufferedBytes());
      switch (this.status) {
        case Status.STATUS_DISCONNECTED:
          if (this.reason === "") this.reason = "poll(): the client is not connected (STATUS_DISCONNECTED); call connectToHost() first";
          return Err.ERR_UNCONFIGURED;
        case Status.STATUS_CANT_RESOLVE:
          return Err.ERR_CANT_RESOLVE;
        case Status.STATUS_CANT_CONNECT:
          return Err.ERR_CANT_CONNECT;
        case Status.STATUS_CONNECTION_ERROR:
        case Status.STATUS_TLS_HANDSHAKE_ERROR:
          return Err.ERR_CONNECTION_ERROR;
        case Status.STATUS_RESOLVING:
        case Status.STATUS_CONNECTING:
          return this.stepConnector();
        case Status.STATUS_CONNECTED:
          return this.checkIdle();
        case Status.STATUS_REQUESTING:
          return this.stepRequesting();
        case Status.STATUS_BODY:
          return this.checkBody();
      }
    } catch (error) {
      return this.failConnection(`internal error: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * `HTTPClient.request`.
   *
   * @param method - The method.
   * @param url - The request target.
   * @param headers - Header lines.
   * @param body - The body.
   * @returns As `HTTPClient.request`.
   */
  request(method: Method | string, url: string, headers: readonly string[], body: string | Uint8Array | BodySource): Err {
    const verb = verbOf(method);
    if (verb === undefined) {
      this.reason = `invalid method ${String(method)}`;
      return Err.ERR_INVALID_PARAMETER;
    }
    // A fragment is never part of a request target (RFC 9110 §7.1): it stays on this side.
    const hash = url.indexOf("#");
    const target = hash === -1 ? url : url.slice(0, hash);
    const targetProblem = validateRequestTarget(verb, target);
    if (targetProblem !== null) {
      this.reason = targetProblem.reason;
      return Err.ERR_INVALID_PARAMETER;
    }
    // Bytes or a close that arrived since the last poll() make an idle connection unusable: a
    // stray byte must never be read as the answer to this request. The arguments were fine: the
    // connection failed (a fresh one: STATUS_CONNECTION_ERROR) or was closed (a kept one).
    if (this.status === Status.STATUS_CONNECTED && this.peer !== null) {
      this.checkIdle();
      if (this.status !== Status.STATUS_CONNECTED) return Err.ERR_CONNECTION_ERROR;
    }
    if (this.status !== Status.STATUS_CONNECTED) {
      this.reason = `request() needs STATUS_CONNECTED, the client is in ${statusName(this.status)}`;
      return Err.ERR_INVALID_PARAMETER;
    }
    if (this.peer === null) {
      this.reason = "request(): no connection";
      return Err.ERR_INVALID_DATA;
    }
    const plan = planRequestBody(headers, body);
    if (!plan.ok) {
      this.reason = plan.reason;
      return Err.ERR_INVALID_PARAMETER;
    }
    const written = this.route.writeHead(verb, target, headers, plan.headLength, plan.chunked);
    if (!written.ok) {
      this.reason = written.reason;
      return Err.ERR_INVALID_PARAMETER;
    }
    this.fresh = false;
    this.exchange = new Exchange(this.parser, [written.bytes], {
      headRequest: verb === "HEAD", upgradeRequested: hasHeader(headers, "upgrade"),
    }, plan.start?.() ?? null);
    this.exchange.upload?.setActivityListener(this.activity);
    this.status = Status.STATUS_REQUESTING;
    this.peer.setIdle?.(false); // a request in flight keeps the process alive until its response is in
    return Err.OK;
  }

  /**
   * `HTTPClient.readResponseBodyPiece`.
   *
   * @param maxBytes - The most bytes to return.
   * @returns A view of body bytes, or an empty array when none is waiting.
   */
  readResponseBodyPiece(maxBytes: number): Uint8Array {
    const exchange = this.exchange;
    const peer = this.peer;
    if (this.status !== Status.STATUS_BODY || exchange === null || peer === null) return EMPTY;
    try {
      return exchange.nextBodyPiece(peer, Math.max(1, Math.floor(maxBytes)), this.onOutcome);
    } catch (error) {
      this.failConnection(`internal error: ${error instanceof Error ? error.message : String(error)}`);
      return EMPTY;
    }
  }

  /** `HTTPClient.close`. */
  close(): void {
    this.route.cancel();
    this.releasePeer();
    this.exchange?.closeUpload();
    this.exchange = null;
    this.parser = this.newParser();
    this.status = Status.STATUS_DISCONNECTED;
  }

  private stepConnector(): Err {
    const route = this.route;
    if (!route.isConnecting()) {
      // A peer given to setConnection() while it was still connecting.
      const peer = this.peer;
      if (peer === null) return this.failConnection("no connection");
      const state = peer.getState();
      if (state === PeerState.CONNECTING) return Err.OK;
      if (state !== PeerState.OPEN) return this.failConnection(peer.getError()?.message ?? "connection closed");
      this.markConnected(peer, true);
      return this.checkIdle();
    }
    switch (route.step(this.activity)) {
      case "resolving":
        return Err.OK;
      case "connecting":
        this.status = Status.STATUS_CONNECTING;
        return Err.OK;
      case "open": {
        const peer = route.takePeer();
        if (peer === null) return this.failConnection("connection lost");
        this.attachPeer(peer);
        this.markConnected(peer, true);
        return Err.OK;
      }
      case "cant-resolve":
        return this.failWith(Status.STATUS_CANT_RESOLVE, route.getReason(), Err.ERR_CANT_RESOLVE);
      case "cant-connect":
        return this.failWith(Status.STATUS_CANT_CONNECT, route.getReason(), Err.ERR_CANT_CONNECT);
      case "tls-failed":
        return this.failWith(Status.STATUS_TLS_HANDSHAKE_ERROR, route.getReason(), Err.ERR_CANT_CONNECT);
    }
  }

  /** Open with no request in flight: CONNECTED, and the peer idle, so it does not keep the process alive. */
  private markConnected(peer: StreamPeer | null, fresh = false): void {
    if (fresh) this.fresh = true;
    this.status = Status.STATUS_CONNECTED;
    peer?.setIdle?.(true);
  }

  /** An idle keep-alive connection: notice a close, a failure, or bytes nobody asked for. */
  private checkIdle(): Err {
    const peer = this.peer;
    if (peer === null) return this.failConnection("no connection");
    if (peer.getState() === PeerState.ERROR) return this.failConnection(peer.getError()?.message ?? "connection failed");
    if (this.parser.getBufferedBytes() > 0 || peer.getAvailableBytes() > 0) {
      this.dropConnection("the server sent bytes that belong to no request; connection closed");
    } else if (peer.isEnded() || peer.getState() !== PeerState.OPEN) {
      // A kept connection the server closed while idle is an ordinary end; a new one closed before
      // it carried any request is a connection error (as a reset is).
      if (this.fresh) return this.failConnection("the server closed the connection before any request was sent on it");
      this.dropConnection("the server closed the idle connection");
    }
    return Err.OK;
  }

  private stepRequesting(): Err {
    const exchange = this.exchange;
    const peer = this.peer;
    if (exchange === null || peer === null) return this.failConnection("no connection");
    const outcome = exchange.stepHead(peer);
    if (outcome.kind === "wait") return Err.OK;
    if (outcome.kind === "failed") return this.failConnection(outcome.reason);
    this.status = Status.STATUS_BODY;
    return this.checkBody();
  }

  /** In BODY: completes a message without body at once, and notices a dead connection. */
  private checkBody(): Err {
    const exchange = this.exchange;
    const peer = this.peer;
    if (exchange === null || peer === null) return this.failConnection("no connection");
    if (exchange.head?.framing === "none" || exchange.isPeerDead(peer)) {
      // No body byte is left to hand out: the message completes (a body already read in full
      // before the connection failed is still a success), or fails as cut short.
      exchange.nextBodyPiece(peer, 1, this.onOutcome);
    }
    return this.status === Status.STATUS_CONNECTION_ERROR ? Err.ERR_CONNECTION_ERROR : Err.OK;
  }

  private applyOutcome(outcome: ExchangeOutcome): void {
    if (outcome.kind === "failed") {
      this.failConnection(outcome.reason);
    } else if (outcome.kind === "done") {
      if (outcome.reusable) {
        this.markConnected(this.peer);
      } else {
        this.dropConnection(outcome.reason);
      }
    }
  }

  private attachPeer(peer: StreamPeer): void {
    this.peer = peer;
    peer.setActivityListener(this.activity);
  }

  private releasePeer(): void {
    if (this.peer !== null) {
      this.peer.setActivityListener(null);
      this.peer.close();
      this.peer = null;
    }
  }

  /** Closes the connection without an error: the response (if any) stays readable. */
  private dropConnection(reason: string): void {
    if (reason !== "") this.reason = reason;
    this.exchange?.closeUpload();
    this.releasePeer();
    this.parser = this.newParser();
    this.status = Status.STATUS_DISCONNECTED;
  }

  private failConnection(reason: string): Err {
    return this.failWith(Status.STATUS_CONNECTION_ERROR, reason, Err.ERR_CONNECTION_ERROR);
  }

  private failWith(status: Status, reason: string, err: Err): Err {
    this.route.cancel();
    this.releasePeer();
    this.exchange?.closeUpload();
    this.reason = reason;
    this.status = status;
    return err;
  }

  private newParser(): ResponseParser {
    return new ResponseParser({ maxHeadBytes: this.maxHeadBytes, maxHeaderCount: this.maxHeaderCount });
  }
}
