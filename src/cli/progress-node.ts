// A node ticked after the request in every frame: it redraws the progress bar from the request's signals.
import { Node, Status, type HTTPRequest } from "../index.ts";
import type { ProgressBar } from "./progress-bar.ts";
import { renderProgress, renderWaiting } from "./progress-format.ts";
import { RateMeter } from "./rate-meter.ts";

type Phase = "waiting" | "upload" | "download";

/** Seconds of waiting (for the connection or the response head) before the wait is shown. */
const WAIT_NOTICE_SECONDS = 0.5;

/** What a request waits for, by its client's status. */
function waitingFor(status: Status): string {
  switch (status) {
    case Status.STATUS_RESOLVING:
      return "resolving the host name";
    case Status.STATUS_CONNECTING:
      return "connecting";
    default:
      return "waiting for the response";
  }
}

/**
 * Shows an {@link HTTPRequest}'s progress on a {@link ProgressBar}, once per frame: the request
 * body going out (`upload`), then the response body coming in. While nothing moves for more than
 * half a second before the response head (resolving, connecting, a slow server, an uploaded body
 * waiting for its answer), it says what it waits for and for how long. Time is the sum of the
 * frames' deltas. Add it to the tree after the request so it draws what that frame received.
 */
export class ProgressNode extends Node {
  private readonly bar: ProgressBar;
  private readonly columns: () => number;
  private phase: Phase = "waiting";
  private finished = false;
  private done = 0;
  private total = -1;
  private elapsed = 0;
  private phaseStart = 0;
  private meter = new RateMeter();
  /** When the request body was all sent (frame time), or -1. */
  private uploadedAt = -1;
  private readonly request: HTTPRequest;

  /**
   * @param request - The request to follow (its signals are connected here).
   * @param bar - Where to draw.
   * @param columns - The terminal's current width.
   */
  constructor(request: HTTPRequest, bar: ProgressBar, columns: () => number) {
    super("ProgressNode");
    this.request = request;
    this.bar = bar;
    this.columns = columns;
    request.uploadProgress.connect((sent, total) => {
      if (this.phase === "waiting") this.enter("upload");
      if (this.phase !== "upload") return;
      [this.done, this.total] = [sent, total];
      if (total >= 0 && sent >= total && this.uploadedAt < 0) this.uploadedAt = this.elapsed;
    });
    request.headersReceived.connect(() => this.enter("download"));
    request.downloadProgress.connect((received, total) => {
      if (this.phase !== "download") this.enter("download");
      [this.done, this.total] = [received, total];
    });
  }

  /** @param delta - Seconds since the last frame. */
  override _process(delta: number): void {
    this.elapsed += Number.isFinite(delta) && delta > 0 ? delta : 0;
    if (this.finished) return;
    const since = this.elapsed - this.phaseStart;
    if (this.phase === "waiting") {
      if (since >= WAIT_NOTICE_SECONDS) this.bar.draw(renderWaiting(waitingFor(this.request.getHttpClientStatus()), since, this.columns()));
      return;
    }
    const sentFor = this.phase === "upload" && this.uploadedAt >= 0 ? this.elapsed - this.uploadedAt : -1;
    if (sentFor >= WAIT_NOTICE_SECONDS) {
      this.bar.draw(renderWaiting("sent, waiting for the response", sentFor, this.columns()));
      return;
    }
    this.meter.add(since, this.done);
    this.bar.draw(
      renderProgress({
        label: this.phase === "upload" ? "upload" : "",
        done: this.done,
        total: this.total,
        rate: this.meter.rate(),
        elapsed: since,
        columns: this.columns(),
        finished: false,
      }),
    );
  }

  /** Erases the line so an ordinary line can be printed; the next frame draws it again. */
  clearLine(): void {
    this.bar.clear();
  }

  /**
   * Ends the bar: when the body was received and written, the final line (size, time taken,
   * average rate) stays on the screen; otherwise (a failure, or a body that was not written) the
   * line is erased so the error or the note can take its place.
   *
   * @param success - Whether the request completed and its body went where it was asked to.
   */
  finish(success: boolean): void {
    if (this.finished) return;
    this.finished = true;
    if (!success || this.phase !== "download") {
      this.bar.clear();
      return;
    }
    this.bar.end(
      renderProgress({
        label: "",
        done: this.done,
        total: this.total,
        rate: 0,
        elapsed: this.elapsed - this.phaseStart,
        columns: this.columns(),
        finished: true,
      }),
    );
  }

  private enter(phase: Phase): void {
    this.phase = phase;
    this.phaseStart = this.elapsed;
    this.done = 0;
    this.total = -1;
    this.meter = new RateMeter();
    this.uploadedAt = -1;
  }
}
