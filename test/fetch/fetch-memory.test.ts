/**
 * A 256 MiB body streamed through response.body with flat memory. Back-pressure reaches the
 * connection: while the response stream's store is full, the request node leaves the body in the
 * connection, whose read buffer is bounded and pauses the socket.
 *
 * Measured in a child process doing nothing else, three ways:
 * - what the fetch holds: a default reader, RSS sampled after a forced garbage collection at each
 *   read, must grow by at most 32 MiB;
 * - plain RSS with a BYOB reader reusing one buffer (no forced collection: what a user sees) must
 *   grow by at most 32 MiB: the body is copied straight from the connection's receive memory into
 *   the reader's buffer, so no array is made per read and nothing waits for V8 to free it;
 * - plain RSS with a default reader is compared with the runtime's own fetch on the same body and
 *   must stay far below the body size. It is not held to 32 MiB: each chunk a default reader gets
 *   is a new array of its own, and V8 lets up to 32 MiB of dropped young arrays accumulate before
 *   it frees them (see ResponseStream), so any fetch that hands out new chunks shows that much plus
 *   what it holds (the runtime's fetch 40-56 MiB).
 * Each figure comes from one run: none depends on when V8 happens to collect.
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

function runChild(url: string, impl: "poll" | "runtime", mode: "default" | "byob", gc: boolean): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const args = [...(gc ? ["--expose-gc"] : []), "scripts/run-ts.mjs", "test/fetch/fetch-memory-child.ts", url, impl, mode];
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
  it("holds at most 32 MiB more while streaming it; a BYOB reader's plain RSS grows by at most 32 MiB", async () => {
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
      const held = await runChild(url, "poll", "default", true);
      expect(held.bytes).toBe(TOTAL);
      expect(held.growth).toBeLessThanOrEqual(32 * MiB);
      const byob = await runChild(url, "poll", "byob", false);
      expect(byob.bytes).toBe(TOTAL);
      expect(byob.growth).toBeLessThanOrEqual(32 * MiB);
      const plain = await runChild(url, "poll", "default", false);
      const reference = await runChild(url, "runtime", "default", false);
      expect([plain.bytes, reference.bytes]).toEqual([TOTAL, TOTAL]);
      const mib = (bytes: number): string => (bytes / MiB).toFixed(1);
      console.log(
        `256 MiB through response.body, RSS growth: held ${mib(held.growth)} MiB; plain, BYOB reader ${mib(byob.growth)} MiB; plain, default reader ${mib(plain.growth)} MiB (runtime fetch ${mib(reference.growth)} MiB)`,
      );
      expect(plain.growth).toBeLessThanOrEqual(Math.max(96 * MiB, 2 * reference.growth));
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 60_000);
});
