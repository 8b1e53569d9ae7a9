/**
 * The Netscape cookie file: format and parse, atomic save, and a round trip with curl itself
 * against the same loopback server (curl writes, the jar reads; the jar writes, curl reads).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CookieJar } from "../../src/session/cookie-jar.ts";
import { formatNetscapeCookies, loadCookieFile, parseNetscapeCookies, saveCookieFile } from "../../src/session/netscape-cookie-file.ts";

const run = promisify(execFile);
const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const FUTURE = new Date(Date.now() + 30 * 86_400_000).toUTCString();

/** The cookies the server sets on /set (a spread of attributes curl and the jar both keep). */
const SET_COOKIES = [
  "plain=1",
  "scoped=2; Path=/echo",
  "elsewhere=3; Path=/other",
  `persistent=4; Expires=${FUTURE}`,
  "lived=5; Max-Age=86400",
  "hidden=6; HttpOnly",
  "spaced=a b",
];

let server: Server;
let base: string;
let dir: string;
/** The Cookie header of each request to /echo, in order. */
const echoed: string[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(join(tmpdir(), "cookie-file-"));
  server = createServer((req, res) => {
    if (req.url === "/set") res.setHeader("Set-Cookie", SET_COOKIES);
    else echoed.push(req.headers.cookie ?? "");
    res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The cookie names of a header, sorted (curl and the jar may order equal-length paths differently). */
const names = (header: string): string[] =>
  header
    .split("; ")
    .filter((p) => p !== "")
    .sort();

describe("Netscape cookie file", () => {
  it("formats host-only, domain, secure, HttpOnly and session cookies, and parses them back", () => {
    const jar = new CookieJar();
    jar.setCookie("https://www.example.com/", "a=1; Domain=example.com; Secure; Max-Age=100", NOW);
    jar.setCookie("https://www.example.com/d/x", "b=2; HttpOnly", NOW);
    const text = formatNetscapeCookies(jar.getAllCookies());
    const lines = text.split("\n").filter((l) => l !== "" && !l.startsWith("# "));
    expect(lines).toEqual([
      `.example.com\tTRUE\t/\tTRUE\t${(NOW + 100_000) / 1000}\ta\t1`,
      "#HttpOnly_www.example.com\tFALSE\t/d\tFALSE\t0\tb\t2",
    ]);
    const back = parseNetscapeCookies(text, NOW);
    expect(back.map((c) => [c.name, c.domain, c.hostOnly, c.path, c.secure, c.httpOnly, c.expires])).toEqual([
      ["a", "example.com", false, "/", true, false, NOW + 100_000],
      ["b", "www.example.com", true, "/d", false, true, null],
    ]);
  });

  it("skips comments, blank and malformed lines; a missing value is empty", () => {
    const text = "# comment\n\nnot\ttabs\nexample.com\tFALSE\t/\tFALSE\t0\tnovalue\nexample.com\tFALSE\tnoslash\tFALSE\t0\tx\ty\n";
    expect(parseNetscapeCookies(text, NOW).map((c) => [c.name, c.value])).toEqual([["novalue", ""]]);
  });

  it("saves atomically: the old file stays whole until the new one is renamed over it, and no temp file is left", () => {
    const path = join(dir, "atomic.txt");
    fs.writeFileSync(path, "old contents");
    const jar = new CookieJar();
    jar.setCookie("http://example.com/", "a=1", NOW);
    saveCookieFile(jar, path, NOW);
    expect(fs.readFileSync(path, "utf8")).toContain("\ta\t1");
    expect(fs.readdirSync(dir).filter((f) => f.startsWith("atomic.txt."))).toEqual([]);
    // A directory in the way: the save fails and nothing is left behind.
    expect(() => saveCookieFile(jar, dir, NOW)).toThrow();
    expect(fs.readdirSync(tmpdir()).some((f) => f.startsWith(`${dir.split("/").pop() ?? ""}.`))).toBe(false);
  });

  it("drops expired cookies when saving and loading", () => {
    const jar = new CookieJar();
    jar.setCookie("http://example.com/", "short=1; Max-Age=1", NOW);
    jar.setCookie("http://example.com/", "long=1; Max-Age=100", NOW);
    const path = join(dir, "expired.txt");
    saveCookieFile(jar, path, NOW + 2_000);
    const loaded = new CookieJar();
    expect(loadCookieFile(loaded, path, NOW + 2_000)).toBe(1);
    expect(loadCookieFile(new CookieJar(), path, NOW + 200_000)).toBe(0);
  });
});

describe("a round trip with curl (-c and -b) against the same server", () => {
  it("reads a file curl wrote and sends what curl sends", async () => {
    const file = join(dir, "from-curl.txt");
    await run("curl", ["-s", "-o", "/dev/null", "-c", file, `${base}/set`]);
    await run("curl", ["-s", "-o", "/dev/null", "-b", file, `${base}/echo/x`]);
    const curlSent = echoed.at(-1) ?? "";
    const jar = new CookieJar();
    const now = Date.now();
    expect(loadCookieFile(jar, file, now)).toBe(SET_COOKIES.length);
    expect(names(jar.getCookieHeader(`${base}/echo/x`, now))).toEqual(names(curlSent));
    expect(names(curlSent)).toEqual(["hidden=6", "lived=5", "persistent=4", "plain=1", "scoped=2", "spaced=a b"]);
  });

  it("writes a file curl reads and sends the same cookies from", async () => {
    const jar = new CookieJar();
    const now = Date.now();
    jar.storeResponseCookies(
      `${base}/set`,
      SET_COOKIES.map((c) => `Set-Cookie: ${c}`),
      now,
    );
    const file = join(dir, "for-curl.txt");
    saveCookieFile(jar, file, now);
    await run("curl", ["-s", "-o", "/dev/null", "-b", file, `${base}/echo/y`]);
    expect(names(echoed.at(-1) ?? "")).toEqual(names(jar.getCookieHeader(`${base}/echo/y`, now)));
    await run("curl", ["-s", "-o", "/dev/null", "-b", file, `${base}/other`]);
    expect(names(echoed.at(-1) ?? "")).toEqual(names(jar.getCookieHeader(`${base}/other`, now)));
    expect(echoed.at(-1)).toContain("elsewhere=3");
  });
});
