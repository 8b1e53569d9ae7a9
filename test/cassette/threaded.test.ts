/**
 * Recordings made over the ThreadedNetwork (sockets on a worker thread, bytes through shared
 * memory, so they can arrive between two of the client's calls in the middle of a tick) replay on
 * the main thread with no socket and no worker, identically: HTTPRequest nodes on a TreeRunner,
 * and a raw HTTPClient in blocking mode polled from a loop that never yields.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatCassette, parseCassette } from "../../src/client/cassette/cassette.ts";
import { RecordingNetwork } from "../../src/client/cassette/recording-network.ts";
import { ReplayNetwork } from "../../src/client/cassette/replay-network.ts";
import { HTTPClient } from "../../src/client/http-client.ts";
import { ThreadedNetwork } from "../../src/client/threaded/threaded-network.ts";
import { Method } from "../../src/status/method.ts";
import { Status } from "../../src/status/status.ts";
import { startOriginProcess, type OriginProcess } from "../helpers/origin-process.ts";
import { hashArgs, recordJobs, replayJobs, type Job } from "./cassette-kit.ts";

const TEXT = Array.from({ length: 2000 }, (_, i) => `line ${i} over the socket thread\n`).join("");
const BIG = Buffer.alloc(8 * 1024 * 1024, "threaded bytes ");
let server: Server;
let origin = "";
let child: OriginProcess;
const threaded = new ThreadedNetwork();

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/gz") {
      const body = gzipSync(TEXT);
      res.writeHead(200, { "Content-Encoding": "gzip", "Content-Length": body.length });
      res.end(body);
    } else if (req.url === "/big") {
      res.writeHead(200, { "Content-Length": BIG.length });
      res.end(BIG);
    } else {
      res.writeHead(302, { Location: "/gz", "Content-Length": 0 });
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  child = await startOriginProcess();
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await child?.stop();
  await threaded.close();
});

describe("cassettes of the threaded network", () => {
  it("HTTPRequest nodes recorded over ThreadedNetwork replay on the main thread identically", async () => {
    const jobs: Job[] = [
      { label: "gz", url: `${origin}/gz` },
      { label: "redirect", url: `${origin}/hop` },
      { label: "big", url: `${origin}/big` },
    ];
    const recording = await recordJobs(jobs, { inner: threaded });
    expect(recording.results.map((line) => line.split(" ").slice(0, 3).join(" ")).sort()).toEqual([
      "big 0 200",
      "gz 0 200",
      "redirect 0 200",
    ]);
    const replay = replayJobs(parseCassette(formatCassette(recording.cassette)), jobs);
    expect(replay.network.getFailures()).toEqual([]);
    expect(replay.trace).toEqual(recording.trace);
    expect(replay.results).toEqual(recording.results);
  });

  it("a blocking HTTPClient in a loop that never yields, recorded over ThreadedNetwork, replays identically", () => {
    const run = (network: RecordingNetwork | ReplayNetwork): string[] => {
      const client = new HTTPClient({ network });
      client.blockingModeEnabled = true;
      const log: string[] = [];
      client.connectToHost("127.0.0.1", child.httpPort);
      let sent = false;
      for (let pass = 1; pass <= 20_000; pass++) {
        network.tick(1 / 60);
        client.poll();
        if (client.getStatus() === Status.STATUS_CONNECTED && !sent) {
          sent = true;
          client.request(Method.METHOD_GET, "/bytes?n=3000000", []);
          continue;
        }
        let bytes = 0;
        for (let piece = client.readResponseBodyChunk(); piece.length > 0; piece = client.readResponseBodyChunk()) bytes += piece.length;
        log.push(`${pass} ${client.getStatus()} ${client.getResponseCode()} ${bytes}`);
        if (sent && client.getStatus() === Status.STATUS_CONNECTED) break;
        if (client.getStatus() > Status.STATUS_BODY) break;
      }
      client.close();
      return log;
    };
    const recorder = new RecordingNetwork(threaded);
    const recorded = run(recorder);
    const total = recorded.reduce((sum, line) => sum + Number(line.split(" ")[3]), 0);
    expect(total).toBe(3_000_000);
    expect(recorded.at(-1)).toMatch(/ 5 200 \d+$/);
    const cassette = parseCassette(formatCassette(recorder.toCassette()));
    expect(cassette.blocking).toBe(true);
    const replay = new ReplayNetwork(cassette);
    expect(hashArgs([run(replay)])).toBe(hashArgs([recorded]));
    expect(replay.getFailures()).toEqual([]);
  });
});
