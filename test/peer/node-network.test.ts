import { describe, expect, it } from "vitest";
import { NodeLookup } from "../../src/client/node-lookup.ts";
import { NodeNetwork } from "../../src/client/node-network.ts";
import { FailedPeer } from "../../src/client/peer/failed-peer.ts";
import { ScriptedPeer } from "../../src/client/peer/scripted-peer.ts";
import { PeerState } from "../../src/client/peer/stream-peer.ts";
import type { TcpPeer } from "../../src/client/peer/tcp-peer.ts";
import { TlsPeer } from "../../src/client/peer/tls-peer.ts";
import { readRequestHead, startTcpServer, startTlsServer, writeResponse } from "../helpers/loopback-server.ts";
import { fixtures } from "../helpers/tls-fixtures.ts";
import { waitUntil } from "../helpers/wait.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";

const track = cleanupAfterEach().track;

describe("NodeNetwork.resolve", () => {
  it("resolves localhost to at least one address, without blocking", async () => {
    const lookup = new NodeNetwork().resolve("localhost");
    expect(lookup.host).toBe("localhost");
    expect(lookup.getState()).toBe("pending");
    let notified = 0;
    lookup.setActivityListener(() => notified++);
    await waitUntil(() => lookup.getState() !== "pending", "lookup");
    expect(lookup.getState()).toBe("done");
    expect(lookup.getAddresses().length).toBeGreaterThanOrEqual(1);
    for (const address of lookup.getAddresses()) expect([4, 6]).toContain(address.family);
    expect(lookup.getError()).toBe("");
    expect(notified).toBe(1);
  });

  it("fails for nonexistent.invalid with a code", async () => {
    const lookup = new NodeNetwork().resolve("nonexistent.invalid");
    await waitUntil(() => lookup.getState() !== "pending", "lookup");
    expect(lookup.getState()).toBe("failed");
    expect(lookup.getError()).toMatch(/^E[A-Z_]+$/);
    expect(lookup.getErrorMessage()).toContain(lookup.getError());
    expect(lookup.getAddresses()).toEqual([]);
  });

  it("answers IP literals at once", () => {
    const network = new NodeNetwork();
    expect(network.resolve("127.0.0.1").getAddresses()).toEqual([{ address: "127.0.0.1", family: 4 }]);
    const v6 = network.resolve("[::1]");
    expect(v6.getState()).toBe("done");
    expect(v6.getAddresses()).toEqual([{ address: "::1", family: 6 }]);
  });

  it("drops the answer of a cancelled lookup", async () => {
    const lookup = new NodeLookup("localhost");
    lookup.cancel();
    lookup.cancel();
    expect(lookup.isCancelled()).toBe(true);
    const control = new NodeLookup("localhost");
    await waitUntil(() => control.getState() !== "pending", "control lookup");
    expect(lookup.getState()).toBe("pending");
  });
});

describe("NodeNetwork.connect and startTls", () => {
  it("passes buffer bounds to its peers, clamped", () => {
    const network = new NodeNetwork({ readBufferBytes: 128 * 1024, writeBufferBytes: 1 });
    const peer = track(network.connect({ address: "127.0.0.1", family: 4 }, 9)) as TcpPeer;
    expect(peer.getReadBufferBytes()).toBe(128 * 1024);
    expect(peer.getWriteBufferBytes()).toBe(16 * 1024);
    const own = track(network.connect({ address: "127.0.0.1", family: 4 }, 9, { readBufferBytes: 8 * 1024 * 1024 })) as TcpPeer;
    expect(own.getReadBufferBytes()).toBe(8 * 1024 * 1024);
  });

  it("returns a failed peer for an invalid port", () => {
    const peer = new NodeNetwork().connect({ address: "127.0.0.1", family: 4 }, 0);
    expect(peer).toBeInstanceOf(FailedPeer);
    expect(peer.getError()).toMatchObject({ kind: "connect", code: "ERR_SOCKET_BAD_PORT" });
    expect(peer.read(10)).toHaveLength(0);
    expect(peer.write(new Uint8Array(1))).toBe(0);
    peer.close();
    expect(peer.getState()).toBe(PeerState.CLOSED);
  });

  it("refuses TLS over a peer that is not its own open TCP peer", async () => {
    const network = new NodeNetwork();
    const foreign = network.startTls(new ScriptedPeer({ open: true }), { servername: "localhost" });
    expect(foreign.getError()).toMatchObject({ kind: "tls", code: "EINVAL" });
    const server = track(await startTcpServer((socket) => socket.write("early")));
    const tcp = track(network.connect({ address: "127.0.0.1", family: 4 }, server.port));
    expect(network.startTls(tcp, { servername: "localhost" }).getError()?.code).toBe("EINVAL"); // still connecting
    await waitUntil(() => tcp.getAvailableBytes() > 0, "early bytes");
    expect(network.startTls(tcp, { servername: "localhost" }).getError()?.code).toBe("EINVAL"); // unread bytes
    expect(tcp.getState()).toBe(PeerState.OPEN);
  });

  it("runs an HTTPS request end to end: resolve localhost, connect, TLS, request, response", async () => {
    const server = track(
      await startTlsServer({ cert: fixtures.serverCert, key: fixtures.serverKey, ALPNProtocols: ["http/1.1"] }, (socket) => {
        void readRequestHead(socket).then((request) => {
          writeResponse(socket, { headers: ["X-Request-Line: " + request.requestLine], body: "secure hello", close: true });
        });
      }),
    );
    const network = new NodeNetwork();
    const lookup = network.resolve("localhost");
    await waitUntil(() => lookup.getState() !== "pending", "lookup");
    const address = lookup.getAddresses().find((entry) => entry.family === 4) ?? { address: "127.0.0.1", family: 4 as const };
    const tcp = track(network.connect(address, server.port));
    await waitUntil(() => tcp.getState() !== PeerState.CONNECTING, "connect");
    const tls = track(network.startTls(tcp, { servername: "localhost", trustedCA: fixtures.ca }));
    expect(tls).toBeInstanceOf(TlsPeer);
    await waitUntil(() => tls.getState() !== PeerState.CONNECTING, "handshake");
    expect(tls.getError()).toBeNull();

    const request = new TextEncoder().encode("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
    expect(tls.write(request)).toBe(request.length);
    await waitUntil(() => tls.isEnded(), "response");
    const chunks: Uint8Array[] = [];
    for (let chunk = tls.read(4096); chunk.length > 0; chunk = tls.read(4096)) chunks.push(chunk);
    const response = Buffer.concat(chunks).toString("latin1");
    expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(response).toContain("X-Request-Line: GET /hello HTTP/1.1\r\n");
    expect(response.endsWith("\r\n\r\nsecure hello")).toBe(true);
  });
});
