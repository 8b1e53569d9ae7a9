/**
 * The body side of an `HTTPRequest` run: taking the final response's body (through a
 * {@link BodyCollector} set up by {@link startBody}, with a complete partial file to commit at its
 * end), counting it for progress, and reading and dropping a redirect's body so its connection can
 * carry the next hop.
 *
 * @module
 */
import type { HTTPClient } from "../client/http-client.ts";
import { Result } from "../status/result.ts";
import { Status } from "../status/status.ts";
import type { BodyCollector, CollectFailure } from "./body-collector.ts";
import { startBody, type BodyStartInput } from "./body-start.ts";
import type { DownloadSink } from "./download-sink.ts";
import type { TickEmissions } from "./tick-emissions.ts";

/** The most bytes of a redirect response's body read (and dropped) to keep its connection for the next hop. */
const REDIRECT_DRAIN_LIMIT = 64 * 1024;

/**
 * The body of the current response of an `HTTPRequest`, and the progress counts the node reports.
 *
 * @internal
 */
export class ResponseBody {
  /** Body bytes received for the current response as sent on the wire (before decoding, after de-chunking). */
  downloaded = 0;
  /** The body length of the current final response on the wire (see `HTTPRequest.getBodySize`). */
  size = -1;
  /** For a resumed download: the bytes of the partial file kept before this response's body; 0 otherwise. */
  resumedFrom = 0;
  private collector: BodyCollector | null = null;
  /** A complete partial file (416 `bytes *\/N`) renamed over the target once the response ends. */
  private pendingCommit: DownloadSink | null = null;
  private drained = 0;
  private lastProgress = -1;
  private lastUpload = 0;

  /** Forgets the last request's counts, as a request starts. */
  restart(): void {
    this.resumedFrom = 0;
    this.lastProgress = -1;
    this.lastUpload = 0;
    this.size = -1;
    this.downloaded = 0;
  }

  /** Forgets the counts of an earlier hop's response, as a response head arrives. */
  newResponse(): void {
    this.downloaded = 0;
    this.size = -1;
  }

  /** True while a body is being taken. */
  isTaking(): boolean {
    return this.collector !== null;
  }

  /** Starts a tick: the body's per-tick decoding budget is full again. */
  startTick(): void {
    this.collector?.startTick();
  }

  /** True when decoded work of the body waits for the next tick (its budget for this one is used up). */
  hasPending(): boolean {
    return this.collector !== null && this.collector.hasPending();
  }

  /**
   * Sets up the taking of a final response's body.
   *
   * @param input - The response and the node's settings.
   * @returns The failure that ends the request at the head, or null.
   */
  begin(input: BodyStartInput): CollectFailure | null {
    this.size = input.length; // the client's rule: 0 without body, the Content-Length, or -1
    const started = startBody(input);
    if (!started.ok) return started;
    this.collector = started.collector;
    this.pendingCommit = started.pendingCommit;
    this.resumedFrom = started.resumedFrom;
    return null;
  }

  /**
   * Takes every body byte that has arrived.
   *
   * @param client - The client.
   * @param chunkSize - The most bytes per read.
   * @returns The failure that ends the request, or null.
   */
  read(client: HTTPClient, chunkSize: number): CollectFailure | null {
    const collector = this.collector;
    if (collector === null) return null;
    const resumed = collector.resume();
    if (resumed !== null) return resumed;
    while (collector.canTakeMore()) {
      const piece = client.readResponseBodyPiece(chunkSize);
      if (piece.length === 0) break;
      this.downloaded += piece.length;
      const failure = collector.push(piece);
      if (failure !== null) return failure;
    }
    return null;
  }

  /**
   * Ends the body once the client has read it all: checks it and commits a pending partial file.
   *
   * @returns The body, or the failure that ends the request.
   */
  finish(): { readonly ok: true; readonly body: Uint8Array } | ({ readonly ok: false } & CollectFailure) {
    const collector = this.collector;
    this.collector = null;
    // The run finishes only a body it is taking: anything else is a bug, reported as one by the node.
    if (collector === null) throw new Error("ResponseBody.finish() called with no body being taken");
    const finished = collector.finish();
    if (!finished.ok) return finished;
    const pending = this.pendingCommit;
    this.pendingCommit = null;
    const committed = pending?.commit();
    if (committed !== undefined && !committed.ok)
      return { ok: false, result: Result.RESULT_DOWNLOAD_FILE_WRITE_ERROR, reason: committed.reason };
    return finished;
  }

  /** Drops the body being taken (its download file is left as it was). */
  abort(): void {
    this.collector?.abort();
    this.collector = null;
    this.pendingCommit?.abort();
    this.pendingCommit = null;
  }

  /** Starts dropping a redirect's body. */
  startDrain(): void {
    this.drained = 0;
  }

  /**
   * Reads and drops what has arrived of a redirect's body.
   *
   * @param client - The client.
   * @param chunkSize - The most bytes per read.
   * @returns true when the next hop may start: the body ended, or more than the drain limit came.
   */
  drain(client: HTTPClient, chunkSize: number): boolean {
    for (;;) {
      const piece = client.readResponseBodyPiece(chunkSize);
      if (piece.length === 0) break;
      this.drained += piece.length;
      if (this.drained > REDIRECT_DRAIN_LIMIT) break;
    }
    return client.getStatus() !== Status.STATUS_BODY || this.drained > REDIRECT_DRAIN_LIMIT;
  }

  /**
   * Notes download and upload progress made in this tick.
   *
   * @param client - The client, or null.
   * @param sending - True once the request was handed to the client.
   * @param inBody - True while the body is being taken.
   * @param emissions - The tick's emissions so far; progress is added to them.
   */
  collectProgress(client: HTTPClient | null, sending: boolean, inBody: boolean, emissions: TickEmissions): void {
    if (client !== null && sending && client.getRequestBodyLength() !== 0) {
      const sent = client.getRequestBodyBytesSent();
      if (sent !== this.lastUpload) {
        this.lastUpload = sent;
        emissions.upload = [sent, client.getRequestBodyLength()];
      }
    }
    const completing = emissions.completion !== null;
    if (inBody || completing) {
      if (this.downloaded !== this.lastProgress && (this.downloaded > 0 || emissions.headers !== null)) {
        this.lastProgress = this.downloaded;
        emissions.download = [this.downloaded, this.size];
      }
    }
  }
}
