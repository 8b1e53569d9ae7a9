/**
 * HTTPClient through a tiny forward proxy written here (node:net): absolute-form requests and
 * Proxy-Authorization for plain HTTP, CONNECT tunnels for HTTPS, and a proxy that refuses.
 */
import { connect as netConnect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { Err, HTTPClient, Method, Status, TLSOptions } from "../../src/index.ts";
import { connect, pollUntil, readBody, requestAndWait, serveRequests, TERMINAL } from "../helpers/client-driver.ts";
import {
  readRequestHead,
  startTcpServer,
  startTlsServer,
  writeResponse,
  type LoopbackServer,
  type RequestHead,
} from "../helpers/loopback-server.ts";
import { fixtures } from "../helpers/tls-fixtures.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";

const track = cleanupAfterEach().track;

const BASIC_USER_PASS = `Basic ${Buffer.from("user:pass").toString("base64")}`;

interface TestProxy extends LoopbackServer {
  /** The first request head of each connection the proxy accepted. */
  readonly heads: RequestHead[];
}

function header(head: RequestHead, name: string): string | undefined {
  const line = head.headers.find((h) => h.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(line.indexOf(":") + 1).trim();
}

/** Pipes `client` to a new connection to `port` on 127.0.0.1, writing `first` to it once open. */
function pipeTo(client: Socket, port: number, first: Buffer): void {
  const upstream = netConnect({ host: "127.0.0.1", port }, () => {
    upstream.write(first);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  upstream.on("error", () => client.destroy());
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => client.destroy());
}

/**
 * A forward proxy: absolute-form requests are rewritten to origin form (Proxy-Authorization
 * removed) and forwarded; `CONNECT` is answered with `connectAnswer` and, when that is a 200,
 * tunnelled to the requested port on 127.0.0.1.
 */
async function startProxy(connectAnswer = "HTTP/1.1 200 Connection established\r\nContent-Length: 0\r\n\r\n"): Promise<TestProxy> {
  const heads: RequestHead[] = [];
  const srv = await startTcpServer((socket) => {
    void readRequestHead(socket).then(
      (head) => {
        heads.push(head);
        const [method, target] = head.requestLine.split(" ");
        if (method === "CONNECT") {
          socket.write(connectAnswer);
          if (!/^HTTP\/1\.[01] 200/.test(connectAnswer)) return;
          pipeTo(socket, Number(target?.slice(target.lastIndexOf(":") + 1)), head.rest);
          return;
        }
        const url = new URL(target ?? "");
        const forwarded = [
          `${method} ${url.pathname}${url.search} HTTP/1.1`,
          ...head.headers.filter((h) => !/^proxy-authorization:/i.test(h)),
        ];
        pipeTo(socket, Number(url.port), Buffer.concat([Buffer.from(`${forwarded.join("\r\n")}\r\n\r\n`, "latin1"), head.rest]));
      },
      () => undefined,
    );
  });
  return track(Object.assign(srv, { heads }));
}

/** An origin answering with its request line; records every request head. */
async function startOrigin(): Promise<LoopbackServer & { readonly heads: RequestHead[] }> {
  const heads: RequestHead[] = [];
  const srv = await startTcpServer((socket) =>
    serveRequests(socket, (request, _index, s) => {
      heads.push(request);
      writeResponse(s, { body: `origin saw ${request.requestLine}` });
    }),
  );
  return track(Object.assign(srv, { heads }));
}

describe("HTTPClient through an HTTP proxy over loopback", () => {
  it("sends absolute-form requests with Proxy-Authorization to the proxy, never to the origin", async () => {
    const origin = await startOrigin();
    const proxy = await startProxy();
    const client = track(new HTTPClient());
    expect(client.setHttpProxy("user:pass@127.0.0.1", proxy.port)).toBe(Err.OK);
    await connect(client, "127.0.0.1", origin.port);
    await requestAndWait(client, Method.METHOD_GET, "/path?q=1", ["X-Mine: 1"]);
    const read = await readBody(client);
    expect(read.body.toString()).toBe("origin saw GET /path?q=1 HTTP/1.1");
    const seen = proxy.heads[0]!;
    expect(seen.requestLine).toBe(`GET http://127.0.0.1:${origin.port}/path?q=1 HTTP/1.1`);
    expect(header(seen, "Proxy-Authorization")).toBe(BASIC_USER_PASS);
    expect(header(seen, "Host")).toBe(`127.0.0.1:${origin.port}`);
    expect(header(seen, "X-Mine")).toBe("1");
    const atOrigin = origin.heads[0]!;
    expect(header(atOrigin, "Proxy-Authorization")).toBeUndefined();
    expect(header(atOrigin, "Host")).toBe(`127.0.0.1:${origin.port}`);
    expect(origin.connections.length).toBe(1);
  });

  it("connects directly when only an HTTPS proxy is set", async () => {
    const origin = await startOrigin();
    const proxy = await startProxy();
    const client = track(new HTTPClient());
    expect(client.setHttpsProxy("127.0.0.1", proxy.port)).toBe(Err.OK);
    await connect(client, "127.0.0.1", origin.port);
    await requestAndWait(client, Method.METHOD_GET, "/direct");
    expect((await readBody(client)).body.toString()).toBe("origin saw GET /direct HTTP/1.1");
    expect(proxy.connections.length).toBe(0);
  });
});

describe("HTTPClient through an HTTPS (CONNECT) proxy over loopback", () => {
  it("opens a CONNECT tunnel and runs TLS to the origin's name inside it", async () => {
    const sni: Array<string | false | null> = [];
    const origin = track(
      await startTlsServer({ cert: fixtures.serverCert, key: fixtures.serverKey }, (socket) => {
        sni.push(socket.servername);
        serveRequests(socket, (request, _index, s) => writeResponse(s, { body: `tls origin saw ${request.requestLine}` }));
      }),
    );
    const proxy = await startProxy();
    const client = track(new HTTPClient());
    expect(client.setHttpsProxy("user:pass@127.0.0.1", proxy.port)).toBe(Err.OK);
    await connect(client, "localhost", origin.port, TLSOptions.client(fixtures.ca));
    await requestAndWait(client, Method.METHOD_GET, "/through");
    const read = await readBody(client);
    expect(read.body.toString()).toBe("tls origin saw GET /through HTTP/1.1");
    expect(read.status).toBe(Status.STATUS_CONNECTED);
    const seen = proxy.heads[0]!;
    expect(seen.requestLine).toBe(`CONNECT localhost:${origin.port} HTTP/1.1`);
    expect(header(seen, "Host")).toBe(`localhost:${origin.port}`);
    expect(header(seen, "Proxy-Authorization")).toBe(BASIC_USER_PASS);
    expect(sni).toEqual(["localhost"]);
    // The tunnel carries further requests.
    await requestAndWait(client, Method.METHOD_GET, "/second");
    expect((await readBody(client)).body.toString()).toBe("tls origin saw GET /second HTTP/1.1");
    expect(proxy.connections.length).toBe(1);
  });

  it("reports CANT_CONNECT with 407 in the reason when the proxy refuses the tunnel", async () => {
    const proxy = await startProxy(
      'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n',
    );
    const client = track(new HTTPClient());
    expect(client.setHttpsProxy("127.0.0.1", proxy.port)).toBe(Err.OK);
    expect(client.connectToHost("localhost", 443, TLSOptions.client(fixtures.ca))).toBe(Err.OK);
    const err = await pollUntil(client, (s) => TERMINAL.has(s) || s === Status.STATUS_CONNECTED, "a terminal status");
    expect(client.getStatus()).toBe(Status.STATUS_CANT_CONNECT);
    expect(err).toBe(Err.ERR_CANT_CONNECT);
    expect(client.getErrorReason()).toContain("407");
    expect(proxy.heads[0]?.requestLine).toBe("CONNECT localhost:443 HTTP/1.1");
    expect(proxy.heads[0] === undefined ? undefined : header(proxy.heads[0], "Proxy-Authorization")).toBeUndefined();
  });

  it("reports CANT_CONNECT when the proxy closes before answering CONNECT", async () => {
    const proxy = track(
      await startTcpServer(
        (socket) =>
          void readRequestHead(socket).then(
            () => socket.end(),
            () => undefined,
          ),
      ),
    );
    const client = track(new HTTPClient());
    expect(client.setHttpsProxy("127.0.0.1", proxy.port)).toBe(Err.OK);
    expect(client.connectToHost("localhost", 443, TLSOptions.client(fixtures.ca))).toBe(Err.OK);
    const err = await pollUntil(client, (s) => TERMINAL.has(s) || s === Status.STATUS_CONNECTED, "a terminal status");
    expect(client.getStatus()).toBe(Status.STATUS_CANT_CONNECT);
    expect(err).toBe(Err.ERR_CANT_CONNECT);
    expect(client.getErrorReason()).toMatch(/proxy/);
  });

  it("accepts a CONNECT answer without Content-Length", async () => {
    const origin = track(
      await startTlsServer({ cert: fixtures.serverCert, key: fixtures.serverKey }, (socket) =>
        serveRequests(socket, (request, _index, s) => writeResponse(s, { body: `tls origin saw ${request.requestLine}` })),
      ),
    );
    const proxy = await startProxy("HTTP/1.0 200 Connection established\r\nProxy-Agent: test\r\n\r\n");
    const client = track(new HTTPClient());
    expect(client.setHttpsProxy("127.0.0.1", proxy.port)).toBe(Err.OK);
    await connect(client, "localhost", origin.port, TLSOptions.client(fixtures.ca));
    await requestAndWait(client, Method.METHOD_GET, "/bare");
    expect((await readBody(client)).body.toString()).toBe("tls origin saw GET /bare HTTP/1.1");
  });
});
