// What curl users type by habit and what they expect to see: -f, -L, --compressed, -O, -v, a
// waiting indication on a slow head, and errors in the command line's terms.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand, useCliAndServer, type CliRun } from "./cli-kit.ts";

const kit = useCliAndServer();
const run = (...args: string[]): Promise<CliRun> => runCommand(kit.cli.path, args);

/** A raw server whose one response carries a header with a C1 control and a backslash (obs-text). */
let raw: Server;
let rawPort = 0;
const rawSockets = new Set<Socket>();
beforeAll(async () => {
  raw = createServer((socket) => {
    rawSockets.add(socket);
    socket.on("close", () => rawSockets.delete(socket));
    socket.on("error", () => {});
    socket.once("data", () => socket.end(Buffer.from("HTTP/1.1 200 OK\r\nX-Odd: a\x9b[2Jb\\c\r\nContent-Length: 3\r\n\r\nok\n", "latin1")));
  });
  await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
  const address = raw.address();
  rawPort = typeof address === "object" && address !== null ? address.port : 0;
});
afterAll(async () => {
  for (const socket of rawSockets) socket.destroy();
  await new Promise<void>((resolve) => raw.close(() => resolve()));
});

/** The progress lines drawn on stderr, without the escape sequences. */
function frames(stderr: string): string[] {
  return stderr
    .replace(/\x1b\[K/g, "")
    .split(/[\r\n]/)
    .filter((line) => line !== "");
}

describe.concurrent("-f, --fail", () => {
  it("exits 22 on an HTTP status of 400 or more and writes nothing to stdout", async () => {
    const result = await run("-f", `${kit.server.origin}/status/404`);
    expect(result.status).toBe(22);
    expect(result.stdout.length).toBe(0);
    expect(result.stderr).toBe("poll-http: the server answered HTTP 404 Not Found: nothing was written (-f)\n");
    expect(await run("--fail", "-i", `${kit.server.origin}/status/503`)).toMatchObject({ status: 22, stdout: Buffer.alloc(0) });
  });

  it("leaves -o FILE as it was, without a finished progress bar", async () => {
    const file = join(kit.cli.dir, "fail-kept.txt");
    writeFileSync(file, "old content");
    const result = await runCommand(kit.cli.path, ["-f", "-o", file, `${kit.server.origin}/status/500`], {
      env: { POLL_HTTP_PROGRESS: "1" },
    });
    expect(result.status).toBe(22);
    expect(readFileSync(file, "utf8")).toBe("old content");
    expect(result.stderr).not.toContain("100%");
    expect(frames(result.stderr)).toEqual(["poll-http: the server answered HTTP 500 Internal Server Error: nothing was written (-f)"]);
  });

  it("changes nothing for a success", async () => {
    const result = await run("-f", `${kit.server.origin}/status/201`);
    expect(result).toMatchObject({ status: 0, stderr: "" });
    expect(result.stdout.toString()).toBe("status 201\n");
  });
});

describe.concurrent("a body that is not written", () => {
  it("without -f: no finished bar, and a note saying plainly that nothing was written (exit 0, as curl)", async () => {
    const file = join(kit.cli.dir, "unwritten.txt");
    writeFileSync(file, "old content");
    const result = await runCommand(kit.cli.path, ["-o", file, `${kit.server.origin}/status/404`], { env: { POLL_HTTP_PROGRESS: "1" } });
    expect(result.status).toBe(0);
    expect(result.stderr).not.toContain("100%");
    expect(frames(result.stderr)).toEqual([
      `poll-http: note: the server answered HTTP 404 Not Found: nothing was written to ${file} (it is left as it was; -f makes this an error)`,
    ]);
    expect(readFileSync(file, "utf8")).toBe("old content");
  });
});

describe.concurrent("curl habits", () => {
  it("accepts -L and --compressed, which describe what happens anyway", async () => {
    const result = await run("-L", "--compressed", `${kit.server.origin}/redirect/2`);
    expect(result).toMatchObject({ status: 0, stderr: "" });
    expect(result.stdout.toString()).toBe("arrived\n");
    const seen = kit.server.seen.filter((request) => request.url === "/redirect/2").at(-1);
    expect(seen?.headers["accept-encoding"]).toBe("gzip, deflate");
  });

  it("-O writes to a file named after the URL in the working directory", async () => {
    const result = await runCommand(kit.cli.path, ["-O", `${kit.server.origin}/hello`], { cwd: kit.cli.dir });
    expect(result).toMatchObject({ status: 0, stderr: "" });
    expect(result.stdout.length).toBe(0);
    expect(readFileSync(join(kit.cli.dir, "hello"), "utf8")).toBe("hello world\n");
    const bare = await runCommand(kit.cli.path, ["-O", `${kit.server.origin}/`], { cwd: kit.cli.dir });
    expect(bare.status).toBe(2);
    expect(bare.stderr).toMatch(/^poll-http: -O: the URL ".*" names no file .*use -o FILE/);
    expect(existsSync(join(kit.cli.dir, "index.html"))).toBe(false);
  });

  it("-v shows the request head and each response head on stderr, the body still on stdout", async () => {
    const result = await run("-v", `${kit.server.origin}/redirect/1`);
    expect(result.status).toBe(0);
    expect(result.stdout.toString()).toBe("arrived\n");
    const lines = result.stderr.split("\n");
    expect(lines.slice(0, 3)).toEqual([
      "> GET /redirect/1 HTTP/1.1",
      `> Host: 127.0.0.1:${kit.server.port}`,
      "> Accept-Encoding: gzip, deflate",
    ]);
    expect(lines).toContain(">");
    expect(lines).toContain("< HTTP/1.1 302 Found");
    expect(lines).toContain("< location: /redirect/0");
    expect(lines).toContain(`* following the redirect: GET ${kit.server.origin}/redirect/0`);
    expect(lines).toContain("< HTTP/1.1 200 OK");
    expect(lines.filter((line) => line === "<")).toHaveLength(2);
  });

  it("-v escapes control characters the server sent, so the terminal shows them instead of acting on them", async () => {
    const result = await run("-v", `http://127.0.0.1:${rawPort}/`);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain("< X-Odd: a\\x9b[2Jb\\c\n");
    expect(result.stderr).not.toMatch(/[\x80-\x9f]/);
  });
});

describe.concurrent("messages in the command line's terms", () => {
  it("shows what it waits for while the response head is slow", async () => {
    const result = await runCommand(kit.cli.path, ["--timeout", "1.2", `${kit.server.origin}/hang`], { env: { POLL_HTTP_PROGRESS: "1" } });
    expect(result.status).toBe(23);
    const drawn = frames(result.stderr);
    expect(drawn.some((line) => /^waiting for the response {2}0:01$/.test(line))).toBe(true);
    expect(drawn.at(-1)).toMatch(/^poll-http: .*\(RESULT_TIMEOUT\)$/);
  });

  it("--max-filesize names the option and its size, not the library's setting", async () => {
    const result = await run("--max-filesize", "1K", `${kit.server.origin}/bytes/5000`);
    expect(result.status).toBe(17);
    expect(result.stderr).toBe(
      "poll-http: the body is larger than --max-filesize allows (1024 bytes, counted after decompression) (RESULT_BODY_SIZE_LIMIT_EXCEEDED)\n",
    );
    expect(result.stderr).not.toContain("bodySizeLimit");
  });
});
