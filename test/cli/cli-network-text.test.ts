// What the command prints that came from a server: escaped on stderr (no C0 or C1 control reaches
// the terminal), and with -i the header bytes exactly as received. A gzip bomb streamed to stdout
// completes with one exit.
import { createServer, type Server, type Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gzipOfZeros } from "../request/loopback-helpers.ts";
import { buildCli, runCommand, type BuiltCli } from "./cli-kit.ts";

let cli: BuiltCli;
let server: Server;
let origin = "";
const sockets = new Set<Socket>();
/** The raw response for each path. */
const answers = new Map<string, Buffer>();

beforeAll(async () => {
  cli = await buildCli();
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    let seen = "";
    socket.on("data", (chunk: Buffer) => {
      seen += chunk.toString("latin1");
      if (!seen.includes("\r\n\r\n")) return;
      const path = seen.split(" ")[1] ?? "/";
      socket.end(answers.get(path) ?? Buffer.from("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  cli.dispose();
});

/** Every control character (C0, DEL, C1) in `text`, as code points. */
function controls(text: string): number[] {
  return [...text].map((c) => c.codePointAt(0) ?? 0).filter((c) => (c < 0x20 && c !== 0x0a) || (c >= 0x7f && c <= 0x9f));
}

describe("text from the network on stderr", () => {
  it.each([
    [
      "C1 CSI in a Location",
      Buffer.concat([
        Buffer.from("HTTP/1.1 302 Found\r\nLocation: gopher://x/"),
        Buffer.from([0x9b]),
        Buffer.from("2J\r\nContent-Length: 0\r\n\r\n"),
      ]),
    ],
    [
      "ESC and BEL in a Location",
      Buffer.from("HTTP/1.1 302 Found\r\nLocation: gopher://x/\x1b]0;title\x07\x1b[2J\r\nContent-Length: 0\r\n\r\n"),
    ],
    [
      "C1 bytes in a header value the error quotes",
      Buffer.concat([Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 5"), Buffer.from([0x85, 0x9b, 0x9d]), Buffer.from("\r\n\r\n")]),
    ],
  ])("%s: no control character reaches the terminal", async (_name, answer) => {
    const path = `/t${answers.size}`;
    answers.set(path, answer);
    const result = await runCommand(cli.path, [`${origin}${path}`]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/^poll-http: /);
    expect(controls(result.stderr)).toEqual([]);
    // Where the message quotes the server's text, the controls are there, escaped.
    if (result.stderr.includes("Content-Length value")) expect(result.stderr).toContain("5\\x85\\x9b\\x9d");
  });
});

describe("-i prints the head as received", () => {
  it("header bytes above 0x7F round-trip unchanged (UTF-8 and Latin-1 alike)", async () => {
    const value = Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9, 0x20, 0xe9, 0x20, 0xa0]);
    answers.set("/raw", Buffer.concat([Buffer.from("HTTP/1.1 200 OK\r\nX-Name: "), value, Buffer.from("\r\nContent-Length: 2\r\n\r\nok")]));
    const result = await runCommand(cli.path, ["-i", `${origin}/raw`]);
    expect(result.status).toBe(0);
    const line = Buffer.concat([Buffer.from("\r\nX-Name: "), value, Buffer.from("\r\n")]);
    expect(result.stdout.includes(line)).toBe(true);
    expect(result.stdout.subarray(result.stdout.length - 2).toString()).toBe("ok");
  });
});

describe("a decompression bomb streamed to stdout", () => {
  it("gzip, gzip of 64 MiB of zeros: the whole body, exit 0, nothing on stderr", async () => {
    const bomb = gzipSync(gzipOfZeros(64), { level: 9 });
    answers.set(
      "/bomb",
      Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip, gzip\r\nContent-Length: ${bomb.length}\r\n\r\n`), bomb]),
    );
    const result = await runCommand(cli.path, [`${origin}/bomb`], { timeoutMs: 60_000 });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout.length).toBe(64 * 1024 * 1024);
  });
});
