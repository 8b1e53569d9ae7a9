import { describe, expect, it } from "vitest";
import { Err, HTTPClient, Method, ScriptedNetwork, ScriptedPeer, Status, StreamingBodySource } from "../../src/index.ts";

/** A client CONNECTED to an accepted scripted peer. */
function connected(peer: ScriptedPeer = new ScriptedPeer()): { client: HTTPClient; peer: ScriptedPeer } {
  const client = new HTTPClient({ network: new ScriptedNetwork() });
  peer.accept();
  expect(client.setConnection(peer, "example.test", 80, false)).toBe(Err.OK);
  return { client, peer };
}

describe("HTTPClient typed failures (code, fault, reason)", () => {
  it("a name that does not resolve: cant-resolve, the network's fault", () => {
    const network = new ScriptedNetwork();
    const client = new HTTPClient({ network });
    expect(client.connectToHost("nowhere.test", 80)).toBe(Err.OK);
    network.pendingLookups()[0]?.fail("ENOTFOUND");
    expect(client.poll()).toBe(Err.ERR_CANT_RESOLVE);
    expect(client.getFailure()).toEqual({ code: "cant-resolve", fault: "network", reason: client.getErrorReason() });
    expect(client.getErrorReason()).toContain("ENOTFOUND");
  });

  it("bytes that break HTTP/1.1: invalid-response, the server's fault", () => {
    const { client, peer } = connected();
    expect(client.request(Method.METHOD_GET, "/", [])).toBe(Err.OK);
    client.poll();
    peer.pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
    expect(client.poll()).toBe(Err.ERR_CONNECTION_ERROR);
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTION_ERROR);
    expect(client.getFailure()).toMatchObject({ code: "invalid-response", fault: "server" });
    expect(client.getResponseErrorCode()).not.toBe("");
  });

  it("a reset in the middle of the body: connection-lost, the network's fault", () => {
    const { client, peer } = connected();
    client.request(Method.METHOD_GET, "/", []);
    client.poll();
    peer.pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    client.poll();
    expect(client.getStatus()).toBe(Status.STATUS_BODY);
    expect(client.readResponseBodyChunk().length).toBe(3);
    peer.pushError("reset by peer");
    client.poll();
    client.readResponseBodyChunk();
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTION_ERROR);
    expect(client.getFailure()).toMatchObject({ code: "connection-lost", fault: "network" });
  });

  it("a body source that fails: upload-failed, the caller's fault", () => {
    const { client } = connected();
    const source = new StreamingBodySource();
    expect(client.request(Method.METHOD_POST, "/", [], source)).toBe(Err.OK);
    client.poll();
    source.abort("the application gave up");
    client.poll();
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTION_ERROR);
    expect(client.getFailure()).toMatchObject({ code: "upload-failed", fault: "caller" });
    expect(client.getErrorReason()).toContain("the application gave up");
  });

  it("an error thrown inside the client is a bug: ERR_BUG, internal, the library's fault, never a network failure", () => {
    class ThrowingPeer extends ScriptedPeer {
      override read(): Uint8Array {
        throw new TypeError("read exploded");
      }
    }
    const { client } = connected(new ThrowingPeer());
    client.request(Method.METHOD_GET, "/", []);
    expect(client.poll()).toBe(Err.ERR_BUG);
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTION_ERROR);
    expect(client.getFailure()).toMatchObject({ code: "internal", fault: "library" });
    expect(client.getErrorReason()).toMatch(/internal error \(a bug in poll-http.*TypeError: read exploded/);
  });

  it("no failure while things are fine, and close() forgets the last one", () => {
    const { client } = connected();
    expect(client.getFailure()).toBeNull();
    const network = new ScriptedNetwork();
    const other = new HTTPClient({ network });
    other.connectToHost("nowhere.test", 80);
    network.pendingLookups()[0]?.fail();
    other.poll();
    expect(other.getFailure()).not.toBeNull();
    other.close();
    expect(other.getFailure()).toBeNull();
  });
});
