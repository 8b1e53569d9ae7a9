/**
 * Hostile servers, TLS: an expired, a self-signed and a wrong-host certificate (fixtures in
 * `test/fixtures/tls`, made by its `generate.sh`). Each ends in TLS_HANDSHAKE_ERROR naming Node's
 * verification code, and not one byte of the request reaches the server.
 */
import { describe, expect, it } from "vitest";
import { TLSOptions } from "../../src/client/tls-options.ts";
import { HTTPClient } from "../../src/client/http-client.ts";
import { Err } from "../../src/status/err.ts";
import { Result } from "../../src/status/result.ts";
import { Status } from "../../src/status/status.ts";
import { pollClient } from "../helpers/bounded-ticks.ts";
import { startHostileTlsServer } from "../helpers/hostile-server.ts";
import { fixtures } from "../helpers/tls-fixtures.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { sleep } from "../helpers/wait.ts";
import { expectOutcome, requester } from "./hostile-kit.ts";

const track = cleanupAfterEach().track;

/**
 * A TLS handshake takes more event-loop turns than a plain answer, and more again on a loaded
 * machine (a tick is one turn, not a fixed time): 20–70 were seen. The bound shows the refusal ends
 * without waiting for any timeout.
 */
const HANDSHAKE_TICKS = 200;

/** A TLS server with `cert`/`key` that would answer any request it ever decrypted. */
async function tlsServer(cert: string, key: string) {
  return track(
    await startHostileTlsServer({ cert, key }, async (c) => {
      if ((await c.head()) !== null) c.send("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nleaked");
    }),
  );
}

const CASES = [
  ["an expired certificate (2020–2021)", fixtures.expiredCert, fixtures.expiredKey, TLSOptions.client(fixtures.ca), /CERT_HAS_EXPIRED/],
  [
    "a self-signed certificate, default trust store",
    fixtures.selfSignedCert,
    fixtures.selfSignedKey,
    TLSOptions.client(),
    /DEPTH_ZERO_SELF_SIGNED_CERT/,
  ],
  [
    "a self-signed certificate, the test CA trusted",
    fixtures.selfSignedCert,
    fixtures.selfSignedKey,
    TLSOptions.client(fixtures.ca),
    /DEPTH_ZERO_SELF_SIGNED_CERT/,
  ],
  [
    "a certificate for wrong.example",
    fixtures.wrongHostCert,
    fixtures.wrongHostKey,
    TLSOptions.client(fixtures.ca),
    /ERR_TLS_CERT_ALTNAME_INVALID/,
  ],
] as const;

describe("TLS certificates a client must refuse", () => {
  it.each(CASES)("%s → TLS_HANDSHAKE_ERROR, nothing sent", async (_name, cert, key, tls, reason) => {
    const server = await tlsServer(cert, key);
    const { node, run } = requester(track);
    node.setTlsOptions(tls);
    const outcome = await run(`https://localhost:${server.port}/secret?token=1`, { headers: ["Authorization: Bearer secret"] });
    expectOutcome(outcome, { result: Result.RESULT_TLS_HANDSHAKE_ERROR, reason, maxTicks: HANDSHAKE_TICKS, maxBuffered: 0 });
    await sleep(20);
    expect(server.totalReceived()).toBe(0);
  });

  it.each(CASES)("%s, HTTPClient → STATUS_TLS_HANDSHAKE_ERROR and ERR_CANT_CONNECT", async (_name, cert, key, tls, reason) => {
    const server = await tlsServer(cert, key);
    const client = track(new HTTPClient());
    expect(client.connectToHost("localhost", server.port, tls)).toBe(Err.OK);
    const stats = await pollClient(
      client,
      () => client.getStatus() !== Status.STATUS_RESOLVING && client.getStatus() !== Status.STATUS_CONNECTING,
      {
        maxTicks: HANDSHAKE_TICKS,
      },
    );
    expect(client.getStatus()).toBe(Status.STATUS_TLS_HANDSHAKE_ERROR);
    // As in Godot: the poll() that failed returns ERR_CANT_CONNECT, later ones ERR_CONNECTION_ERROR.
    expect(stats.err).toBe(Err.ERR_CANT_CONNECT);
    expect(client.poll()).toBe(Err.ERR_CONNECTION_ERROR);
    expect(client.getErrorReason()).toMatch(reason);
    expect(stats.ticks).toBeLessThanOrEqual(HANDSHAKE_TICKS);
    expect(server.totalReceived()).toBe(0);
  });

  it("the valid fixture certificate, for contrast, is accepted", async () => {
    const server = await tlsServer(fixtures.serverCert, fixtures.serverKey);
    const { node, run } = requester(track);
    node.setTlsOptions(TLSOptions.client(fixtures.ca));
    const outcome = await run(`https://localhost:${server.port}/`);
    expectOutcome(outcome, { result: Result.RESULT_SUCCESS, reason: /^$/, maxTicks: HANDSHAKE_TICKS, maxBuffered: 4096, code: 200 });
    expect(server.totalReceived()).toBeGreaterThan(0);
  });
});
