/**
 * A script whose only work is `await fetch(url)` exits by itself, although the server keeps the
 * connection alive and never closes it: the child is killed after 10 s if it does not exit.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";

describe("fetch: a script that only awaits fetch()", () => {
  it("exits by itself with the connection kept alive by the server", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { Connection: "keep-alive", "Keep-Alive": "timeout=600" }).end("bye");
    });
    server.keepAliveTimeout = 600_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const run = await new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ["scripts/run-ts.mjs", "test/fetch/fetch-exit-child.ts", url], {
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (text: string) => {
          stdout += text;
        });
        child.stderr.setEncoding("utf8").on("data", (text: string) => {
          stderr += text;
        });
        const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.on("close", (code, signal) => {
          clearTimeout(killer);
          resolve({ code, signal, stdout, stderr });
        });
      });
      expect(run).toEqual({ code: 0, signal: null, stdout: "200 bye\n", stderr: "" });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 20_000);
});
