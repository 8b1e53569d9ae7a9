/**
 * Stepped: proxy authentication on demand (`proxyLoginHandler`, Electron's `login` for proxies)
 * over a ScriptedNetwork. A scripted HTTPS proxy refuses the CONNECT with 407 and accepts it with
 * the right `Proxy-Authorization`; a scripted HTTP proxy answers a plain request with 407 and then
 * 200. Also: the attempt cap, a handler that declines, throws or cancels, a streamed body, and the
 * client's `getProxyResponseCode()`/`getProxyResponseHeaders()`.
 */
import { describe, expect, it } from "vitest";
import {
  BytesSource,
  Err,
  HTTPClient,
  MAX_PROXY_LOGIN_ATTEMPTS,
  Method,
  Result,
  ScriptedNetwork,
  Status,
  resultName,
  type ProxyCredentials,
  type ProxyLoginInfo,
} from "../../src/index.ts";
import { ok, setup, wire, type Harness } from "./helpers.ts";

const PROXY = { "example.test": ["10.0.0.1"], "proxy.test": ["10.0.0.9"] };
const GOOD: ProxyCredentials = { user: "user", password: "pass" };
const GOOD_AUTH = `Proxy-Authorization: Basic ${Buffer.from("user:pass").toString("base64")}`;
const REFUSED = wire("HTTP/1.1 407 Proxy Authentication Required", [
  'Proxy-Authenticate: Basic realm="corp \\"net\\""',
  "Content-Length: 0",
]);
const ESTABLISHED = "HTTP/1.1 200 Connection established\r\n\r\n";

/** A handler that records what it was told and answers from `answers` (the last one repeats). */
function recorder(...answers: Array<ProxyCredentials | null>): {
  calls: ProxyLoginInfo[];
  handler: (info: ProxyLoginInfo) => ProxyCredentials | null;
} {
  const calls: ProxyLoginInfo[] = [];
  return { calls, handler: (info) => (calls.push(info), answers[Math.min(calls.length, answers.length) - 1] ?? null) };
}

/** Plays the HTTPS proxy (each CONNECT answered by `answer`) and the origin inside the tunnel. Returns the CONNECT heads seen. */
function tunnelHarness(h: Harness, answer: (head: string) => string): string[] {
  const heads: string[] = [];
  const before = h.completions.length;
  for (let tick = 0; tick < 20 && h.completions.length === before; tick++) {
    h.tick();
    const peer = h.network.connections.at(-1);
    if (peer === undefined || peer.isClosed()) continue;
    const out = peer.takeOutgoingText();
    if (out.startsWith("CONNECT ")) {
      heads.push(out);
      peer.pushIncoming(answer(out));
    }
    const tls = h.network.handshakes.at(-1);
    if (tls !== undefined && !tls.isClosed()) {
      const request = tls.takeOutgoingText();
      // The origin closes after each answer, so every request needs a new tunnel.
      if (request.startsWith("GET ")) tls.pushIncoming(ok("secret", ["Connection: close"]));
    }
  }
  return heads;
}

