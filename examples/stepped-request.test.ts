// A vitest test that steps an HTTPRequest by hand: no socket, no timer, no event loop turn.
// ScriptedNetwork plays DNS and the network, ScriptedPeer plays the server, and each
// `tree.process(delta)` is one frame of virtual time. Run it with `npx vitest run examples/`.
import { describe, expect, it } from "vitest";
import { Err, HTTPRequest, Method, Result, SceneTree, ScriptedNetwork, Status, resultName, statusName } from "../src/index.ts";

/** The arguments of one `requestCompleted` emission, with the frame it happened in. */
interface Completed {
  readonly frame: number;
  readonly result: string;
  readonly code: number;
  readonly body: string;
}

// #region setup
function setup(): { tree: SceneTree; req: HTTPRequest; network: ScriptedNetwork; done: Completed[] } {
  const network = new ScriptedNetwork(); // lookups and connections wait for the test to settle them
  const tree = new SceneTree();
  const req = new HTTPRequest({ network });
  tree.root.addChild(req);
  const done: Completed[] = [];
  req.requestCompleted.connect((result, code, _headers, body) => {
    done.push({ frame: tree.getFrame(), result: resultName(result), code, body: new TextDecoder().decode(body) });
  });
  return { tree, req, network, done };
}
// #endregion setup

describe("stepping a request by hand", () => {
  it("walks DNS, connect, request, a body split in two, and completion, one frame at a time", () => {
    // #region walk
    const { tree, req, network, done } = setup();
    const frame = 1 / 60;
    expect(req.request("http://api.test/player?id=42", ["Accept: application/json"])).toBe(Err.OK);

    // The lookup is pending until the test answers it: frames pass, nothing else happens.
    tree.process(frame);
    tree.process(frame);
    expect(statusName(req.getHttpClientStatus())).toBe("STATUS_RESOLVING");
    const [lookup] = network.pendingLookups();
    expect(lookup?.host).toBe("api.test");
    lookup?.resolve(["10.0.0.7"]);

    // Next frame: the client connects to that address; the connection waits for accept().
    tree.process(frame);
    const peer = network.connections[0];
    if (peer === undefined) throw new Error("no connection was opened");
    expect([peer.address.address, peer.port]).toEqual(["10.0.0.7", 80]);
    expect(req.getHttpClientStatus()).toBe(Status.STATUS_CONNECTING);
    peer.accept();

    // Next frame: connected, and the request is written in the same frame.
    tree.process(frame);
    const sent = peer.takeOutgoingText();
    expect(sent).toMatch(/^GET \/player\?id=42 HTTP\/1\.1\r\n/);
    expect(sent).toContain("\r\nAccept: application/json\r\n");
    expect(sent).toContain("\r\nHost: api.test\r\n");

    // The server answers in two pieces; each frame drains whatever has arrived.
    peer.pushIncoming('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n{"id":42,');
    tree.process(frame);
    expect(req.getDownloadedBytes()).toBe(9);
    expect(done).toEqual([]);
    peer.pushIncoming('"name":"Ada"}');
    tree.process(frame);

    // Completed at the end of frame 6, exactly once; the connection stays open for the next request.
    expect(done).toEqual([{ frame: 6, result: "RESULT_SUCCESS", code: 200, body: '{"id":42,"name":"Ada"}' }]);
    expect(req.getHttpClientStatus()).toBe(Status.STATUS_CONNECTED);
    // #endregion walk
  });

  it("times out in virtual time: 2 s of deltas, whatever the wall clock says", () => {
    // #region timeout
    const { tree, req, network, done } = setup();
    network.addHost("slow.test", ["10.0.0.9"]); // resolves at once
    network.autoAccept = true; // connections open at once
    req.timeout = 2;
    req.request("http://slow.test/never");
    for (let i = 0; i < 19; i++) tree.process(0.1); // 1.9 s: the server has not answered
    expect(done).toEqual([]);
    tree.process(0.1); // 2.0 s
    expect(done).toEqual([{ frame: 20, result: "RESULT_TIMEOUT", code: 0, body: "" }]);
    expect(req.getErrorReason()).toBe("timed out after 2 s");
    // #endregion timeout
  });

  it("follows a redirect across hosts and drops the Authorization header on the way", () => {
    const { tree, req, network, done } = setup();
    network.addHost("old.test", ["10.0.0.1"]).addHost("new.test", ["10.0.0.2"]);
    network.autoAccept = true;
    req.request("http://old.test/file", ["Authorization: Bearer secret"], Method.METHOD_GET);
    tree.process(0.1);
    const first = network.connections[0];
    expect(first?.takeOutgoingText()).toContain("Authorization: Bearer secret");
    first?.pushIncoming("HTTP/1.1 301 Moved\r\nLocation: http://new.test/file\r\nContent-Length: 0\r\n\r\n");
    tree.process(0.1);
    const second = network.connections[1];
    const sent = second?.takeOutgoingText() ?? "";
    expect(sent).toContain("Host: new.test");
    expect(sent).not.toContain("Authorization");
    second?.pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    tree.process(0.1);
    expect(done).toEqual([{ frame: 3, result: "RESULT_SUCCESS", code: 200, body: "hello" }]);
    expect(resultName(Result.RESULT_SUCCESS)).toBe("RESULT_SUCCESS");
  });
});
