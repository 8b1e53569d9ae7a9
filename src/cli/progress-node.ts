// A node ticked after the request in every frame: it redraws the progress bar from the request's signals.
import { Node, type HTTPRequest } from "../index.ts";
import type { ProgressBar } from "./progress-bar.ts";
import { renderProgress } from "./progress-format.ts";
import { RateMeter } from "./rate-meter.ts";

type Phase = "waiting" | "upload" | "download";

/**
 * Shows an {@link HTTPRequest}'s progress on a {@link ProgressBar}, once per frame: the request
 * body going out (`upload`), then the response body coming in. Time is the sum of the frames'
 * deltas. Add it to the tree after the request so it draws what that frame received.
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

  /**
   * @param request - The request to follow (its signals are connected here).
   * @param bar - Where to draw.
   * @param columns - The terminal's current width.
   */
  constructor(request: HTTPRequest, bar: ProgressBar, columns: () => number) {
    super("ProgressNode");
    this.bar = bar;
    this.columns = columns;
    request.uploadProgress.connect((sent, total) => {
      if (this.phase === "waiting") this.enter("upload");
      if (this.phase === "upload") [this.done, this.total] = [sent, total];
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
    if (this.phase === "waiting" || this.finished) return;
    const since = this.elapsed - this.phaseStart;
    this.meter.add(since, this.done);
    this.bar.draw(renderProgress({
      label: this.phase === "upload" ? "upload" : "", done: this.done, total: this.total, rate: this.meter.rate(),
      elapsed: since, columns: this.columns(), finished: false,
    }));
  }

  /**
   * Ends the bar: on success the final line (size, time taken, average rate) stays on the screen;
   * otherwise the line is erased so the error can take its place.
   *
   * @param success - Whether the request completed.
   */
  finish(success: boolean): void {
    if (this.finished) return;
    this.finished = true;
    if (!success || this.phase !== "download") {
      this.bar.clear();
      return;
    }
    this.bar.end(renderProgress({
      label: "", done: this.done, total: this.total, rate: 0, elapsed: this.elapsed - this.phaseStart, columns: this.columns(), finished: true,
    }));
  }

  private enter(phase: Phase): void {
    this.phase = phase;
    this.phaseStart = this.elapsed;
    this.done = 0;
    this.total = -1;
    this.meter = new RateMeter();
  }
}
