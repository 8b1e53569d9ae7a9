import { connect as tlsConnect, type TLSSocket, type TlsOptions } from "node:tls";
import { describe, expect, it } from "vitest";
import type { TlsConnectOptions } from "../../src/client/network.ts";
import { NodeNetwork } from "../../src/client/node-network.ts";
import { PeerState, type StreamPeer } from "../../src/client/peer/stream-peer.ts";
import { TlsPeer } from "../../src/client/peer/tls-peer.ts";
import { startTcpServer, startTlsServer, type LoopbackServer } from "../helpers/loopback-server.ts";
import { CLIENT_KEY_PASSPHRASE, fixtures } from "../helpers/tls-fixtures.ts";
import { sleep, waitUntil } from "../helpers/wait.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";

const track = cleanupAfterEach().track;

const trusted: TlsOptions = { cert: fixtures.serverCert, key: fixtures.serverKey, ALPNProtocols: ["http/1.1"] };

/** A TLS server that records SNI and ALPN and echoes what it receives. */
async function echoServer(options: TlsOptions): Promise<LoopbackServer<TLSSocket>> {
  return track(await startTlsServer(options, (socket) => socket.on("data", (chunk) => socket.write(chunk))));
}

/** Connects over NodeNetwork and runs the handshake to its end. */
async function handshake(port: number, options: TlsConnectOptions): Promise<StreamPeer> {
  const network = new NodeNetwork();
  const tcp = track(network.connect({ address: "127.0.0.1", family: 4 }, port));
  await waitUntil(() => tcp.getState() !== PeerState.CONNECTING, "TCP connect");
  expect(tcp.getState()).toBe(PeerState.OPEN);
  const tls = track(network.startTls(tcp, options));
  expect(tcp.getState()).toBe(PeerState.CLOSED);
  await waitUntil(() => tls.getState() !== PeerState.CONNECTING, "TLS handshake");
  return tls;
}

async function expectOpenAndEcho(peer: StreamPeer): Promise<void> {
  expect(peer.getError()).toBeNull();
  expect(peer.getState()).toBe(PeerState.OPEN);
  expect(peer.write(new TextEncoder().encode("ping"))).toBe(4);
  await waitUntil(() => peer.getAvailableBytes() >= 4, "echo");
  expect(Buffer.from(peer.read(100)).toString()).toBe("ping");
}

function expectTlsError(peer: StreamPeer, code: string): void {
  expect(peer.getState()).toBe(PeerState.ERROR);
  expect(peer.getError()).toMatchObject({ kind: "tls", code });
  expect(peer.getError()?.message).toContain(code);
}

