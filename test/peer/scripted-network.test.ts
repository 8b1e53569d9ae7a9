import { describe, expect, it } from "vitest";
import { FailedPeer } from "../../src/client/peer/failed-peer.ts";
import { ScriptedPeer } from "../../src/client/peer/scripted-peer.ts";
import { ScriptedTlsPeer } from "../../src/client/peer/scripted-tls-peer.ts";
import { PeerState } from "../../src/client/peer/stream-peer.ts";
import { ScriptedNetwork } from "../../src/client/scripted-network.ts";

describe("ScriptedNetwork lookups", () => {
  it("keeps lookups pending until the test answers them", () => {
    const network = new ScriptedNetwork();
    const seen: string[] = [];
    network.onLookup((lookup) => seen.push(lookup.host));
    const a = network.resolve("a.test");
    const b = network.resolve("b.test");
    expect(seen).toEqual(["a.test", "b.test"]);
    expect(network.pendingLookups()).toEqual([a, b]);
    expect(a.getState()).toBe("pending");

    let notified = 0;
    a.setActivityListener(() => notified++);
    a.resolve(["::1", "127.0.0.1", { address: "10.0.0.1", family: 4 }]);
    expect(notified).toBe(1);
    expect(a.getState()).toBe("done");
    expect(a.getAddresses()).toEqual([
      { address: "::1", family: 6 },
      { address: "127.0.0.1", family: 4 },
      { address: "10.0.0.1", family: 4 },
    ]);
    b.fail();
    expect(b.getState()).toBe("failed");
    expect(b.getError()).toBe("ENOTFOUND");
    expect(network.pendingLookups()).toEqual([]);
    expect(network.lookups).toEqual([a, b]);
    expect(() => a.fail()).toThrow(/already done/);
    expect(() => network.resolve("c.test").resolve([])).toThrow(/no addresses/);
    expect(() => network.resolve("d.test").resolve(["not-an-ip"])).toThrow(/not an IP/);
  });

  it("answers known hosts and IP literals at once; cancelled lookups are not pending", () => {
    const network = new ScriptedNetwork().addHost("Example.COM", ["10.0.0.1"]);
    const known = network.resolve("example.com");
    expect(known.getState()).toBe("done");
    expect(known.getAddresses()).toEqual([{ address: "10.0.0.1", family: 4 }]);
    expect(network.resolve("192.168.1.1").getAddresses()).toEqual([{ address: "192.168.1.1", family: 4 }]);
    network.removeHost("example.com");
    const unknown = network.resolve("example.com");
    expect(unknown.getState()).toBe("pending");
    unknown.cancel();
    expect(unknown.isCancelled()).toBe(true);
    expect(network.pendingLookups()).toEqual([]);
    expect(network.lookups).toHaveLength(3);
  });
});

describe("ScriptedNetwork connections", () => {
  it("records connections with their address and port, pending until accepted", () => {
    const network = new ScriptedNetwork();
    const created: ScriptedPeer[] = [];
    const stop = network.onConnection((peer) => created.push(peer));
    const first = network.connect({ address: "10.0.0.1", family: 4 }, 80);
    const second = network.connect({ address: "::1", family: 6 }, 443);
    stop();
    network.connect({ address: "10.0.0.2", family: 4 }, 80);
    expect(created).toEqual([first, second]);
    expect(network.connections).toHaveLength(3);
    expect(first.address).toEqual({ address: "10.0.0.1", family: 4 });
    expect(first.port).toBe(80);
    expect(second.port).toBe(443);
    expect(network.pendingConnections()).toHaveLength(3);
    first.accept();
    second.refuse();
    expect(network.pendingConnections()).toHaveLength(1);
    expect(second.getError()?.kind).toBe("connect");
  });

  it("opens connections at once with autoAccept", () => {
    const network = new ScriptedNetwork();
    network.autoAccept = true;
    let stateSeenByHook: number | null = null;
    network.onConnection((peer) => {
      stateSeenByHook = peer.getState();
    });
    const peer = network.connect({ address: "10.0.0.1", family: 4 }, 80);
    expect(peer.getState()).toBe(PeerState.OPEN);
    expect(stateSeenByHook).toBe(PeerState.OPEN);
    expect(network.pendingConnections()).toEqual([]);
  });
});

