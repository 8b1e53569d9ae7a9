/**
 * Cassettes of TLS connections and proxies: a request over TLS to a local HTTPS server (fixture
 * certificates), one through a real forward proxy (tinyproxy) in plain HTTP, and one through a
 * CONNECT tunnel, each recorded once and replayed without a socket with the same trace.
 */
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatCassette, parseCassette } from "../../src/client/cassette/cassette.ts";
import { TLSOptions } from "../../src/client/tls-options.ts";
import { fixtures } from "../helpers/tls-fixtures.ts";
import { startTinyproxy, type Tinyproxy } from "../helpers/tinyproxy.ts";
import { recordJobs, replayJobs, type Job } from "./cassette-kit.ts";

const BODY = "secure and recorded\n".repeat(500);
let https: HttpsServer;
let http: Server;
let httpsPort = 0;
let httpPort = 0;
let proxy: Tinyproxy;

beforeAll(async () => {
  const handler = (
    _req: unknown,
    res: { writeHead(code: number, headers: Record<string, number>): void; end(body: string): void },
  ): void => {
    res.writeHead(200, { "Content-Length": BODY.length });
    res.end(BODY);
  };
  https = createHttpsServer({ cert: fixtures.serverCert, key: fixtures.serverKey }, handler);
  http = createServer(handler);
  await new Promise<void>((resolve) => https.listen(0, "127.0.0.1", resolve));
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  httpsPort = (https.address() as AddressInfo).port;
  httpPort = (http.address() as AddressInfo).port;
  proxy = await startTinyproxy({ connectPorts: [httpsPort] });
});
afterAll(async () => {
  await proxy?.stop();
  for (const server of [https, http]) {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
});

function recordAndReplay(jobs: Job[]) {
  return recordJobs(jobs).then((recording) => {
    const text = formatCassette(recording.cassette);
    const replay = replayJobs(parseCassette(text), jobs);
    return { recording, replay, text };
  });
}

describe("cassettes over TLS and proxies", () => {
  it("a TLS exchange (lookup of localhost, handshake, verification against the fixture CA) replays", async () => {
    const jobs: Job[] = [
      { label: "tls", url: `https://localhost:${httpsPort}/secure`, setup: (node) => node.setTlsOptions(TLSOptions.client(fixtures.ca)) },
    ];
    const { recording, replay, text } = await recordAndReplay(jobs);
    expect(recording.results[0]).toMatch(/^tls 0 200 /);
    expect(text).toContain('"ev":"resolve"');
    expect(text).toMatch(/"ev":"tls","id":"c\d+","t":\d+,"over":"c\d+","servername":"localhost","unsafe":false/);
    expect(text).toContain("secure and recorded"); // the plaintext, as the client read it
    expect(replay.network.getFailures()).toEqual([]);
    expect(replay.trace).toEqual(recording.trace);
  });

  it("plain HTTP through tinyproxy replays", async () => {
    const jobs: Job[] = [
      { label: "proxied", url: `http://127.0.0.1:${httpPort}/via-proxy`, setup: (node) => node.setHttpProxy("127.0.0.1", proxy.port) },
    ];
    const { recording, replay, text } = await recordAndReplay(jobs);
    expect(recording.results[0]).toMatch(/^proxied 0 200 /);
    expect(text).toContain(`GET http://127.0.0.1:${httpPort}/via-proxy HTTP/1.1`);
    expect(text).toContain(`"port":${proxy.port}`);
    expect(replay.network.getFailures()).toEqual([]);
    expect(replay.trace).toEqual(recording.trace);
  });

  it("HTTPS through a CONNECT tunnel of tinyproxy replays", async () => {
    const jobs: Job[] = [
      {
        label: "tunnel",
        url: `https://localhost:${httpsPort}/via-tunnel`,
        setup: (node) => {
          node.setTlsOptions(TLSOptions.client(fixtures.ca));
          node.setHttpsProxy("127.0.0.1", proxy.port);
        },
      },
    ];
    const { recording, replay, text } = await recordAndReplay(jobs);
    expect(recording.results[0]).toMatch(/^tunnel 0 200 /);
    expect(text).toContain(`CONNECT localhost:${httpsPort} HTTP/1.1`);
    expect(text).toMatch(/"ev":"tls","id":"c1","t":\d+,"over":"c0","servername":"localhost"/);
    expect(replay.network.getFailures()).toEqual([]);
    expect(replay.trace).toEqual(recording.trace);
    const matched = replayJobs(parseCassette(text), jobs, { mode: "matched" });
    expect(matched.network.getFailures()).toEqual([]);
    expect(matched.trace).toEqual(recording.trace);
  });
});
