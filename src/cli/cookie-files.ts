// `-b` and `-c`: the cookie jar of a run, read from and written to Netscape cookie files as curl does.
import { CookieJar, formatNetscapeCookies, loadCookieFile, saveCookieFile } from "../index.ts";

/** The jar of a run and the `Cookie` header `-b name=value` asks for. */
export interface RunCookies {
  /** The jar, or null when neither `-b` nor `-c` was given (no cookies are kept). */
  readonly jar: CookieJar | null;
  /** `-b` with a `=`: the header line to send; null otherwise. */
  readonly header: string | null;
}

/**
 * Sets up the cookies of a run: `-b` with a `=` is a `Cookie` header; `-b FILE` reads a Netscape
 * cookie file (a file that does not exist is no error, as in curl); `-b` or `-c` turns the jar on.
 *
 * @param cookie - The `-b` argument, or null.
 * @param cookieJar - The `-c` file, or null.
 * @param now - The date now (ms since the epoch).
 * @returns The jar and header, or a one-line error.
 */
export function openCookies(cookie: string | null, cookieJar: string | null, now: number): RunCookies | string {
  if (cookie === null && cookieJar === null) return { jar: null, header: null };
  const jar = new CookieJar();
  if (cookie === null || cookie === "") return { jar, header: null };
  if (cookie.includes("=")) return { jar, header: `Cookie: ${cookie}` };
  try {
    loadCookieFile(jar, cookie, now);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code !== "ENOENT") return `cannot read the cookie file ${cookie}: ${e.message}`;
  }
  return { jar, header: null };
}

/**
 * Writes every unexpired cookie of the jar to the `-c` file (atomically), or to stdout for `-`.
 *
 * @param jar - The jar.
 * @param path - The file, or `-`.
 * @param now - The date now (ms since the epoch).
 * @param stdout - Where `-` writes.
 * @returns null, or why the file could not be written.
 */
export function saveCookies(jar: CookieJar, path: string, now: number, stdout: { write(text: string): unknown }): string | null {
  try {
    if (path === "-") stdout.write(formatNetscapeCookies(jar.getAllCookies().filter((c) => c.expires === null || c.expires > now)));
    else saveCookieFile(jar, path, now);
    return null;
  } catch (error) {
    return `cannot write the cookie file ${path}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
