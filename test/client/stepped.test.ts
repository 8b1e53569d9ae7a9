import { describe, expect, it } from "vitest";
import { Err, HTTPClient, Method, ScriptedNetwork, Status, type ScriptedPeer } from "../../src/index.ts";

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1");

describe("HTTPClient stepped over ScriptedNetwork", () => {
  it("asserts the status after every poll() from connectToHost to the second response on one connection", () => {
    const network = new ScriptedNetwork();
    const client = new HTTPClient({ network });
    const trace: Array<[string, Status, Err]> = [];
    const step = (label: string): void => {
      const err = client.poll();
      trace.push([label, client.getStatus(), err]);
    };

    expect(client.getStatus()).toBe(Status.STATUS_DISCONNECTED);
    expect(client.poll()).toBe(Err.ERR_UNCONFIGURED);
    expect(client.connectToHost("example.test", 8080)).toBe(Err.OK);
    expect(client.getStatus()).toBe(Status.STATUS_RESOLVING);
    expect(network.pendingLookups().map((l) => l.host)).toEqual(["example.test"]);

    step("lookup pending");
    expect(trace.at(-1)).toEqual(["lookup pending", Status.STATUS_RESOLVING, Err.OK]);

    network.pendingLookups()[0]!.resolve(["10.0.0.1", "10.0.0.2"]);
    step("resolved");
    expect(trace.at(-1)).toEqual(["resolved", Status.STATUS_CONNECTING, Err.OK]);
    expect(network.connections.map((c) => c.address.address)).toEqual(["10.0.0.1"]);

    network.connections[0]!.refuse("ECONNREFUSED");
    step("first address refused");
    expect(trace.at(-1)).toEqual(["first address refused", Status.STATUS_CONNECTING, Err.OK]);
    expect(network.connections.map((c) => c.address.address)).toEqual(["10.0.0.1", "10.0.0.2"]);

    step("second address pending");
    expect(trace.at(-1)).toEqual(["second address pending", Status.STATUS_CONNECTING, Err.OK]);

    const peer: ScriptedPeer = network.connections[1]!;
    peer.accept();
    step("accepted");
    expect(trace.at(-1)).toEqual(["accepted", Status.STATUS_CONNECTED, Err.OK]);

    step("idle");
    expect(trace.at(-1)).toEqual(["idle", Status.STATUS_CONNECTED, Err.OK]);

    expect(client.request(Method.METHOD_GET, "/one", ["X-Test: 1"])).toBe(Err.OK);
    expect(client.getStatus()).toBe(Status.STATUS_REQUESTING);
    expect(peer.takeOutgoing().length).toBe(0); // nothing is sent until poll()

    step("request written");
    expect(trace.at(-1)).toEqual(["request written", Status.STATUS_REQUESTING, Err.OK]);
    expect(text(peer.takeOutgoing())).toBe(
      "GET /one HTTP/1.1\r\nHost: example.test:8080\r\nX-Test: 1\r\nUser-Agent: poll-http/0.1.0\r\nAccept: */*\r\n\r\n",
    );

    peer.pushIncoming("HTTP/1.1 200 OK\r\nContent-Le");
    step("partial head");
    expect(trace.at(-1)).toEqual(["partial head", Status.STATUS_REQUESTING, Err.OK]);

    peer.pushIncoming("ngth: 5\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nhel");
    step("head");
    expect(trace.at(-1)).toEqual(["head", Status.STATUS_BODY, Err.OK]);
    expect(client.hasResponse()).toBe(true);
    expect(client.getResponseCode()).toBe(200);
    expect(client.getResponseBodyLength()).toBe(5);
    expect(client.getResponseHeaders()).toEqual(["Content-Length: 5", "Set-Cookie: a=1", "Set-Cookie: b=2"]);
    expect(client.getResponseHeaders()).toEqual(["Content-Length: 5", "Set-Cookie: a=1", "Set-Cookie: b=2"]);
    expect(client.getResponseHeadersAsDictionary()).toEqual({ "content-length": "5", "set-cookie": ["a=1", "b=2"] });

    expect(text(client.readResponseBodyChunk())).toBe("hel");
    expect(client.getStatus()).toBe(Status.STATUS_BODY);
    expect(client.readResponseBodyChunk().length).toBe(0);
    step("body waiting");
    expect(trace.at(-1)).toEqual(["body waiting", Status.STATUS_BODY, Err.OK]);

    peer.pushIncoming("lo");
    expect(text(client.readResponseBodyChunk())).toBe("lo");
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    step("after first response");
    expect(trace.at(-1)).toEqual(["after first response", Status.STATUS_CONNECTED, Err.OK]);

    // Second request on the same connection: chunked, and the whole response is already there.
    expect(client.request(Method.METHOD_POST, "/two", ["Content-Type: text/plain"], "data")).toBe(Err.OK);
    step("second request written");
    expect(trace.at(-1)).toEqual(["second request written", Status.STATUS_REQUESTING, Err.OK]);
    expect(text(peer.takeOutgoing())).toBe(
      "POST /two HTTP/1.1\r\nHost: example.test:8080\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n" +
        "User-Agent: poll-http/0.1.0\r\nAccept: */*\r\n\r\ndata",
    );
    peer.pushIncoming("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n");
    step("second head");
    expect(trace.at(-1)).toEqual(["second head", Status.STATUS_BODY, Err.OK]);
    expect(client.isResponseChunked()).toBe(true);
    expect(client.getResponseBodyLength()).toBe(-1);
    expect(text(client.readResponseBodyChunk())).toBe("abc");
    expect(client.readResponseBodyChunk().length).toBe(0);
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    expect(client.getResponseTrailers()).toEqual(["X-Sum: 1"]);
    expect(network.connections).toHaveLength(2); // the same connection carried both
    expect(peer.isClosed()).toBe(false);

    client.close();
    expect(client.getStatus()).toBe(Status.STATUS_DISCONNECTED);
    expect(peer.isClosed()).toBe(true);
    expect(client.poll()).toBe(Err.ERR_UNCONFIGURED);
  });

  it("passes several phases in one poll when the bytes are there", () => {
    const network = new ScriptedNetwork().addHost("h.test", ["10.1.1.1"]);
    network.autoAccept = true;
    const client = new HTTPClient({ network });
    client.connectToHost("h.test");
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    client.request(Method.METHOD_GET, "/", []);
    network.connections[0]!.pushIncoming("HTTP/1.1 204 No Content\r\n\r\n");
    expect(client.poll()).toBe(Err.OK);
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    expect(client.getResponseCode()).toBe(204);
  });
});

