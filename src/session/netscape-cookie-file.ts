/**
 * The Netscape cookie-file format that curl reads (`-b FILE`) and writes (`-c FILE`): one cookie a
 * line, seven tab-separated fields (domain, include-subdomains, path, secure, expiry in seconds,
 * name, value), `#HttpOnly_` before the domain of an HttpOnly cookie, `#` lines as comments. An
 * expiry of 0 is a session cookie.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import type { CookieJar, StoredCookie } from "./cookie-jar.ts";

const HTTP_ONLY_PREFIX = "#HttpOnly_";
const HEADER = "# Netscape HTTP Cookie File\n# This file can be read by curl (-b) and poll-http.\n\n";

/**
 * Writes cookies in the Netscape cookie-file format.
 *
 * @param cookies - The cookies (expired ones should be purged first).
 * @returns The file's text.
 */
export function formatNetscapeCookies(cookies: readonly StoredCookie[]): string {
  const lines = cookies.map((c) => {
    const domain = c.hostOnly ? c.domain : `.${c.domain}`;
    const expires = c.expires === null ? 0 : Math.max(1, Math.floor(c.expires / 1000));
    const fields = [
      `${c.httpOnly ? HTTP_ONLY_PREFIX : ""}${domain}`,
      c.hostOnly ? "FALSE" : "TRUE",
      c.path,
      c.secure ? "TRUE" : "FALSE",
      String(expires),
      c.name,
      c.value,
    ];
    return fields.join("\t");
  });
  return HEADER + lines.map((l) => `${l}\n`).join("");
}

/**
 * Reads cookies from the Netscape cookie-file format. Malformed lines are skipped.
 *
 * @param text - The file's text.
 * @param now - The current time (ms since the epoch): the creation and last-access time given to each cookie.
 * @returns The cookies, in file order.
 */
export function parseNetscapeCookies(text: string, now: number): StoredCookie[] {
  const out: StoredCookie[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw;
    let httpOnly = false;
    if (line.startsWith(HTTP_ONLY_PREFIX)) {
      httpOnly = true;
      line = line.slice(HTTP_ONLY_PREFIX.length);
    } else if (line.startsWith("#") || line.trim() === "") continue;
    const f = line.split("\t");
    if (f.length < 6 || f.length > 7) continue;
    const [rawDomain, tailMatch, path, secure, expiry, name] = f as [string, string, string, string, string, string];
    const value = f[6] ?? "";
    const seconds = Number(expiry);
    if (rawDomain === "" || !path.startsWith("/") || !Number.isFinite(seconds)) continue;
    const hostOnly = tailMatch.toUpperCase() !== "TRUE";
    const domain = rawDomain.replace(/^\./, "").toLowerCase();
    out.push({
      name,
      value,
      domain,
      path,
      expires: seconds === 0 ? null : seconds * 1000,
      hostOnly,
      secure: secure.toUpperCase() === "TRUE",
      httpOnly,
      sameSite: "default",
      creationTime: now,
      lastAccessTime: now,
    });
  }
  return out;
}

/**
 * Saves a jar's unexpired cookies to a file, atomically: written beside it under a temporary name,
 * then renamed over it, so a reader never sees half a file.
 *
 * @param jar - The jar.
 * @param path - The file to write.
 * @param now - The current time (ms since the epoch); expired cookies are left out.
 */
export function saveCookieFile(jar: CookieJar, path: string, now: number): void {
  const cookies = jar.getAllCookies().filter((c) => c.expires === null || c.expires > now);
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    writeFileSync(temp, formatNetscapeCookies(cookies), { encoding: "latin1", mode: 0o600 });
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Loads the cookies of a Netscape cookie file into a jar (expired ones are skipped).
 *
 * @param jar - The jar.
 * @param path - The file to read.
 * @param now - The current time (ms since the epoch).
 * @returns How many cookies were added.
 */
export function loadCookieFile(jar: CookieJar, path: string, now: number): number {
  let added = 0;
  for (const cookie of parseNetscapeCookies(readFileSync(path, "latin1"), now)) {
    if (cookie.expires !== null && cookie.expires <= now) continue;
    jar.addStoredCookie(cookie);
    added++;
  }
  return added;
}