describe("proxyLoginHandler: HTTPS proxy refuses the CONNECT with 407", () => {
  it("the handler's credentials go into a new CONNECT; the tunnel opens and the request succeeds", () => {
    const h = setup({ hosts: PROXY });
    const { calls, handler } = recorder(GOOD);
    h.node.setHttpsProxy("proxy.test", 3128);
    h.node.proxyLoginHandler = handler;
    expect(h.node.request("https://example.test/x")).toBe(Err.OK);
    const heads = tunnelHarness(h, (head) => (head.includes(GOOD_AUTH) ? ESTABLISHED : REFUSED));
    const done = h.completions[0];
    expect(done && [resultName(done.result), done.code, done.text]).toEqual(["RESULT_SUCCESS", 200, "secret"]);
    expect(calls).toEqual([{ host: "proxy.test", port: 3128, scheme: "https", realm: 'corp "net"', attempt: 1 }]);
    expect(heads).toEqual([
      "CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n",
      `CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n${GOOD_AUTH}\r\n\r\n`,
    ]);
    expect(h.network.connections).toHaveLength(2);
    expect(h.network.connections[0]?.isClosed()).toBe(true);
    // The credentials stay: the next request sends them at once, the handler is not asked again.
    expect(h.node.request("https://example.test/y")).toBe(Err.OK);
    const again = tunnelHarness(h, (head) => (head.includes(GOOD_AUTH) ? ESTABLISHED : REFUSED));
    expect(again).toHaveLength(1);
    expect(again[0]).toContain(GOOD_AUTH);
    expect(h.completions[1]?.result).toBe(Result.RESULT_SUCCESS);
    expect(calls).toHaveLength(1);
  });

  it(`wrong credentials every time: asked ${MAX_PROXY_LOGIN_ATTEMPTS} times, then RESULT_CANT_CONNECT with 407 in the reason`, () => {
    const h = setup({ hosts: PROXY });
    const { calls, handler } = recorder({ user: "user", password: "wrong" });
    h.node.setHttpsProxy("proxy.test", 3128);
    h.node.proxyLoginHandler = handler;
    h.node.request("https://example.test/x");
    const heads = tunnelHarness(h, () => REFUSED);
    expect(MAX_PROXY_LOGIN_ATTEMPTS).toBe(3);
    expect(calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(heads).toHaveLength(4);
    const done = h.completions[0];
    expect(done && [resultName(done.result), done.code]).toEqual(["RESULT_CANT_CONNECT", 0]);
    expect(done?.reason).toContain("the proxy refused the tunnel: 407 Proxy Authentication Required");
    expect(done?.reason).toContain("proxyLoginHandler was asked 3 times");
    expect(h.node.getHttpClientStatus()).toBe(Status.STATUS_DISCONNECTED);
  });

  it.each([
    ["no handler", null],
    ["a handler that returns null", (): ProxyCredentials | null => null],
  ] as const)("%s: RESULT_CANT_CONNECT as before, one CONNECT", (_label, handler) => {
    const h = setup({ hosts: PROXY });
    h.node.setHttpsProxy("proxy.test", 3128);
    h.node.proxyLoginHandler = handler;
    h.node.request("https://example.test/x");
    expect(tunnelHarness(h, () => REFUSED)).toHaveLength(1);
    const done = h.completions[0];
    expect(done?.result).toBe(Result.RESULT_CANT_CONNECT);
    expect(done?.reason).toBe(
      "cannot open a tunnel through the proxy proxy.test:3128: the proxy refused the tunnel: 407 Proxy Authentication Required",
    );
  });

  it("a handler that throws counts as null; the error is in the reason and process() does not throw", () => {
    const h = setup({ hosts: PROXY });
    h.node.setHttpsProxy("proxy.test", 3128);
    h.node.proxyLoginHandler = () => {
      throw new Error("vault locked");
    };
    h.node.request("https://example.test/x");
    expect(tunnelHarness(h, () => REFUSED)).toHaveLength(1);
    expect(h.completions[0]?.result).toBe(Result.RESULT_CANT_CONNECT);
    expect(h.completions[0]?.reason).toContain("proxyLoginHandler threw: vault locked");
  });

  it("a 403 from the proxy does not ask the handler", () => {
    const h = setup({ hosts: PROXY });
    const { calls, handler } = recorder(GOOD);
    h.node.setHttpsProxy("proxy.test", 3128);
    h.node.proxyLoginHandler = handler;
    h.node.request("https://example.test/x");
    tunnelHarness(h, () => wire("HTTP/1.1 403 Forbidden", ["Content-Length: 0"]));
    expect(h.completions[0]?.result).toBe(Result.RESULT_CANT_CONNECT);
    expect(calls).toEqual([]);
  });

  it("a streamed body was never sent on a refused tunnel, so it goes through the new one", () => {
    const h = setup({ hosts: PROXY });
    h.node.setHttpsProxy("proxy.test", 3128);
    h.node.proxyLoginHandler = () => GOOD;
    h.node.request("https://example.test/up", [], Method.METHOD_POST, new BytesSource("payload"));
    let posted = "";
    for (let tick = 0; tick < 20 && h.completions.length === 0; tick++) {
      h.tick();
      const peer = h.network.connections.at(-1);
      const out = peer?.takeOutgoingText() ?? "";
      if (out.startsWith("CONNECT ")) peer?.pushIncoming(out.includes(GOOD_AUTH) ? ESTABLISHED : REFUSED);
      const tls = h.network.handshakes.at(-1);
      posted += tls?.takeOutgoingText() ?? "";
      if (posted.endsWith("payload") && tls !== undefined) {
        tls.pushIncoming(ok("stored"));
        posted += "|";
      }
    }
    expect(posted).toMatch(/^POST \/up HTTP\/1\.1\r\n[\s\S]*\r\n\r\npayload\|$/);
    expect(h.completions[0] && [resultName(h.completions[0].result), h.completions[0].text]).toEqual(["RESULT_SUCCESS", "stored"]);
  });

  it("a handler that cancels the request: nothing is emitted and no new connection is opened", () => {
    const h = setup({ hosts: PROXY });
    h.node.setHttpsProxy("proxy.test", 3128);
    h.node.proxyLoginHandler = () => {
      h.node.cancelRequest();
      return GOOD;
    };
    h.node.request("https://example.test/x");
    tunnelHarness(h, () => REFUSED);
    h.ticks(3);
    expect(h.completions).toEqual([]);
    expect(h.network.connections).toHaveLength(1);
  });
});

describe("proxyLoginHandler: HTTP proxy answers a plain request with 407", () => {
  /** Serves each new proxy connection with `answer(requestHead)` until the node completes. */
  function run(h: Harness, answer: (head: string) => string): string[] {
    const heads: string[] = [];
    let served = 0;
    for (let tick = 0; tick < 20 && served < 10; tick++) {
      const before = h.completions.length;
      h.tick();
      const peer = h.network.connections.at(-1);
      const out = peer?.takeOutgoingText() ?? "";
      if (out !== "" && peer !== undefined) {
        heads.push(out);
        served++;
        peer.pushIncoming(answer(out));
      }
      if (h.completions.length > before) break;
    }
    return heads;
  }

  it("the request is sent again on a new connection with Proxy-Authorization; 200", () => {
    const h = setup({ hosts: PROXY });
    const { calls, handler } = recorder(GOOD);
    h.node.setHttpProxy("proxy.test", 8080);
    h.node.proxyLoginHandler = handler;
    h.node.request("http://example.test/a", [], Method.METHOD_PUT, "data");
    const heads = run(h, (head) => (head.includes(GOOD_AUTH) ? ok("fine") : REFUSED));
    expect(h.completions[0] && [resultName(h.completions[0].result), h.completions[0].code, h.completions[0].text]).toEqual([
      "RESULT_SUCCESS",
      200,
      "fine",
    ]);
    expect(calls).toEqual([{ host: "proxy.test", port: 8080, scheme: "http", realm: 'corp "net"', attempt: 1 }]);
    expect(heads).toHaveLength(2);
    expect(heads[0]).toMatch(/^PUT http:\/\/example\.test\/a HTTP\/1\.1\r\n/);
    expect(heads[0]).not.toContain("Proxy-Authorization");
    expect(heads[1]).toMatch(/^PUT http:\/\/example\.test\/a HTTP\/1\.1\r\n/);
    expect(heads[1]).toContain(`\r\n${GOOD_AUTH}\r\n`);
    expect(heads[1]?.endsWith("\r\n\r\ndata")).toBe(true);
    expect(h.network.connections[0]?.isClosed()).toBe(true);
  });

  it(`wrong credentials every time: asked ${MAX_PROXY_LOGIN_ATTEMPTS} times, then the 407 is the response (SUCCESS, code 407)`, () => {
    const h = setup({ hosts: PROXY });
    const { calls, handler } = recorder({ user: "user", password: "wrong" });
    h.node.setHttpProxy("proxy.test", 8080);
    h.node.proxyLoginHandler = handler;
    h.node.request("http://example.test/a");
    const denied = wire(
      "HTTP/1.1 407 Proxy Authentication Required",
      ['Proxy-Authenticate: Basic realm="corp"', "Content-Length: 6"],
      "denied",
    );
    expect(run(h, () => denied)).toHaveLength(4);
    expect(calls.map((c) => [c.attempt, c.realm])).toEqual([
      [1, "corp"],
      [2, "corp"],
      [3, "corp"],
    ]);
    const done = h.completions[0];
    expect(done && [resultName(done.result), done.code, done.text]).toEqual(["RESULT_SUCCESS", 407, "denied"]);
    expect(done?.headers).toContain('Proxy-Authenticate: Basic realm="corp"');
  });

  it("no handler: the 407 is the response, one request", () => {
    const h = setup({ hosts: PROXY });
    h.node.setHttpProxy("proxy.test", 8080);
    h.node.request("http://example.test/a");
    expect(run(h, () => REFUSED)).toHaveLength(1);
    expect(h.completions[0] && [resultName(h.completions[0].result), h.completions[0].code]).toEqual(["RESULT_SUCCESS", 407]);
    expect(h.completions[0]?.reason).toBe("");
  });

  it("a 407 from an origin reached without a proxy does not ask the handler", () => {
    const h = setup({ hosts: PROXY });
    const { calls, handler } = recorder(GOOD);
    h.node.proxyLoginHandler = handler;
    h.node.request("http://example.test/a");
    run(h, () => REFUSED);
    expect(h.completions[0]?.code).toBe(407);
    expect(calls).toEqual([]);
  });

  it('a realm-less challenge gives realm ""; credentials with CR/LF are refused (the 407 stays the answer)', () => {
    const h = setup({ hosts: PROXY });
    const { calls, handler } = recorder({ user: "user", password: "x\r\nX-Evil: 1" });
    h.node.setHttpProxy("proxy.test", 8080);
    h.node.proxyLoginHandler = handler;
    h.node.request("http://example.test/a");
    const heads = run(h, () => wire("HTTP/1.1 407 Auth", ["Proxy-Authenticate: Negotiate", "Content-Length: 0"]));
    expect(heads).toHaveLength(1);
    expect(calls.map((c) => c.realm)).toEqual([""]);
    expect(h.completions[0]?.code).toBe(407);
    expect(h.completions[0]?.reason).toContain("proxyLoginHandler gave unusable credentials");
  });

  it("a streamed body cannot be sent again: RESULT_REQUEST_FAILED, the credentials stay for the next request", () => {
    const h = setup({ hosts: PROXY });
    const { calls, handler } = recorder(GOOD);
    h.node.setHttpProxy("proxy.test", 8080);
    h.node.proxyLoginHandler = handler;
    h.node.request("http://example.test/up", [], Method.METHOD_POST, new BytesSource("payload"));
    expect(run(h, (head) => (head.includes(GOOD_AUTH) ? ok() : REFUSED))).toHaveLength(1);
    expect(h.completions[0]?.result).toBe(Result.RESULT_REQUEST_FAILED);
    expect(h.completions[0]?.reason).toContain("a streamed body cannot be sent again");
    h.node.request("http://example.test/up", [], Method.METHOD_POST, new BytesSource("payload"));
    const heads = run(h, (head) => (head.includes(GOOD_AUTH) ? ok("ok") : REFUSED));
    expect(heads).toHaveLength(1);
    expect(h.completions[1] && [resultName(h.completions[1].result), h.completions[1].text]).toEqual(["RESULT_SUCCESS", "ok"]);
    expect(calls).toHaveLength(1);
  });
});

describe("HTTPClient: the proxy's answer to CONNECT", () => {
  it("getProxyResponseCode/Headers keep a refused CONNECT's answer until the next connectToHost", () => {
    const network = new ScriptedNetwork();
    network.addHost("proxy.test", ["10.0.0.9"]);
    network.autoAccept = true;
    const client = new HTTPClient({ network });
    expect([client.getProxyResponseCode(), client.getProxyResponseHeaders()]).toEqual([0, []]);
    client.setHttpsProxy("proxy.test", 3128);
    expect(client.connectToHost("https://example.test")).toBe(Err.OK);
    client.poll();
    expect(client.getProxyResponseCode()).toBe(0);
    network.connections[0]?.pushIncoming(REFUSED);
    expect(client.poll()).toBe(Err.ERR_CANT_CONNECT);
    expect(client.getStatus()).toBe(Status.STATUS_CANT_CONNECT);
    expect(client.getProxyResponseCode()).toBe(407);
    expect(client.getProxyResponseHeaders()).toEqual(['Proxy-Authenticate: Basic realm="corp \\"net\\""', "Content-Length: 0"]);
    client.close();
    expect(client.getProxyResponseCode()).toBe(407);

    client.setHttpsProxy("proxy.test", 3128, GOOD);
    client.connectToHost("https://example.test");
    expect([client.getProxyResponseCode(), client.getProxyResponseHeaders()]).toEqual([0, []]);
    client.poll();
    expect(network.connections[1]?.takeOutgoingText()).toContain(GOOD_AUTH);
    network.connections[1]?.pushIncoming("HTTP/1.1 200 Connection established\r\nVia: scripted\r\n\r\n");
    client.poll();
    expect([client.getProxyResponseCode(), client.getProxyResponseHeaders()]).toEqual([200, ["Via: scripted"]]);
    client.close();
  });

  it("a direct connection has no proxy answer", () => {
    const network = new ScriptedNetwork();
    network.addHost("example.test", ["10.0.0.1"]);
    network.autoAccept = true;
    const client = new HTTPClient({ network });
    client.connectToHost("example.test", 80);
    client.poll();
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    expect(client.getProxyResponseCode()).toBe(0);
    client.close();
  });
});