describe("HTTPClient reasons while disconnected", () => {
  it("poll() and request() name the status instead of an empty reason or a number", () => {
    const client = new HTTPClient();
    expect(client.poll()).toBe(Err.ERR_UNCONFIGURED);
    expect(client.getErrorReason()).toMatch(/not connected \(STATUS_DISCONNECTED\).*connectToHost/);
    expect(client.request(Method.METHOD_GET, "/", [])).toBe(Err.ERR_INVALID_PARAMETER);
    expect(client.getErrorReason()).toBe("request() needs STATUS_CONNECTED, the client is in STATUS_DISCONNECTED");
    client.close();
  });
});

describe("HTTPClient request targets and fresh connections (stepped)", () => {
  function connected(): { client: HTTPClient; peer: ScriptedPeer } {
    const network = new ScriptedNetwork();
    const client = new HTTPClient({ network });
    expect(client.connectToHost("10.0.0.1", 80)).toBe(Err.OK);
    client.poll();
    const peer: ScriptedPeer = network.connections[0]!;
    peer.accept();
    client.poll();
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    return { client, peer };
  }

  it.each([
    ["/path#frag", "/path"],
    ["/p?q=1#f#g", "/p?q=1"],
    ["/#", "/"],
    ["http://h.test/x#y", "http://h.test/x"],
  ])("never sends the fragment: %s goes out as %s", (target, sent) => {
    const { client, peer } = connected();
    expect(client.request(Method.METHOD_GET, target, [])).toBe(Err.OK);
    client.poll();
    expect(text(peer.takeOutgoing())).toMatch(new RegExp(`^GET ${sent.replace(/[?/.]/g, "\\$&")} HTTP/1\\.1\\r\\n`));
  });

  it.each([
    ["a close", (peer: ScriptedPeer): void => peer.pushEnd()],
    ["a reset", (peer: ScriptedPeer): void => peer.pushError("ECONNRESET")],
  ])("%s on a new connection before any request: STATUS_CONNECTION_ERROR, and request() does not blame its arguments", (_name, end) => {
    const { client, peer } = connected();
    end(peer);
    expect(client.request(Method.METHOD_GET, "/", [])).toBe(Err.ERR_CONNECTION_ERROR);
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTION_ERROR);
    const polled = connected();
    end(polled.peer);
    expect(polled.client.poll()).toBe(Err.ERR_CONNECTION_ERROR);
    expect(polled.client.getStatus()).toBe(Status.STATUS_CONNECTION_ERROR);
  });
});
