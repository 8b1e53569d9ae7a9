/**
 * The directory cache store: entries survive reopening, the byte bound holds, a damaged entry is
 * never served, and a process killed mid-write (a real child process, SIGKILL) leaves nothing that
 * is later served corrupt.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CachedResponse } from "../../src/session/cache-store.ts";
import { DirectoryCacheStore } from "../../src/session/directory-cache-store.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(join(tmpdir(), "cache-dir-"));
  dirs.push(d);
  return d;
}
const entry = (url: string, text: string): CachedResponse => ({
  url,
  status: 200,
  headers: ["Cache-Control: max-age=60"],
  body: new TextEncoder().encode(text),
  requestTime: 1,
  responseTime: 2,
  varyHeaders: ["accept: x"],
});
const text = (v: readonly CachedResponse[]): string[] => v.map((r) => new TextDecoder().decode(r.body));

describe("DirectoryCacheStore", () => {
  it("keeps entries across reopening, with every field", () => {
    const dir = tempDir();
    new DirectoryCacheStore(dir).set("k1", [entry("http://e/1", "one"), entry("http://e/1", "uno")]);
    const again = new DirectoryCacheStore(dir);
    const got = again.get("k1");
    expect(text(got)).toEqual(["one", "uno"]);
    expect(got[0]).toMatchObject({
      url: "http://e/1",
      status: 200,
      headers: ["Cache-Control: max-age=60"],
      requestTime: 1,
      responseTime: 2,
      varyHeaders: ["accept: x"],
    });
    expect(again.keys()).toEqual(["k1"]);
    again.delete("k1");
    expect(new DirectoryCacheStore(dir).get("k1")).toEqual([]);
  });

  it("keeps the byte bound, evicting the least recently used", () => {
    const dir = tempDir();
    const store = new DirectoryCacheStore(dir, 2_000);
    const filler = "x".repeat(600);
    store.set("a", [entry("http://e/a", filler)]);
    store.set("b", [entry("http://e/b", filler)]);
    store.get("a");
    store.set("c", [entry("http://e/c", filler)]);
    expect(store.bytes).toBeLessThanOrEqual(2_000);
    expect(store.get("b")).toEqual([]);
    expect(text(store.get("a"))).toEqual([filler]);
    const onDisk = fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(join(dir, f)).size, 0);
    expect(onDisk).toBe(store.bytes);
  });

  it.each([
    [
      "a flipped body byte",
      (b: Buffer) => {
        b.writeUInt8(b.readUInt8(b.length - 1) ^ 1, b.length - 1);
        return b;
      },
    ],
    ["a truncated file", (b: Buffer) => b.subarray(0, b.length - 3)],
    ["a torn header", (b: Buffer) => b.subarray(0, 30)],
    ["garbage", () => Buffer.from("not an entry")],
  ])("never serves %s, and removes it", (_name, damage) => {
    const dir = tempDir();
    new DirectoryCacheStore(dir).set("k", [entry("http://e/k", "precious bytes")]);
    const [file] = fs.readdirSync(dir);
    const path = join(dir, file as string);
    fs.writeFileSync(path, damage(fs.readFileSync(path)));
    const store = new DirectoryCacheStore(dir);
    expect(store.get("k")).toEqual([]);
    expect(fs.existsSync(path)).toBe(false);
    expect(store.bytes).toBe(0);
  });

  it("a writer killed mid-write leaves the old entries whole and nothing corrupt to serve", async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ["scripts/run-ts.mjs", "test/session/fixtures/cache-writer.ts", dir], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        // Kill once a temporary file of the large entry is on disk and growing.
        if (out.includes("writing")) {
          const poll = (): void => {
            const temp = fs.readdirSync(dir).find((f) => f.endsWith(".tmp"));
            if (temp !== undefined && fs.statSync(join(dir, temp)).size > 0) {
              child.kill("SIGKILL");
              resolve();
            } else setImmediate(poll);
          };
          poll();
        }
      });
      child.on("exit", (code) => {
        if (!out.includes("writing")) reject(new Error(`writer exited early (${code})`));
      });
    });
    await new Promise((resolve) => child.once("close", resolve));
    const leftovers = fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"));
    const store = new DirectoryCacheStore(dir, 1024 * 1024 * 1024);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(text(store.get("http://example.com/a"))).toEqual(["the small, complete entry"]);
    // The large entry is either absent or whole: never a torn body.
    const b = store.get("http://example.com/b");
    for (const v of b) expect(v.body.every((x) => x === 0x61) && v.body.byteLength === 96 * 1024 * 1024).toBe(true);
    expect(leftovers.length + b.length).toBeGreaterThan(0);
  });
});
