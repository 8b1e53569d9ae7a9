// A 100 MiB download with -o on a real terminal (a pseudo-TTY from `script`), compared with curl's
// bytes; and the progress bar: drawn when forced on a pipe, absent when piped.
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCommand, streamBytes, useCliAndServer } from "./cli-kit.ts";

const SIZE = 100 * 1024 * 1024;
const CURL = "/usr/bin/curl";
const SCRIPT = "/usr/bin/script";
const haveCurl = existsSync(CURL);
const havePty = existsSync(SCRIPT);

const kit = useCliAndServer();

async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function expectedSha256(size: number): Promise<string> {
  const hash = createHash("sha256");
  await streamBytes(
    size,
    (piece) => (hash.update(piece), true),
    () => Promise.resolve(),
  );
  return hash.digest("hex");
}

/** Runs a command line on a pseudo-terminal (`script`), returning its exit status and everything it printed there. */
function runOnTerminal(argv: readonly string[]): Promise<{ status: number | null; screen: string }> {
  const quoted = argv.map((arg) => `'${arg.replace(/'/g, "'\\''")}'`).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn(SCRIPT, ["-qfec", quoted, "/dev/null"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, COLUMNS: "100", POLL_HTTP_PROGRESS: "" },
    });
    let screen = "";
    child.stdout.on("data", (chunk: Buffer) => {
      screen += chunk.toString("latin1");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      screen += chunk.toString("latin1");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.once("error", reject);
    child.once("close", (status) => {
      clearTimeout(timer);
      resolve({ status, screen });
    });
  });
}

/** The progress lines drawn with "\r…\x1b[K". */
function frames(text: string): string[] {
  return [...text.matchAll(/\r([^\r\n]*?)\x1b\[K/g)].map((m) => m[1] ?? "").filter((line) => line !== "");
}

describe("a 100 MiB download", () => {
  it("writes the same bytes as curl, with a live progress bar on a terminal", async () => {
    // Both come from Debian packages that scripts/setup.sh installs (curl, bsdutils).
    expect(haveCurl, `${CURL} missing: run scripts/setup.sh`).toBe(true);
    expect(havePty, `${SCRIPT} missing: run scripts/setup.sh`).toBe(true);
    const ours = join(kit.cli.dir, "ours.bin");
    const url = `${kit.server.origin}/bytes/${SIZE}`;
    const argv = [process.execPath, kit.cli.path, "-o", ours, url];
    const { status, screen } = await runOnTerminal(argv);
    expect(status).toBe(0);
    const expected = await expectedSha256(SIZE);
    expect(await fileSha256(ours)).toBe(expected);
    const drawn = frames(screen);
    expect(drawn.length).toBeGreaterThan(2); // redrawn frame after frame
    expect(drawn.some((line) => /^ {0,2}\d{1,2}% \[#*-+\] +[\d.]+ [KM]iB \/ 100\.0 MiB +[\d.]+ [KM]?i?B\/s {2}ETA/.test(line))).toBe(true);
    expect(drawn.at(-1)).toMatch(/^100% \[#+\] 100\.0 MiB in [\d.]+ s {2}[\d.]+ MiB\/s$/);
    rmSync(ours, { force: true }); // keep at most one 100 MiB file on disk
    const theirs = join(kit.cli.dir, "curl.bin");
    // Asynchronously: the server runs in this process, so a blocking call would deadlock.
    await new Promise<void>((resolve, reject) => {
      execFile(CURL, ["-sS", "--max-time", "60", "-o", theirs, url], (error) => (error === null ? resolve() : reject(error)));
    });
    expect(await fileSha256(theirs)).toBe(expected);
    rmSync(theirs, { force: true });
  }, 120_000);
});

describe.concurrent("the progress bar", () => {
  it("is drawn per frame on stderr when forced with POLL_HTTP_PROGRESS=1, even on a pipe", async () => {
    const file = join(kit.cli.dir, "forced.bin");
    const result = await runCommand(kit.cli.path, ["--fps", "30", "-o", file, `${kit.server.origin}/bytes/${24 * 1024 * 1024}`], {
      env: { POLL_HTTP_PROGRESS: "1", COLUMNS: "90" },
    });
    expect(result.status).toBe(0);
    const drawn = frames(result.stderr);
    expect(drawn.length).toBeGreaterThan(0);
    for (const line of drawn) expect(line.length).toBeLessThan(90);
    expect(drawn.at(-1)).toMatch(/^100% \[#+\] {1,2}24\.0 MiB in [\d.]+ s/);
    expect(result.stderr.endsWith("\x1b[K\n")).toBe(true);
    rmSync(file, { force: true });
  });

  it("is absent when stderr is piped: nothing but errors there", async () => {
    const file = join(kit.cli.dir, "piped.bin");
    const result = await runCommand(kit.cli.path, ["-o", file, `${kit.server.origin}/bytes/${8 * 1024 * 1024}`]);
    expect(result).toMatchObject({ status: 0, stderr: "" });
    rmSync(file, { force: true });
  });

  it("is absent on a terminal with -s, and when the body goes to that terminal", async () => {
    const silent = await runOnTerminal([
      process.execPath,
      kit.cli.path,
      "-s",
      "-o",
      join(kit.cli.dir, "silent.bin"),
      `${kit.server.origin}/bytes/4000000`,
    ]);
    expect(silent).toEqual({ status: 0, screen: "" });
    const toScreen = await runOnTerminal([process.execPath, kit.cli.path, `${kit.server.origin}/hello`]);
    expect(toScreen.status).toBe(0);
    expect(toScreen.screen.replace(/\r\n/g, "\n")).toBe("hello world\n");
  });

  it("shows bytes and rate without a percentage when the length is unknown (chunked)", async () => {
    const file = join(kit.cli.dir, "chunked.bin");
    const result = await runCommand(kit.cli.path, ["-o", file, `${kit.server.origin}/chunked/${6 * 1024 * 1024}`], {
      env: { POLL_HTTP_PROGRESS: "1" },
    });
    expect(result.status).toBe(0);
    const drawn = frames(result.stderr);
    for (const line of drawn) expect(line).not.toContain("%");
    expect(drawn.at(-1)).toMatch(/^6\.0 MiB in [\d.]+ s/);
    expect(await fileSha256(file)).toBe(await expectedSha256(6 * 1024 * 1024));
    rmSync(file, { force: true });
  });
});
