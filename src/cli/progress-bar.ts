// Draws the progress line on a terminal: redraws in place with "\r" and erase-to-end-of-line.

/** The part of a stream the bar writes to (`process.stderr`, or a test's collector). */
export interface TerminalStream {
  /** Writes text. */
  write(text: string): unknown;
}

/**
 * One line of a terminal redrawn in place. It writes only when the text changes, so a frame that
 * changes nothing costs no write. Whether a bar is wanted at all is decided by the caller
 * (see `wantsProgress`).
 */
export class ProgressBar {
  private readonly out: TerminalStream;
  private shown = "";

  /** @param out - Where to draw (a terminal). */
  constructor(out: TerminalStream) {
    this.out = out;
  }

  /**
   * Replaces the line with `text`.
   *
   * @param text - The new line, without a line break.
   */
  draw(text: string): void {
    if (text === this.shown) return;
    this.out.write(`\r${text}\x1b[K`);
    this.shown = text;
  }

  /** Erases the line, so an ordinary line (an error) can be printed there. */
  clear(): void {
    if (this.shown === "") return;
    this.out.write("\r\x1b[K");
    this.shown = "";
  }

  /**
   * Draws `text` a last time and moves to the next line, leaving it on the screen.
   *
   * @param text - The final line.
   */
  end(text: string): void {
    this.draw(text);
    this.out.write("\n");
    this.shown = "";
  }
}
