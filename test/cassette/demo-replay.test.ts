/**
 * The demo's four requests (`npm start`: JSON, five redirects, a gzip response and the 96 MiB
 * download written to a file) recorded once against the demo's real embedded server, written to a
 * cassette file, then replayed many times from that file with no socket opened: every replay
 * produces the recording's signal trace (frame, signal, hashed arguments, timings) and the same
 * file bytes.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { LARGE_FILE_BYTES, largeFileByte, startDemoServer } from "../../examples/demo-server.ts";
import { readCassette, writeCassette } from "../../src/client/cassette/cassette.ts";
import { recordJobs, replayJobs, type Job } from "./cassette-kit.ts";

// A hundred replays (each writes and reads back 96 MiB: about 12 s on the 2-core VM);
// CASSETTE_DEMO_REPLAYS=N runs another number.
const REPLAYS = Number(process.env.CASSETTE_DEMO_REPLAYS ?? 100);
// Memory-backed when the system has it: the test writes the 96 MiB file once per replay.
const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "poll-http-cassette-demo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function demoJobs(origin: string, download: string): Job[] {
  return [
    { label: "json", url: `${origin}/api/player` },
    { label: "redirects", url: `${origin}/hop/5`, setup: (node) => (node.maxRedirects = 8) },
    { label: "gzip", url: `${origin}/news.txt` },
    { label: "download", url: `${origin}/level.pak`, setup: (node) => (node.downloadFile = download) },
  ];
}

function fileHash(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** True when the file holds exactly `expected`; reads into `scratch` (reused, so no 96 MiB allocation per replay). */
function fileEquals(path: string, expected: Buffer, scratch: Buffer): boolean {
  if (statSync(path).size !== expected.length) return false;
  const fd = openSync(path, "r");
  try {
    let at = 0;
    while (at < expected.length) {
      const n = readSync(fd, scratch, at, expected.length - at, at);
      if (n === 0) return false;
      at += n;
    }
  } finally {
    closeSync(fd);
  }
  return scratch.subarray(0, expected.length).equals(expected);
}

describe("the demo, recorded once and replayed", () => {
  it(`replays ${REPLAYS} times from the cassette file with no socket: same trace, same file bytes`, async () => {
    const server = await startDemoServer();
    const recordedFile = join(dir, "recorded.pak");
    let recording;
    try {
      recording = await recordJobs(demoJobs(server.origin, recordedFile));
    } finally {
      await server.close();
    }
    expect(recording.results.map((line) => line.split(" ").slice(0, 3).join(" ")).sort()).toEqual([
      "download 0 200",
      "gzip 0 200",
      "json 0 200",
      "redirects 0 200",
    ]);
    const recordedBytes = readFileSync(recordedFile);
    expect(recordedBytes.length).toBe(LARGE_FILE_BYTES);
    for (let i = 0; i < recordedBytes.length; i += 4093) expect(recordedBytes[i]).toBe(largeFileByte(i));
    const recordedHash = fileHash(recordedFile);
    expect(recordedHash).toMatch(/^[0-9a-f]{64}$/);

    const cassetteFile = join(dir, "demo.cassette.jsonl");
    writeCassette(cassetteFile, recording.cassette);
    expect(statSync(cassetteFile).size).toBeGreaterThan(LARGE_FILE_BYTES);
    const cassette = readCassette(cassetteFile);

    const connects = vi.spyOn(Socket.prototype, "connect");
    try {
      const replayFile = join(dir, "replayed.pak");
      const scratch = Buffer.alloc(recordedBytes.length);
      for (let replay = 0; replay < REPLAYS; replay++) {
        rmSync(replayFile, { force: true });
        const outcome = replayJobs(cassette, demoJobs(server.origin, replayFile));
        expect(outcome.network.getFailures()).toEqual([]);
        expect(outcome.trace).toEqual(recording.trace);
        expect(outcome.results).toEqual(recording.results);
        expect(fileEquals(replayFile, recordedBytes, scratch)).toBe(true);
      }
      expect(connects).not.toHaveBeenCalled();
    } finally {
      connects.mockRestore();
    }
  }, 120_000);
});
