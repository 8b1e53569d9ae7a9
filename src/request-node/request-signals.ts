import { HTTPRequestSettings } from "./request-settings.ts";
import { Signal } from "./signal.ts";
import { TickEmissions, type RequestCompletedArgs } from "./tick-emissions.ts";

/**
 * The signals of an {@link HTTPRequest}. What a tick produces is collected and emitted at the end
 * of the tick, each signal at most once, in this order: `headersReceived`, `redirectReceived`,
 * `bodyData`, `downloadProgress`, `uploadProgress`, `requestCompleted`. A listener that cancels or restarts the
 * request stops the rest of that tick's emissions.
 */
export abstract class HTTPRequestSignals extends HTTPRequestSettings {
  /** Emitted once per started request, at the end of the tick that finished it. */
  readonly requestCompleted: Signal<RequestCompletedArgs> = new Signal<RequestCompletedArgs>();
  /** Emitted when the head of the final response arrives, before any body byte: code and headers. */
  readonly headersReceived: Signal<[responseCode: number, headers: string[]]> = new Signal();
  /**
   * Emitted once per tick with the body bytes decoded in that tick. When it has listeners as the
   * body starts, the body is handed out only this way: it is not kept for `requestCompleted`
   * (whose body is then empty). Not emitted for a body written to `downloadFile`. The chunk is a
   * new array each time: listeners may keep it (it never points into reused receive memory).
   */
  readonly bodyData: Signal<[chunk: Uint8Array]> = new Signal();
  /** Emitted at the end of a tick in which request body bytes went out: bytes sent so far and the total (-1 when streamed without a length). */
  readonly uploadProgress: Signal<[sent: number, total: number]> = new Signal();
  /** Emitted at the end of a tick in which body bytes arrived: bytes received so far (as on the wire) and the total (Content-Length, or -1). */
  readonly downloadProgress: Signal<[received: number, total: number]> = new Signal();
  /**
   * Emitted in `redirectMode` `"manual"` when a redirect arrives: status code, the method and URL
   * the next hop would use, and the response headers. The request waits until
   * {@link HTTPRequest.followRedirect} or {@link HTTPRequest.cancelRequest}.
   */
  readonly redirectReceived: Signal<[responseCode: number, method: string, url: string, headers: string[]]> = new Signal();
  /**
   * What the current tick will emit.
   *
   * @internal
   */
  protected emissions: TickEmissions = new TickEmissions();
  /** Changes whenever a request starts or is cancelled, so a tick's emissions stop at a cancel. */
  protected serial = 0;
  /** An emptied {@link TickEmissions} kept for the next tick, so a tick that emits allocates none. */
  #spare: TickEmissions | null = null;

  /** Emits what this tick produced, in the fixed order; stops when a listener cancels the request. */
  protected flushEmissions(): void {
    const batch = this.emissions;
    if (batch.isEmpty()) return;
    this.emissions = this.#spare ?? new TickEmissions();
    this.#spare = null;
    const serial = this.serial; // a listener that cancels or restarts the request changes it: emit nothing more
    // A signal without listeners is skipped: emitting it would call nobody.
    const { headers, redirect, download, upload, completion } = batch;
    if (headers !== null && this.headersReceived.getConnectionCount() > 0) this.headersReceived.emit(headers[0], headers[1]);
    if (redirect !== null && this.serial === serial) this.redirectReceived.emit(...redirect);
    if (batch.data.length > 0 && this.serial === serial && this.bodyData.getConnectionCount() > 0) {
      // The join is bounded (a tick decodes a bounded amount), but nothing here may keep requestCompleted from being emitted.
      let chunk: Uint8Array | null = null;
      try {
        chunk = batch.takeData();
      } catch (error) {
        Signal.onListenerError(error, "body_data");
      }
      if (chunk !== null) this.bodyData.emit(chunk);
    }
    if (download !== null && this.serial === serial && this.downloadProgress.getConnectionCount() > 0) this.downloadProgress.emit(download[0], download[1]);
    if (upload !== null && this.serial === serial && this.uploadProgress.getConnectionCount() > 0) this.uploadProgress.emit(upload[0], upload[1]);
    if (completion !== null && this.serial === serial) this.requestCompleted.emit(completion[0], completion[1], completion[2], completion[3]);
    batch.clear();
    this.#spare = batch;
  }
}
