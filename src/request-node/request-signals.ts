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

  /** Emits what this tick produced, in the fixed order; stops when a listener cancels the request. */
  protected flushEmissions(): void {
    const batch = this.emissions;
    if (batch.isEmpty()) return;
    this.emissions = new TickEmissions();
    const serial = this.serial;
    const live = (): boolean => this.serial === serial; // a listener cancelled or restarted: emit nothing more
    if (batch.headers !== null) this.headersReceived.emit(...batch.headers);
    if (batch.redirect !== null && live()) this.redirectReceived.emit(...batch.redirect);
    if (batch.data.length > 0 && live()) this.bodyData.emit(batch.takeData());
    if (batch.download !== null && live()) this.downloadProgress.emit(...batch.download);
    if (batch.upload !== null && live()) this.uploadProgress.emit(...batch.upload);
    if (batch.completion !== null && live()) this.requestCompleted.emit(...batch.completion);
  }
}
