import { describe, expect, it } from "vitest";
import { ScriptedPeer } from "../../src/client/peer/scripted-peer.ts";
import { PeerState } from "../../src/client/peer/stream-peer.ts";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const latin1 = (data: Uint8Array): string => Buffer.from(data).toString("latin1");

describe("ScriptedPeer", () => {
  it("connects when the test accepts, and tells the listener synchronously", () => {
    const peer = new ScriptedPeer({ address: "10.0.0.1", port: 8080 });
    expect(peer.address).toEqual({ address: "10.0.0.1", family: 4 });
    expect(peer.port).toBe(8080);
    let calls = 0;
    peer.setActivityListener(() => calls++);
    expect(peer.hasActivityListener()).toBe(true);
    expect(peer.getState()).toBe(PeerState.CONNECTING);
    expect(peer.write(bytes("x"))).toBe(0);
    peer.accept();
    expect(peer.getState()).toBe(PeerState.OPEN);
    expect(calls).toBe(1);
    expect(() => peer.accept()).toThrow(/OPEN, expected CONNECTING/);
  });

  it("can be refused with kind connect", () => {
    const peer = new ScriptedPeer();
    peer.refuse();
    expect(peer.getState()).toBe(PeerState.ERROR);
    expect(peer.getError()).toEqual({ kind: "connect", code: "ECONNREFUSED", message: "ECONNREFUSED: connection refused by the script" });
    const other = new ScriptedPeer({ address: "::1" });
    expect(other.address.family).toBe(6);
    other.refuse("ETIMEDOUT", "timed out");
    expect(other.getError()).toMatchObject({ kind: "connect", code: "ETIMEDOUT", message: "ETIMEDOUT: timed out" });
    expect(() => new ScriptedPeer({ address: "example.com" })).toThrow(/not an IP/);
  });

  it("delivers pushed bytes as views, strings as UTF-8", () => {
    const peer = new ScriptedPeer({ open: true });
    const chunk = bytes("hello");
    peer.pushIncoming(chunk);
    peer.pushIncoming("é");
    expect(peer.getAvailableBytes()).toBe(7);
    const part = peer.read(3);
    expect(latin1(part)).toBe("hel");
    expect(part.buffer).toBe(chunk.buffer);
    expect(latin1(peer.read(100))).toBe("lo");
    expect([...peer.read(100)]).toEqual([0xc3, 0xa9]);
    expect(peer.read(100)).toHaveLength(0);
    expect(() => new ScriptedPeer().pushIncoming("x")).toThrow(/CONNECTING, expected OPEN/);
  });

  it("records what the client writes", () => {
    const peer = new ScriptedPeer({ open: true });
    expect(peer.takeOutgoing()).toHaveLength(0);
    expect(peer.write(bytes("GET / HTTP/1.1\r\n"))).toBe(16);
    expect(peer.write(new Uint8Array([0xff]))).toBe(1);
    expect(peer.write(new Uint8Array(0))).toBe(0);
    expect(peer.getPendingWriteBytes()).toBe(0);
    expect(peer.takeOutgoingText()).toBe("GET / HTTP/1.1\r\n\u00ff");
    expect(peer.takeOutgoingText()).toBe("");
    peer.write(bytes("a"));
    const single = peer.takeOutgoing();
    expect(latin1(single)).toBe("a");
    expect(peer.getBytesWritten()).toBe(18);
  });

  it("applies back-pressure with writeCapacity until the test drains", () => {
    const peer = new ScriptedPeer({ open: true, writeCapacity: 4 });
    let calls = 0;
    peer.setActivityListener(() => calls++);
    expect(peer.write(bytes("abcdef"))).toBe(4);
    expect(peer.getPendingWriteBytes()).toBe(4);
    expect(peer.write(bytes("ef"))).toBe(0);
    expect(peer.drainOutgoing(1)).toBe(1);
    expect(calls).toBe(1);
    expect(peer.write(bytes("ef"))).toBe(1);
    expect(peer.drainOutgoing()).toBe(4);
    expect(peer.drainOutgoing()).toBe(0);
    expect(calls).toBe(2);
    expect(peer.write(bytes("f"))).toBe(1);
    expect(peer.takeOutgoingText()).toBe("abcdef");
    peer.writeCapacity = Infinity;
    expect(peer.write(new Uint8Array(1_000_000))).toBe(1_000_000);
  });

  it("ends: bytes stay readable, writes are refused, pushEnd is idempotent", () => {
    const peer = new ScriptedPeer({ open: true });
    let calls = 0;
    peer.setActivityListener(() => calls++);
    peer.pushIncoming("last");
    peer.pushEnd();
    peer.pushEnd();
    expect(calls).toBe(2);
    expect(peer.isEnded()).toBe(true);
    expect(peer.getState()).toBe(PeerState.OPEN);
    expect(latin1(peer.read(10))).toBe("last");
    expect(peer.write(bytes("x"))).toBe(0);
    expect(() => peer.pushIncoming("more")).toThrow(/already ended/);
  });

  it("fails with kind io on pushError, keeping unread bytes", () => {
    const peer = new ScriptedPeer({ open: true });
    peer.pushIncoming("part");
    peer.pushError("reset by the script");
    peer.pushError("ignored", "EPIPE");
    expect(peer.getState()).toBe(PeerState.ERROR);
    expect(peer.getError()).toEqual({ kind: "io", code: "ECONNRESET", message: "ECONNRESET: reset by the script" });
    expect(latin1(peer.read(10))).toBe("part");
    expect(peer.write(bytes("x"))).toBe(0);
  });

  it("closes: idempotent, drops unread bytes, test-side pushes ignored afterwards", () => {
    const peer = new ScriptedPeer({ open: true, writeCapacity: 10 });
    peer.write(bytes("sent"));
    peer.pushIncoming("unread");
    expect(peer.isClosed()).toBe(false);
    peer.close();
    peer.close();
    expect(peer.isClosed()).toBe(true);
    expect(peer.getState()).toBe(PeerState.CLOSED);
    expect(peer.getAvailableBytes()).toBe(0);
    expect(peer.getPendingWriteBytes()).toBe(0);
    expect(peer.write(bytes("x"))).toBe(0);
    peer.setActivityListener(() => {
      throw new Error("no activity after close");
    });
    peer.pushIncoming("late");
    peer.pushEnd();
    peer.pushError("late");
    peer.accept();
    expect(peer.getState()).toBe(PeerState.CLOSED);
    expect(peer.getError()).toBeNull();
    expect(peer.takeOutgoingText()).toBe("sent");
  });

  it("is deterministic: the same script gives the same observations", () => {
    const run = (): string[] => {
      const seen: string[] = [];
      const peer = new ScriptedPeer();
      peer.setActivityListener(() => seen.push(`activity state=${peer.getState()} available=${peer.getAvailableBytes()}`));
      peer.accept();
      peer.pushIncoming("HTTP/1.1 200 OK\r\n");
      peer.pushIncoming("\r\n");
      for (let chunk = peer.read(5); chunk.length > 0; chunk = peer.read(5)) seen.push(latin1(chunk));
      peer.pushEnd();
      return seen;
    };
    expect(run()).toEqual(run());
    expect(run()).toContain("HTTP/");
  });
});
