/**
 * Text for the terminal: what the command line client prints on stderr may hold text a server
 * chose (a reason phrase, a `Location`, a header value inside an error), so every control
 * character is shown escaped instead of being sent to the terminal, where C0 and C1 controls
 * (e.g. `\x1b`, or `\x9b`, the one-byte CSI) could move the cursor, rewrite the screen or set the
 * window title.
 *
 * @module
 */

/** C0 controls, DEL and C1 controls. */
const CONTROLS = /[\x00-\x1f\x7f-\x9f]/g;

/**
 * `text` with every C0 control (U+0000–U+001F), DEL and C1 control (U+0080–U+009F) written as
 * `\xNN`, and nothing else changed.
 *
 * @param text - Text that may come from the network.
 * @returns Text safe to print on a terminal.
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
