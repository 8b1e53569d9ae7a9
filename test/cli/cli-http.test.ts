// The command against a loopback HTTP server: output, methods, data, headers, redirects, exit statuses.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { getRefusedPort } from "../helpers/loopback-server.ts";
import { runCommand, streamBytes, useCliAndServer, type CliRun } from "./cli-kit.ts";

const kit = useCliAndServer();

const run = (...args: string[]): Promise<CliRun> => runCommand(kit.cli.path, args);

interface Echo {
  method: string;
  rawHeaders: string[];
  body: string;
}

function echo(result: CliRun): Echo {
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout.toString("utf8")) as Echo;
}

function headerValues(e: Echo, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < e.rawHeaders.length; i += 2) if (e.rawHeaders[i]?.toLowerCase() === name) out.push(e.rawHeaders[i + 1] ?? "");
  return out;
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

describe.concurrent("poll-http over HTTP", () => {
  it("writes the body to stdout, byte for byte, with nothing on stderr", async () => {
    const result = await run(`${kit.server.origin}/hello`);
    expect(result).toMatchObject({ status: 0, stderr: "" });
    expect(result.stdout.toString()).toBe("hello world\n");
    const binary = await run(`${kit.server.origin}/bytes/300000`);
    expect(binary.status).toBe(0);
    expect(createHash("sha256").update(binary.stdout).digest("hex")).toBe(await expectedSha256(300000));
  });

  it("writes the body to -o FILE and nothing to stdout", async () => {
    const file = join(kit.cli.dir, "out.bin");
    const result = await run("-o", file, `${kit.server.origin}/bytes/1000000`);
    expect(result).toMatchObject({ status: 0, stderr: "" });
    expect(result.stdout.length).toBe(0);
    expect(createHash("sha256").update(readFileSync(file)).digest("hex")).toBe(await expectedSha256(1000000));
  });

  it("leaves -o FILE as it was for a non-2xx response and says so (exit 0, as curl without -f)", async () => {
    const file = join(kit.cli.dir, "kept.txt");
    writeFileSync(file, "old content");
    const result = await run("-o", file, `${kit.server.origin}/status/404`);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe(
      `poll-http: note: the server answered HTTP 404 Not Found: nothing was written to ${file} (it is left as it was; -f makes this an error)\n`,
    );
    expect(readFileSync(file, "utf8")).toBe("old content");
    expect((await run("-s", "-o", file, `${kit.server.origin}/status/404`)).stderr).toBe("");
  });

  it("prints an error status's body to stdout and exits 0", async () => {
    const result = await run(`${kit.server.origin}/status/503`);
    expect(result).toMatchObject({ status: 0, stderr: "" });
    expect(result.stdout.toString()).toBe("status 503\n");
  });

  it("sends -X POST -d with a form Content-Type, and joins several -d with &", async () => {
    const e = echo(await run("-X", "POST", "-d", "a=1", "-d", "b=2", `${kit.server.origin}/echo`));
    expect(e.method).toBe("POST");
    expect(Buffer.from(e.body, "base64").toString()).toBe("a=1&b=2");
    expect(headerValues(e, "content-type")).toEqual(["application/x-www-form-urlencoded"]);
    expect(headerValues(e, "content-length")).toEqual(["7"]);
  });

  it("uses POST for -d without -X, and -X for any other method", async () => {
    expect(echo(await run("-d", "x", `${kit.server.origin}/echo`)).method).toBe("POST");
    expect(echo(await run("-X", "PATCH", "-d", "x", `${kit.server.origin}/echo`)).method).toBe("PATCH");
    expect(echo(await run("-X", "delete", `${kit.server.origin}/echo`)).method).toBe("DELETE");
  });

  it("sends --data-binary @FILE byte for byte; -d @FILE drops CR and LF", async () => {
    const file = join(kit.cli.dir, "upload.bin");
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7 + 13) % 256));
    writeFileSync(file, bytes);
    const binary = echo(
      await run("--data-binary", `@${file}`, "-H", "Content-Type: application/octet-stream", `${kit.server.origin}/echo`),
    );
    expect(Buffer.from(binary.body, "base64").equals(bytes)).toBe(true);
    expect(headerValues(binary, "content-type")).toEqual(["application/octet-stream"]);
    const text = join(kit.cli.dir, "form.txt");
    writeFileSync(text, "a=1\r\nb=2\n");
    expect(Buffer.from(echo(await run("-d", `@${text}`, `${kit.server.origin}/echo`)).body, "base64").toString()).toBe("a=1b=2");
  });

  it("sends every -H, repeated names included, in order", async () => {
    const e = echo(await run("-H", "X-One: 1", "-H", "X-Dup: a", "-H", "X-Dup: b", `${kit.server.origin}/echo`));
    expect(headerValues(e, "x-one")).toEqual(["1"]);
    expect(headerValues(e, "x-dup")).toEqual(["a", "b"]);
    expect(headerValues(e, "user-agent")[0]).toMatch(/^poll-http\//);
  });

  it("-i writes the status line and headers before the body", async () => {
    const text = (await run("-i", `${kit.server.origin}/status/201`)).stdout.toString();
    expect(text).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
    expect(text).toMatch(/\r\nx-test: status\r\n/i);
    expect(text.endsWith("\r\n\r\nstatus 201\n")).toBe(true);
  });

  it("follows redirects up to --max-redirects and fails past it with exit 47 (curl's too-many-redirects)", async () => {
    expect((await run(`${kit.server.origin}/redirect/3`)).stdout.toString()).toBe("arrived\n");
    expect((await run("--max-redirects", "3", `${kit.server.origin}/redirect/3`)).stdout.toString()).toBe("arrived\n");
    const limited = await run("--max-redirects", "2", `${kit.server.origin}/redirect/3`);
    expect(limited.status).toBe(47);
    expect(limited.stderr).toBe("poll-http: more than 2 redirects (RESULT_REDIRECT_LIMIT_REACHED)\n");
    expect(limited.stdout.length).toBe(0);
    expect((await run("--max-redirects", "-1", `${kit.server.origin}/redirect/12`)).stdout.toString()).toBe("arrived\n");
  });

  it("exits 23 when --timeout passes, naming the cause", async () => {
    const result = await run("--timeout", "0.3", `${kit.server.origin}/hang`);
    expect(result.status).toBe(23);
    expect(result.stderr).toBe("poll-http: timed out after 0.3 s (RESULT_TIMEOUT)\n");
  });

  it("exits 12 when nothing listens", async () => {
    const port = await getRefusedPort();
    const result = await run(`http://127.0.0.1:${port}/`);
    expect(result.status).toBe(12);
    expect(result.stderr).toMatch(/^poll-http: .*ECONNREFUSED.* \(RESULT_CANT_CONNECT\)\n$/);
  });

  it("exits 13 when the host name cannot be resolved", async () => {
    const result = await run("http://no-such-host.invalid/");
    expect(result.status).toBe(13);
    expect(result.stderr).toMatch(/^poll-http: .*no-such-host\.invalid.* \(RESULT_CANT_RESOLVE\)\n$/);
  });

  it("exits 16 when the server closes without answering", async () => {
    const result = await run(`${kit.server.origin}/close`);
    expect(result.status).toBe(16);
    expect(result.stderr).toMatch(/^poll-http: .+ \(RESULT_NO_RESPONSE\)\n$/);
  });

  it("exits 17 past --max-filesize, writing no file", async () => {
    const file = join(kit.cli.dir, "limited.bin");
    const result = await run("--max-filesize", "64K", "-o", file, `${kit.server.origin}/bytes/200000`);
    expect(result.status).toBe(17);
    expect(result.stderr).toMatch(/^poll-http: .+ \(RESULT_BODY_SIZE_LIMIT_EXCEEDED\)\n$/);
    expect(existsSync(file)).toBe(false);
  });

  it("exits 14 when the body is cut short", async () => {
    const sockets: Socket[] = [];
    const cut = createServer((socket) => {
      sockets.push(socket);
      socket.once("data", () => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part"));
    });
    await new Promise<void>((resolve) => cut.listen(0, "127.0.0.1", resolve));
    const address = cut.address();
    try {
      const result = await run(`http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}/`);
      expect(result.status).toBe(14);
      expect(result.stderr).toMatch(/^poll-http: .+ \(RESULT_CONNECTION_ERROR\)\n$/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => cut.close(() => resolve()));
    }
  });

  it("exits 20 when -o cannot be created", async () => {
    const result = await run("-o", join(kit.cli.dir, "missing-dir", "f"), `${kit.server.origin}/hello`);
    expect(result.status).toBe(20);
    expect(result.stderr).toMatch(/^poll-http: .*missing-dir.* \(RESULT_DOWNLOAD_FILE_CANT_OPEN\)\n$/);
  });

  it("runs at any --fps, including 0 (as fast as data arrives)", async () => {
    for (const fps of ["0", "5", "240"])
      expect((await run("--fps", fps, `${kit.server.origin}/redirect/2`)).stdout.toString()).toBe("arrived\n");
  });

  it("exits 130 on SIGINT and leaves -o FILE as it was", async () => {
    const file = join(kit.cli.dir, "interrupted.txt");
    writeFileSync(file, "before");
    let pid = 0;
    const pending = runCommand(kit.cli.path, ["-o", file, `${kit.server.origin}/hang?sigint`], { onSpawn: (p) => (pid = p) });
    const arrived = (): boolean => kit.server.seen.some((request) => request.url === "/hang?sigint");
    for (let i = 0; i < 1000 && !arrived(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    process.kill(pid, "SIGINT");
    const result = await pending;
    expect(result.status).toBe(130);
    expect(result.stderr).toBe("poll-http: interrupted\n");
    expect(readFileSync(file, "utf8")).toBe("before");
  });
});

describe.concurrent("poll-http usage and local errors", () => {
  it("prints --help and --version on stdout with exit 0", async () => {
    const help = await run("--help");
    expect(help.status).toBe(0);
    expect(help.stdout.toString()).toMatch(/^Usage: poll-http \[options\] <url>/);
    expect(help.stdout.toString()).toContain(" 23  RESULT_TIMEOUT");
    const version = await run("--version");
    expect(version.status).toBe(0);
    expect(version.stdout.toString()).toMatch(/^poll-http \d+\.\d+\.\d+\n$/);
  });

  it.each([
    [[], "poll-http: no URL given (see poll-http --help)\n"],
    [["--bogus", "http://x/"], "poll-http: unknown option --bogus (see poll-http --help)\n"],
    [["-X", "BREW", "http://x/"], /^poll-http: unsupported method "BREW" .*\n$/],
    [["--timeout", "x", "http://x/"], /^poll-http: option --timeout needs .*\n$/],
    [["ftp://x/"], /^poll-http: invalid URL "ftp:\/\/x\/": .*\n$/],
    [["--proxy", "socks5://p:1", "http://x/"], "poll-http: unsupported proxy scheme socks5 (only http:// proxies)\n"],
  ])("exits 2 with one line for %j", async (argv, message) => {
    const result = await run(...argv);
    expect(result.status).toBe(2);
    expect(result.stdout.length).toBe(0);
    if (typeof message === "string") expect(result.stderr).toBe(message);
    else expect(result.stderr).toMatch(message);
  });

  it("exits 1 naming the file when --data-binary @FILE or --cacert cannot be read", async () => {
    const data = await run("--data-binary", "@/no/such/file", `${kit.server.origin}/echo`);
    expect(data.status).toBe(1);
    expect(data.stderr).toBe("poll-http: cannot read /no/such/file: ENOENT: no such file or directory\n");
    const ca = await run("--cacert", "/no/such/ca.pem", "https://127.0.0.1:1/");
    expect(ca.status).toBe(1);
    expect(ca.stderr).toBe("poll-http: cannot read /no/such/ca.pem: ENOENT: no such file or directory\n");
  });
});