describe("TlsPeer", () => {
  it("opens with a trusted CA, sends SNI and agrees on ALPN http/1.1", async () => {
    const server = await echoServer(trusted);
    const peer = await handshake(server.port, { servername: "localhost", trustedCA: fixtures.ca });
    await expectOpenAndEcho(peer);
    expect(peer).toBeInstanceOf(TlsPeer);
    const tls = peer as TlsPeer;
    expect(tls.getAlpnProtocol()).toBe("http/1.1");
    expect(tls.getProtocol()).toMatch(/^TLSv1\.[23]$/);
    expect(tls.options.servername).toBe("localhost");
    expect(server.connections[0]?.servername).toBe("localhost");
    expect(server.connections[0]?.alpnProtocol).toBe("http/1.1");
  });

  it("sends no SNI for an IP literal and verifies the IP against the certificate", async () => {
    const server = await echoServer(trusted);
    const peer = await handshake(server.port, { servername: "127.0.0.1", trustedCA: [fixtures.ca] });
    await expectOpenAndEcho(peer);
    expect(server.connections[0]?.servername).toBeFalsy();
  });

  it("rejects a certificate from an untrusted CA (leaf only) with UNABLE_TO_VERIFY_LEAF_SIGNATURE", async () => {
    const server = await echoServer(trusted);
    expectTlsError(await handshake(server.port, { servername: "localhost" }), "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  it("rejects an untrusted chain that includes its root with SELF_SIGNED_CERT_IN_CHAIN", async () => {
    const server = await echoServer({ ...trusted, cert: fixtures.serverCert + fixtures.ca });
    expectTlsError(await handshake(server.port, { servername: "localhost" }), "SELF_SIGNED_CERT_IN_CHAIN");
  });

  it("rejects a self-signed certificate with DEPTH_ZERO_SELF_SIGNED_CERT", async () => {
    const server = await echoServer({ cert: fixtures.selfSignedCert, key: fixtures.selfSignedKey });
    expectTlsError(await handshake(server.port, { servername: "localhost", trustedCA: fixtures.ca }), "DEPTH_ZERO_SELF_SIGNED_CERT");
  });

  it("rejects an expired certificate with CERT_HAS_EXPIRED", async () => {
    const server = await echoServer({ cert: fixtures.expiredCert, key: fixtures.expiredKey });
    expectTlsError(await handshake(server.port, { servername: "localhost", trustedCA: fixtures.ca }), "CERT_HAS_EXPIRED");
  });

  it("rejects a certificate for another host with ERR_TLS_CERT_ALTNAME_INVALID", async () => {
    const server = await echoServer({ cert: fixtures.wrongHostCert, key: fixtures.wrongHostKey });
    expectTlsError(await handshake(server.port, { servername: "localhost", trustedCA: fixtures.ca }), "ERR_TLS_CERT_ALTNAME_INVALID");
  });

  it("accepts the other host's certificate when commonNameOverride names it, still sending SNI for servername", async () => {
    const server = await echoServer({ cert: fixtures.wrongHostCert, key: fixtures.wrongHostKey });
    const peer = await handshake(server.port, { servername: "localhost", trustedCA: fixtures.ca, commonNameOverride: "wrong.example" });
    await expectOpenAndEcho(peer);
    expect(server.connections[0]?.servername).toBe("localhost");
  });

  it("verifies nothing in unsafe mode", async () => {
    const server = await echoServer({ cert: fixtures.selfSignedCert, key: fixtures.selfSignedKey });
    await expectOpenAndEcho(await handshake(server.port, { servername: "wrong.example", unsafe: true }));
  });

  it("refuses a server that only speaks TLS 1.1", async () => {
    const legacy: TlsOptions = { ...trusted, minVersion: "TLSv1.1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" };
    const server = await echoServer(legacy);
    // Sanity: the server does speak TLS 1.1 to a client that allows it (when this OpenSSL still can).
    const legacyClient = tlsConnect({
      host: "127.0.0.1",
      port: server.port,
      ca: fixtures.ca,
      servername: "localhost",
      minVersion: "TLSv1.1",
      maxVersion: "TLSv1.1",
      ciphers: "DEFAULT@SECLEVEL=0",
    });
    const legacyProtocol = await new Promise<string | null>((resolve) => {
      legacyClient.once("secureConnect", () => resolve(legacyClient.getProtocol()));
      legacyClient.once("error", () => resolve(null));
    });
    legacyClient.destroy();
    if (legacyProtocol !== null) expect(legacyProtocol).toBe("TLSv1.1");

    const peer = await handshake(server.port, { servername: "localhost", trustedCA: fixtures.ca });
    expect(peer.getState()).toBe(PeerState.ERROR);
    expect(peer.getError()?.kind).toBe("tls");
    expect(peer.getError()?.code).toMatch(/^ERR_SSL_|^ECONNRESET$/);
  });

  it("fails with kind tls when the server closes during the handshake", async () => {
    const server = track(await startTcpServer((socket) => socket.once("data", () => socket.destroy())));
    const peer = await handshake(server.port, { servername: "localhost", trustedCA: fixtures.ca });
    expectTlsError(peer, "ECONNRESET");
  });

  it("closes cleanly in the middle of a handshake", async () => {
    const server = await echoServer(trusted);
    const network = new NodeNetwork();
    const tcp = track(network.connect({ address: "127.0.0.1", family: 4 }, server.port));
    await waitUntil(() => tcp.getState() === PeerState.OPEN, "TCP connect");
    const tls = track(network.startTls(tcp, { servername: "localhost", trustedCA: fixtures.ca }));
    expect(tls.getState()).toBe(PeerState.CONNECTING);
    tls.close();
    tls.close();
    await sleep(30);
    expect(tls.getState()).toBe(PeerState.CLOSED);
    expect(tls.getError()).toBeNull();
  });

  describe("mutual TLS", () => {
    const mutual: TlsOptions = { ...trusted, requestCert: true, rejectUnauthorized: true, ca: fixtures.clientCa };

    it("presents a client certificate", async () => {
      const server = await echoServer(mutual);
      const peer = await handshake(server.port, {
        servername: "localhost",
        trustedCA: fixtures.ca,
        clientCert: fixtures.clientCert,
        clientKey: fixtures.clientKey,
      });
      await expectOpenAndEcho(peer);
      expect(server.connections[0]?.authorized).toBe(true);
      expect(server.connections[0]?.getPeerCertificate().subject.CN).toBe("client.test");
    });

    it("decrypts a client key with its passphrase", async () => {
      const server = await echoServer(mutual);
      const peer = await handshake(server.port, {
        servername: "localhost",
        trustedCA: fixtures.ca,
        clientCert: fixtures.clientCert,
        clientKey: fixtures.clientKeyEncrypted,
        passphrase: CLIENT_KEY_PASSPHRASE,
      });
      await expectOpenAndEcho(peer);
      expect(server.connections[0]?.authorized).toBe(true);
    });

    it("fails with kind tls, without throwing, on a wrong passphrase", async () => {
      const server = await echoServer(mutual);
      const peer = await handshake(server.port, {
        servername: "localhost",
        trustedCA: fixtures.ca,
        clientCert: fixtures.clientCert,
        clientKey: fixtures.clientKeyEncrypted,
        passphrase: "wrong",
      });
      expect(peer.getState()).toBe(PeerState.ERROR);
      expect(peer.getError()?.kind).toBe("tls");
      expect(peer.getError()?.code).not.toBe("");
    });
  });
});
