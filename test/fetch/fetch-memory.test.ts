/**
 * A 256 MiB body streamed through response.body with flat memory. Back-pressure reaches the
 * connection: while the application's stream queue is full, the request node leaves the body in
 * the connection, whose read buffer is bounded and pauses the socket.
 *
 * Measured in a child process doing nothing else. Two figures: the memory the fetch holds (RSS
 * sampled after a forced garbage collection at each read) must grow by at most 32 MiB; the plain
 * RSS, which also counts dropped buffers V8 has not collected yet, is compared with the runtime's
 * own fetch on the same body (both are tens of MiB, set by V8's collection thresholds, not by the
 * body size) and must stay far below the body size. The plain figure is not held to 32 MiB: the
 * chunks a default reader gets are its own, and V8 lets up to 32 MiB of dropped young arrays
 * accumulate before it frees them (see ResponseStream), so any fetch that streams the body into
 * fresh chunks shows that much plus what it holds.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";

const MiB = 1024 * 1024;
const TOTAL = 256 * MiB;
const PIECE = Buffer.alloc(MiB, 0x61);

interface Measure {
  readonly bytes: number;
  readonly growth: number;
}

function runChild(url: string, impl: "poll" | "runtime", gc: boolean): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const args = [...(gc ? ["--expose-gc"] : []), "scripts/run-ts.mjs", "test/fetch/fetch-memory-child.ts", url, impl];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) {
        reject(new Error(`child exited ${code}: ${stdout}`));
        return;
      }
      const { bytes, baseline, peak } = JSON.parse(stdout) as { bytes: number; baseline: number; peak: number };
      resolve({ bytes, growth: peak - baseline });
    });
  });
}

describe("fetch: a 256 MiB body through response.body", () => {
  it("holds at most 32 MiB more while streaming it; plain RSS growth is of the runtime fetch's order", async () => {
    const server = createServer((req, res) => {
      const total = req.url?.endsWith("?warm") === true ? PIECE.length : TOTAL;
      res.writeHead(200, { "Content-Length": String(total) });
      let sent = 0;
      const write = (): void => {
        while (sent < total) {
          sent += PIECE.length;
          if (!res.write(PIECE)) {
            res.once("drain", write);
            return;
          }
        }
        res.end();
      };
      write();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/big`;
      const held = await runChild(url, "poll", true);
      expect(held.bytes).toBe(TOTAL);
      expect(held.growth).toBeLessThanOrEqual(32 * MiB);
      const plain = await runChild(url, "poll", false);
      const reference = await runChild(url, "runtime", false);
      expect([plain.bytes, reference.bytes]).toEqual([TOTAL, TOTAL]);
      console.log(
        `256 MiB through response.body, RSS growth: held ${(held.growth / MiB).toFixed(1)} MiB; plain ${(plain.growth / MiB).toFixed(1)} MiB (runtime fetch ${(reference.growth / MiB).toFixed(1)} MiB)`,
      );
      expect(plain.growth).toBeLessThanOrEqual(Math.max(96 * MiB, 2 * reference.growth));
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 60_000);
});