describe("ScriptedNetwork TLS", () => {
  it("hands the TCP peer over and keeps the handshake pending until the test completes it", () => {
    const network = new ScriptedNetwork();
    const tcp = network.connect({ address: "10.0.0.1", family: 4 }, 443);
    tcp.accept();
    const tls = network.startTls(tcp, { servername: "example.com", trustedCA: "PEM" });
    expect(tls).toBeInstanceOf(ScriptedTlsPeer);
    expect(tcp.getState()).toBe(PeerState.CLOSED);
    expect(tcp.isHandedOver()).toBe(true);
    expect(tcp.isClosed()).toBe(false);
    const [pending] = network.pendingHandshakes();
    expect(pending).toBe(tls);
    expect(pending?.options).toEqual({ servername: "example.com", trustedCA: "PEM" });
    expect(pending?.underlying).toBe(tcp);
    expect(pending?.address).toEqual(tcp.address);
    expect(pending?.port).toBe(443);
    pending?.completeHandshake();
    expect(tls.getState()).toBe(PeerState.OPEN);
    expect(network.pendingHandshakes()).toEqual([]);
    expect(network.handshakes).toEqual([tls]);
    expect(tls.write(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"))).toBe(18);
    expect(pending?.takeOutgoingText()).toBe("GET / HTTP/1.1\r\n\r\n");
  });

  it("fails a handshake with kind tls", () => {
    const network = new ScriptedNetwork();
    network.autoAccept = true;
    const tls = network.startTls(network.connect({ address: "10.0.0.1", family: 4 }, 443), { servername: "example.com" });
    let notified = 0;
    tls.setActivityListener(() => notified++);
    network.pendingHandshakes()[0]?.failHandshake("CERT_HAS_EXPIRED", "certificate has expired");
    expect(notified).toBe(1);
    expect(tls.getError()).toEqual({ kind: "tls", code: "CERT_HAS_EXPIRED", message: "CERT_HAS_EXPIRED: certificate has expired" });
    expect(() => (tls as ScriptedTlsPeer).failHandshake("X")).toThrow(/not in progress/);
  });

  it("completes handshakes at once with autoHandshake and calls onHandshake", () => {
    const network = new ScriptedNetwork();
    network.autoAccept = true;
    network.autoHandshake = true;
    const seen: ScriptedTlsPeer[] = [];
    network.onHandshake((peer) => seen.push(peer));
    const tls = network.startTls(network.connect({ address: "10.0.0.1", family: 4 }, 443), { servername: "example.com" });
    expect(tls.getState()).toBe(PeerState.OPEN);
    expect(seen).toEqual([tls]);
  });

  it("refuses TLS over a peer that is not open, not its own, or holds unread bytes", () => {
    const network = new ScriptedNetwork();
    const connecting = network.connect({ address: "10.0.0.1", family: 4 }, 443);
    const cases = [connecting, new ScriptedPeer({ open: true })];
    const withBytes = network.connect({ address: "10.0.0.1", family: 4 }, 443);
    withBytes.accept();
    withBytes.pushIncoming("early");
    cases.push(withBytes);
    for (const peer of cases) {
      const tls = network.startTls(peer, { servername: "example.com" });
      expect(tls).toBeInstanceOf(FailedPeer);
      expect(tls.getError()).toMatchObject({ kind: "tls", code: "EINVAL" });
    }
    expect(network.handshakes).toEqual([]);
    expect(withBytes.getState()).toBe(PeerState.OPEN);
  });
});
