/**
 * Reach: a real forward proxy (Debian tinyproxy) in front of a real nginx. Plain HTTP through the
 * proxy (absolute-form request line in tinyproxy's log, tinyproxy's `Via` in nginx's log), HTTPS
 * through a CONNECT tunnel (the tunnel in tinyproxy's log, SNI and verification against the origin
 * name at nginx), Basic proxy authentication (407 as a response on the plain path, CANT_CONNECT
 * with 407 in the reason on the tunnel path; credentials on demand from `proxyLoginHandler`), and proxy settings that survive redirects, including
 * an http → https redirect that switches to the HTTPS proxy. Each server is started once for the file.
 */
import { describe, expect, it } from "vitest";
import { Err, getHeaderValue, HTTPRequest, Method, Result, Status, TLSOptions, type ProxyLoginInfo } from "../../src/index.ts";
import { connect, pollToStatus, readBody, requestAndWait } from "../helpers/client-driver.ts";
import { startNginx, type AccessLogEntry, type NginxServer } from "../helpers/nginx.ts";
import { ipv6LoopbackUsable } from "../helpers/real-process.ts";
import { fixtures } from "../helpers/tls-fixtures.ts";
import { startTinyproxy, type Tinyproxy } from "../helpers/tinyproxy.ts";
import { fetchOnce, newClient, withNode, realServersPerFile } from "./reach-helpers.ts";

const HELLO = "hello through the proxy\n";
const ipv6 = await ipv6LoopbackUsable();
const LINES = Array.from({ length: 3000 }, (_, i) => `${i}: through tinyproxy, gzip-compressed by nginx\n`).join("");
const CA = TLSOptions.client(fixtures.ca);

let nginx: NginxServer;
let proxy: Tinyproxy;
let authProxy: Tinyproxy;

realServersPerFile(
  async () => {
    nginx = await startNginx({
      ipv6,
      files: { "raw/hello.txt": HELLO, "text/lines.txt": LINES },
      httpLocations: (ports) => `
      location = /redirect/same-origin { return 302 /raw/hello.txt?from=same-origin; }
      location = /redirect/to-https { return 302 https://localhost:${ports.httpsPort}/raw/hello.txt?from=to-https; }
      location = /redirect/to-https-direct { return 302 https://localhost:${ports.httpsPort}/raw/hello.txt?from=to-https-direct; }
      location = /redirect/to-https-auth { return 302 https://localhost:${ports.httpsPort}/raw/hello.txt?from=to-https-auth; }`,
    });
    // One after the other, so that each one started is assigned (and stopped) even if the next fails.
    proxy = await startTinyproxy({ connectPorts: [nginx.httpsPort] });
    authProxy = await startTinyproxy({ connectPorts: [nginx.httpsPort], basicAuth: { user: "user", password: "pass" } });
  },
  async () => {
    await Promise.all([proxy?.stop(), authProxy?.stop()]);
    await nginx?.stop();
  },
);

function entryFor(path: string): Promise<AccessLogEntry> {
  return nginx
    .waitForAccessLog((all) => all.some((e) => e.request.includes(path)), `an entry for ${path}`)
    .then((all) => all.find((e) => e.request.includes(path)) as AccessLogEntry);
}

/** Waits until `server`'s log holds a request line equal to `line`. */
function proxied(server: Tinyproxy, line: string): Promise<string> {
  return server.waitForLog((log) => log.includes(`): ${line}\n`), `request line ${JSON.stringify(line)}`);
}

describe("tinyproxy, plain HTTP", () => {
  it("HTTPRequest with setHttpProxy: absolute-form request at the proxy, Via at nginx", async () => {
    const url = nginx.httpUrl("/raw/hello.txt?via=proxy-node");
    const done = await fetchOnce(url, { configure: (node) => node.setHttpProxy("127.0.0.1", proxy.port) });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect([done.code, done.text]).toEqual([200, HELLO]);
    expect(done.header("via")).toMatch(/tinyproxy/);
    await proxied(proxy, `GET ${url} HTTP/1.1`);
    const entry = await entryFor("?via=proxy-node");
    expect(entry.http_via).toMatch(/tinyproxy/);
    expect(entry.http_host).toBe(`127.0.0.1:${nginx.httpPort}`);
  });

  it("HTTPClient with setHttpProxy sends the absolute form for an origin-form target", async () => {
    const client = newClient();
    expect(client.setHttpProxy("127.0.0.1", proxy.port)).toBe(Err.OK);
    await connect(client, "127.0.0.1", nginx.httpPort);
    expect(await requestAndWait(client, Method.METHOD_GET, "/raw/hello.txt?via=proxy-client")).toBe(Err.OK);
    expect(client.getResponseCode()).toBe(200);
    expect((await readBody(client)).body.toString("latin1")).toBe(HELLO);
    await proxied(proxy, `GET ${nginx.httpUrl("/raw/hello.txt?via=proxy-client")} HTTP/1.1`);
    expect((await entryFor("?via=proxy-client")).http_via).toMatch(/tinyproxy/);
  });

  it("consecutive requests on one node through the proxy (which closes after each answer) all succeed", async () => {
    await withNode(
      (node) => node.setHttpProxy("127.0.0.1", proxy.port),
      async (fetch) => {
        for (let i = 1; i <= 3; i++) {
          const done = await fetch(nginx.httpUrl(`/raw/hello.txt?via=proxy-seq-${i}`));
          expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
          expect([done.code, done.text]).toEqual([200, HELLO]);
        }
      },
    );
    for (let i = 1; i <= 3; i++) await proxied(proxy, `GET ${nginx.httpUrl(`/raw/hello.txt?via=proxy-seq-${i}`)} HTTP/1.1`);
  });

  it("nginx's chunked gzip body relayed by the proxy is decoded byte for byte", async () => {
    const done = await fetchOnce(nginx.httpUrl("/text/lines.txt?via=proxy-gzip"), {
      configure: (node) => node.setHttpProxy("127.0.0.1", proxy.port),
    });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect(done.header("content-encoding")).toBe("gzip");
    expect(done.text).toBe(LINES);
    expect(await entryFor("?via=proxy-gzip")).toMatchObject({ content_encoding: "gzip", http_via: expect.stringMatching(/tinyproxy/) });
  });

  it("a redirect through the proxy keeps using it (both hops in both logs)", async () => {
    const done = await fetchOnce(nginx.httpUrl("/redirect/same-origin"), {
      configure: (node) => node.setHttpProxy("127.0.0.1", proxy.port),
    });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect([done.code, done.text]).toEqual([200, HELLO]);
    await proxied(proxy, `GET ${nginx.httpUrl("/redirect/same-origin")} HTTP/1.1`);
    await proxied(proxy, `GET ${nginx.httpUrl("/raw/hello.txt?from=same-origin")} HTTP/1.1`);
    expect((await entryFor("/redirect/same-origin")).http_via).toMatch(/tinyproxy/);
    expect((await entryFor("?from=same-origin")).http_via).toMatch(/tinyproxy/);
  });
});

describe("tinyproxy, HTTPS through CONNECT", () => {
  it("HTTPRequest with setHttpsProxy: CONNECT tunnel in tinyproxy's log, TLS to nginx with SNI localhost", async () => {
    const done = await fetchOnce(nginx.httpsUrl("/raw/hello.txt?via=connect-node"), {
      configure: (node) => {
        node.setHttpsProxy("127.0.0.1", proxy.port);
        node.setTlsOptions(CA);
      },
    });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect([done.code, done.text]).toEqual([200, HELLO]);
    // Inside a tunnel the proxy sees no HTTP: no Via at the origin, and no Via on the response.
    expect(done.header("via")).toBeUndefined();
    const log = await proxied(proxy, `CONNECT localhost:${nginx.httpsPort} HTTP/1.1`);
    expect(log).toContain('Established connection to host "localhost"');
    const entry = await entryFor("?via=connect-node");
    expect(entry).toMatchObject({ ssl_server_name: "localhost", http_via: "", http_host: `localhost:${nginx.httpsPort}` });
  });

  it("HTTPClient through the tunnel verifies the origin's certificate against the origin name", async () => {
    const client = newClient();
    expect(client.setHttpsProxy("127.0.0.1", proxy.port)).toBe(Err.OK);
    await connect(client, "localhost", nginx.httpsPort, CA);
    expect(await requestAndWait(client, Method.METHOD_GET, "/raw/hello.txt?via=connect-client")).toBe(Err.OK);
    expect(client.getResponseCode()).toBe(200);
    expect((await readBody(client)).body.toString("latin1")).toBe(HELLO);
    expect((await entryFor("?via=connect-client")).ssl_server_name).toBe("localhost");

    // The same tunnel with a name the certificate does not carry: verification fails inside it.
    const wrong = newClient();
    wrong.setHttpsProxy("127.0.0.1", proxy.port);
    expect(wrong.connectToHost("localhost", nginx.httpsPort, TLSOptions.client(fixtures.ca, "wrong.example"))).toBe(Err.OK);
    await pollToStatus(wrong, Status.STATUS_TLS_HANDSHAKE_ERROR);
    expect(wrong.getErrorReason()).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|wrong\.example/);
  });

  it("an http → https redirect with only an HTTP proxy set goes to the https origin directly", async () => {
    const connects = (): number => proxy.requestLines().filter((line) => line.startsWith("CONNECT ")).length;
    const connectsBefore = connects();
    const done = await fetchOnce(nginx.httpUrl("/redirect/to-https-direct"), {
      configure: (node) => {
        node.setHttpProxy("127.0.0.1", proxy.port);
        node.setTlsOptions(CA);
      },
    });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect([done.code, done.text]).toEqual([200, HELLO]);
    await proxied(proxy, `GET ${nginx.httpUrl("/redirect/to-https-direct")} HTTP/1.1`);
    expect(await entryFor("?from=to-https-direct")).toMatchObject({ ssl_server_name: "localhost", http_via: "" });
    // Tests in this file run one after another: no CONNECT reached the proxy during this one.
    expect(connects()).toBe(connectsBefore);
  });

  it("HTTPClient keeps the tunnel: three requests on one CONNECT, one nginx connection", async () => {
    const client = newClient();
    client.setHttpsProxy("127.0.0.1", proxy.port);
    const connectsBefore = proxy.requestLines().filter((line) => line.startsWith("CONNECT ")).length;
    await connect(client, "localhost", nginx.httpsPort, CA);
    for (let i = 1; i <= 3; i++) {
      expect(await requestAndWait(client, Method.METHOD_GET, `/raw/hello.txt?tunnel-ka=${i}`)).toBe(Err.OK);
      expect(client.getResponseCode()).toBe(200);
      const read = await readBody(client);
      expect([read.body.toString("latin1"), read.status]).toEqual([HELLO, Status.STATUS_CONNECTED]);
    }
    const entries = await nginx.waitForAccessLog(
      (all) => all.filter((e) => e.request.includes("?tunnel-ka=")).length === 3,
      "3 requests in the tunnel",
    );
    const mine = entries.filter((e) => e.request.includes("?tunnel-ka="));
    expect(new Set(mine.map((e) => e.connection)).size).toBe(1);
    expect(mine.map((e) => e.connection_requests)).toEqual(["1", "2", "3"]);
    expect(proxy.requestLines().filter((line) => line.startsWith("CONNECT ")).length).toBe(connectsBefore + 1);
  });

  it.runIf(ipv6)("IPv6 origins through the proxy: absolute form http://[::1]:port/ and CONNECT [::1]:port", async () => {
    const plainUrl = `http://[::1]:${nginx.httpPort}/raw/hello.txt?via=proxy-v6`;
    const plain = await fetchOnce(plainUrl, { configure: (node) => node.setHttpProxy("127.0.0.1", proxy.port) });
    expect(plain.resultName, plain.reason).toBe("RESULT_SUCCESS");
    expect([plain.code, plain.text]).toEqual([200, HELLO]);
    await proxied(proxy, `GET ${plainUrl} HTTP/1.1`);
    expect(await entryFor("?via=proxy-v6")).toMatchObject({ server_addr: "::1", http_host: `[::1]:${nginx.httpPort}` });

    const tls = await fetchOnce(`https://[::1]:${nginx.httpsPort}/raw/hello.txt?via=connect-v6`, {
      configure: (node) => {
        node.setHttpsProxy("127.0.0.1", proxy.port);
        node.setTlsOptions(CA);
      },
    });
    expect(tls.resultName, tls.reason).toBe("RESULT_SUCCESS");
    expect(tls.text).toBe(HELLO);
    await proxied(proxy, `CONNECT [::1]:${nginx.httpsPort} HTTP/1.1`);
    expect(await entryFor("?via=connect-v6")).toMatchObject({
      server_addr: "::1",
      ssl_server_name: "",
      http_host: `[::1]:${nginx.httpsPort}`,
    });
  });

  it("without the fixture CA the origin (not the proxy) is distrusted: TLS_HANDSHAKE_ERROR", async () => {
    const done = await fetchOnce(nginx.httpsUrl("/raw/hello.txt?via=connect-default-store"), {
      configure: (node) => node.setHttpsProxy("127.0.0.1", proxy.port),
    });
    expect(done.resultName).toBe("RESULT_TLS_HANDSHAKE_ERROR");
    expect(done.reason).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT_IN_CHAIN/);
  });

  it("an http → https redirect switches from the HTTP proxy to a CONNECT tunnel through the HTTPS proxy", async () => {
    const done = await fetchOnce(nginx.httpUrl("/redirect/to-https"), {
      configure: (node) => {
        node.setHttpProxy("127.0.0.1", proxy.port);
        node.setHttpsProxy("127.0.0.1", proxy.port);
        node.setTlsOptions(CA);
      },
    });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect([done.code, done.text]).toEqual([200, HELLO]);
    await proxied(proxy, `GET ${nginx.httpUrl("/redirect/to-https")} HTTP/1.1`);
    await proxied(proxy, `CONNECT localhost:${nginx.httpsPort} HTTP/1.1`);
    expect((await entryFor("/redirect/to-https HTTP")).http_via).toMatch(/tinyproxy/);
    expect(await entryFor("?from=to-https ")).toMatchObject({ ssl_server_name: "localhost", http_via: "" });
  });
});

describe("tinyproxy with BasicAuth", () => {
  const PROXY_AUTH = "user:pass@127.0.0.1";

  it("plain HTTP with user:pass@ credentials → 200", async () => {
    const url = nginx.httpUrl("/raw/hello.txt?auth=plain-ok");
    const done = await fetchOnce(url, { configure: (node) => node.setHttpProxy(PROXY_AUTH, authProxy.port) });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect([done.code, done.text]).toEqual([200, HELLO]);
    await proxied(authProxy, `GET ${url} HTTP/1.1`);
    expect((await entryFor("?auth=plain-ok")).http_via).toMatch(/tinyproxy/);
  });

  it("credentials as an options object work for plain HTTP and for the CONNECT tunnel", async () => {
    const credentials = { user: "user", password: "pass" };
    const plain = await fetchOnce(nginx.httpUrl("/raw/hello.txt?auth=object-plain"), {
      configure: (node) => node.setHttpProxy("127.0.0.1", authProxy.port, credentials),
    });
    expect(plain.resultName, plain.reason).toBe("RESULT_SUCCESS");
    expect([plain.code, plain.text]).toEqual([200, HELLO]);
    expect((await entryFor("?auth=object-plain")).proxy_authorization).toBe("");
    const tls = await fetchOnce(nginx.httpsUrl("/raw/hello.txt?auth=object-tls"), {
      configure: (node) => {
        node.setHttpsProxy("127.0.0.1", authProxy.port, credentials);
        node.setTlsOptions(CA);
      },
    });
    expect(tls.resultName, tls.reason).toBe("RESULT_SUCCESS");
    expect([tls.code, tls.text]).toEqual([200, HELLO]);
    expect(await entryFor("?auth=object-tls")).toMatchObject({ ssl_server_name: "localhost", proxy_authorization: "" });
  });

  it("refuses credentials with control characters or a colon in the user name", async () => {
    const node = new HTTPRequest();
    expect(node.setHttpProxy("127.0.0.1", authProxy.port, { user: "a:b", password: "x" })).toBe(Err.ERR_INVALID_PARAMETER);
    expect(node.setHttpsProxy("127.0.0.1", authProxy.port, { user: "a", password: "x\r\nX-Evil: 1" })).toBe(Err.ERR_INVALID_PARAMETER);
    expect(node.getErrorReason()).toContain("control characters");
  });

  // tinyproxy 1.11 answers a missing Proxy-Authorization with 407 + Proxy-Authenticate, but wrong
  // credentials with 401 + WWW-Authenticate (checked with curl too): the client hands on whatever
  // the proxy said.
  it.each([
    ["without credentials", "127.0.0.1", 407, "proxy-authenticate", "Proxy Authentication Required"],
    ["with a wrong password", "user:wrong@127.0.0.1", 401, "www-authenticate", "Unauthorized"],
  ] as const)(
    "plain HTTP %s: the proxy's answer is the response (SUCCESS, its code); nothing reaches nginx",
    async (label, host, code, challenge, text) => {
      const tag = `?auth=plain-${label.replace(/\W+/g, "-")}`;
      const done = await fetchOnce(nginx.httpUrl(`/raw/hello.txt${tag}`), { configure: (node) => node.setHttpProxy(host, authProxy.port) });
      expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
      expect(done.code).toBe(code);
      expect(done.header(challenge)).toMatch(/^Basic realm=/);
      expect(done.header("server")).toMatch(/^tinyproxy\//);
      expect(done.text).toContain(text);
      await proxied(authProxy, `GET ${nginx.httpUrl(`/raw/hello.txt${tag}`)} HTTP/1.1`);
      expect(nginx.readAccessLog().some((e) => e.request.includes(tag))).toBe(false);
    },
  );

  it("HTTPS with user:pass@ credentials → the tunnel opens, 200", async () => {
    const done = await fetchOnce(nginx.httpsUrl("/raw/hello.txt?auth=tls-ok"), {
      configure: (node) => {
        node.setHttpsProxy(PROXY_AUTH, authProxy.port);
        node.setTlsOptions(CA);
      },
    });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect([done.code, done.text]).toEqual([200, HELLO]);
    await proxied(authProxy, `CONNECT localhost:${nginx.httpsPort} HTTP/1.1`);
    // The credentials went to the proxy in CONNECT, never through the tunnel to the origin.
    expect(await entryFor("?auth=tls-ok")).toMatchObject({ ssl_server_name: "localhost", proxy_authorization: "" });
  });

  it.each([
    ["without credentials", "127.0.0.1", "407 Proxy Authentication Required"],
    ["with a wrong password", "user:wrong@127.0.0.1", "401 Unauthorized"],
  ] as const)("HTTPS %s: RESULT_CANT_CONNECT with the proxy's status in the reason", async (label, host, status) => {
    const tag = `?auth=tls-${label.replace(/\W+/g, "-")}`;
    const done = await fetchOnce(nginx.httpsUrl(`/raw/hello.txt${tag}`), {
      configure: (node) => {
        node.setHttpsProxy(host, authProxy.port);
        node.setTlsOptions(CA);
      },
    });
    expect(done.result).toBe(Result.RESULT_CANT_CONNECT);
    expect(done.code).toBe(0);
    expect(done.reason).toContain(status);
    await proxied(authProxy, `CONNECT localhost:${nginx.httpsPort} HTTP/1.1`);
    expect(nginx.readAccessLog().some((e) => e.request.includes(tag))).toBe(false);
  });

  it("HTTPClient: CONNECT refused with 407 → STATUS_CANT_CONNECT, 407 in getErrorReason()", async () => {
    const client = newClient();
    client.setHttpsProxy("127.0.0.1", authProxy.port);
    expect(client.connectToHost("localhost", nginx.httpsPort, CA)).toBe(Err.OK);
    await pollToStatus(client, Status.STATUS_CANT_CONNECT);
    expect(client.getErrorReason()).toContain("the proxy refused the tunnel: 407 Proxy Authentication Required");
    expect(client.poll()).toBe(Err.ERR_CANT_CONNECT);
  });

  describe("proxyLoginHandler (credentials on demand)", () => {
    const credentials = { user: "user", password: "pass" };

    it("plain HTTP: 407, the handler's credentials, the request again → 200; asked once", async () => {
      const calls: ProxyLoginInfo[] = [];
      const url = nginx.httpUrl("/raw/hello.txt?auth=login-plain");
      const done = await fetchOnce(url, {
        configure: (node) => {
          node.setHttpProxy("127.0.0.1", authProxy.port);
          node.proxyLoginHandler = (info) => (calls.push(info), credentials);
        },
      });
      expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
      expect([done.code, done.text]).toEqual([200, HELLO]);
      expect(calls).toEqual([{ host: "127.0.0.1", port: authProxy.port, scheme: "http", realm: expect.stringMatching(/\S/), attempt: 1 }]);
      // Twice at the proxy (407, then 200), once at nginx, without the proxy's credentials.
      await authProxy.waitForLog((log) => log.split(`): GET ${url} HTTP/1.1\n`).length === 3, "two requests for login-plain");
      expect(await entryFor("?auth=login-plain")).toMatchObject({ proxy_authorization: "", http_via: expect.stringMatching(/tinyproxy/) });
    });

    it("HTTPS: CONNECT refused with 407, the handler's credentials, a new CONNECT → tunnel, 200", async () => {
      const calls: ProxyLoginInfo[] = [];
      const connects = (): number => authProxy.requestLines().filter((line) => line.startsWith("CONNECT ")).length;
      const before = connects();
      const done = await fetchOnce(nginx.httpsUrl("/raw/hello.txt?auth=login-tls"), {
        configure: (node) => {
          node.setHttpsProxy("127.0.0.1", authProxy.port);
          node.setTlsOptions(CA);
          node.proxyLoginHandler = (info) => (calls.push(info), credentials);
        },
      });
      expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
      expect([done.code, done.text]).toEqual([200, HELLO]);
      expect(calls).toEqual([{ host: "127.0.0.1", port: authProxy.port, scheme: "https", realm: expect.stringMatching(/\S/), attempt: 1 }]);
      await authProxy.waitForLog(() => connects() === before + 2, "two CONNECTs for login-tls");
      expect(await entryFor("?auth=login-tls")).toMatchObject({ ssl_server_name: "localhost", proxy_authorization: "", http_via: "" });
    });

    // Only a 407 is a challenge. tinyproxy answers wrong credentials with 401 (see above), so a
    // handler that always returns wrong ones is asked once and the proxy's 401 ends the request
    // (the cap of 3 attempts against a proxy that keeps answering 407 is in stepped-proxy-login.test.ts).
    it("wrong credentials every time: asked once; plain → SUCCESS with the proxy's 401, HTTPS → CANT_CONNECT with 401 in the reason", async () => {
      const wrong = { user: "user", password: "wrong" };
      const calls: ProxyLoginInfo[] = [];
      const plain = await fetchOnce(nginx.httpUrl("/raw/hello.txt?auth=login-wrong-plain"), {
        configure: (node) => {
          node.setHttpProxy("127.0.0.1", authProxy.port);
          node.proxyLoginHandler = (info) => (calls.push(info), wrong);
        },
      });
      expect(plain.resultName, plain.reason).toBe("RESULT_SUCCESS");
      expect(plain.code).toBe(401);
      expect(plain.header("server")).toMatch(/^tinyproxy\//);
      const tls = await fetchOnce(nginx.httpsUrl("/raw/hello.txt?auth=login-wrong-tls"), {
        configure: (node) => {
          node.setHttpsProxy("127.0.0.1", authProxy.port);
          node.setTlsOptions(CA);
          node.proxyLoginHandler = (info) => (calls.push(info), wrong);
        },
      });
      expect(tls.result).toBe(Result.RESULT_CANT_CONNECT);
      expect(tls.code).toBe(0);
      expect(tls.reason).toContain("the proxy refused the tunnel: 401 Unauthorized");
      expect(calls.map((c) => [c.scheme, c.attempt])).toEqual([
        ["http", 1],
        ["https", 1],
      ]);
      expect(nginx.readAccessLog().some((e) => e.request.includes("?auth=login-wrong"))).toBe(false);
    });

    it("a handler that returns null or throws: the same results as without one", async () => {
      const plain = await fetchOnce(nginx.httpUrl("/raw/hello.txt?auth=login-null"), {
        configure: (node) => {
          node.setHttpProxy("127.0.0.1", authProxy.port);
          node.proxyLoginHandler = () => null;
        },
      });
      expect([plain.resultName, plain.code, plain.reason]).toEqual(["RESULT_SUCCESS", 407, ""]);
      const tls = await fetchOnce(nginx.httpsUrl("/raw/hello.txt?auth=login-throws"), {
        configure: (node) => {
          node.setHttpsProxy("127.0.0.1", authProxy.port);
          node.setTlsOptions(CA);
          node.proxyLoginHandler = () => {
            throw new Error("no keychain");
          };
        },
      });
      expect(tls.result).toBe(Result.RESULT_CANT_CONNECT);
      expect(tls.reason).toContain("407 Proxy Authentication Required");
      expect(tls.reason).toContain("proxyLoginHandler threw: no keychain");
    });
  });

  it("credentials for both proxies survive an http → https redirect", async () => {
    const done = await fetchOnce(nginx.httpUrl("/redirect/to-https-auth"), {
      configure: (node) => {
        node.setHttpProxy(PROXY_AUTH, authProxy.port);
        node.setHttpsProxy(PROXY_AUTH, authProxy.port);
        node.setTlsOptions(CA);
      },
    });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect([done.code, done.text]).toEqual([200, HELLO]);
    await proxied(authProxy, `GET ${nginx.httpUrl("/redirect/to-https-auth")} HTTP/1.1`);
    expect(await entryFor("?from=to-https-auth")).toMatchObject({ ssl_server_name: "localhost", status: "200" });
    expect(getHeaderValue(done.headers, "content-length")).toBe(String(HELLO.length));
  });
});

describe("tinyproxy named by environment variables only (useEnvironmentProxy)", () => {
  const NAMES = ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"];

  /** Runs `body` with exactly these proxy variables in `process.env`, restoring the old values after. */
  async function withEnvironment<T>(vars: Readonly<Record<string, string>>, body: () => Promise<T>): Promise<T> {
    const saved = new Map(NAMES.map((name) => [name, process.env[name]]));
    for (const name of NAMES) delete process.env[name];
    Object.assign(process.env, vars);
    try {
      return await body();
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  }

  it("http_proxy: HTTPRequest goes through the proxy (absolute form in its log, Via at nginx), no setHttpProxy", async () => {
    const url = nginx.httpUrl("/raw/hello.txt?via=env-http");
    const done = await withEnvironment({ http_proxy: `http://127.0.0.1:${proxy.port}` }, () =>
      fetchOnce(url, { configure: (node) => (node.useEnvironmentProxy = true) }),
    );
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect([done.code, done.text]).toEqual([200, HELLO]);
    expect(done.header("via")).toMatch(/tinyproxy/);
    await proxied(proxy, `GET ${url} HTTP/1.1`);
    expect((await entryFor("?via=env-http")).http_via).toMatch(/tinyproxy/);
  });

  it("HTTPS_PROXY (upper case, host:port without scheme): a CONNECT tunnel, TLS to nginx verified against the origin", async () => {
    const done = await withEnvironment({ HTTPS_PROXY: `127.0.0.1:${proxy.port}` }, () =>
      fetchOnce(nginx.httpsUrl("/raw/hello.txt?via=env-https"), {
        configure: (node) => {
          node.useEnvironmentProxy = true;
          node.setTlsOptions(CA);
        },
      }),
    );
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect([done.code, done.text]).toEqual([200, HELLO]);
    await proxied(proxy, `CONNECT localhost:${nginx.httpsPort} HTTP/1.1`);
    expect(await entryFor("?via=env-https")).toMatchObject({ ssl_server_name: "localhost", http_via: "" });
  });

  it("credentials in http_proxy reach the authenticating proxy; HTTPClient.useEnvironmentProxy does the same", async () => {
    await withEnvironment({ http_proxy: `http://user:pass@127.0.0.1:${authProxy.port}` }, async () => {
      const done = await fetchOnce(nginx.httpUrl("/raw/hello.txt?via=env-auth"), {
        configure: (node) => (node.useEnvironmentProxy = true),
      });
      expect([done.resultName, done.code, done.text]).toEqual(["RESULT_SUCCESS", 200, HELLO]);
      const client = newClient();
      client.useEnvironmentProxy = true;
      await connect(client, "127.0.0.1", nginx.httpPort);
      expect(await requestAndWait(client, Method.METHOD_GET, "/raw/hello.txt?via=env-client")).toBe(Err.OK);
      expect(client.getResponseCode()).toBe(200);
      expect((await readBody(client)).body.toString("latin1")).toBe(HELLO);
    });
    await authProxy.waitForLog(
      (log) => log.includes(`GET ${nginx.httpUrl("/raw/hello.txt?via=env-client")} HTTP/1.1`),
      "the client's request",
    );
    expect((await entryFor("?via=env-client")).http_via).toMatch(/tinyproxy/);
  });

  it("no_proxy matching the host, or not opting in, goes direct with the variables set", async () => {
    await withEnvironment({ http_proxy: `http://127.0.0.1:${proxy.port}`, no_proxy: "localhost, 127.0.0.0/8" }, async () => {
      const bypassed = await fetchOnce(nginx.httpUrl("/raw/hello.txt?via=env-no-proxy"), {
        configure: (node) => (node.useEnvironmentProxy = true),
      });
      expect([bypassed.resultName, bypassed.code]).toEqual(["RESULT_SUCCESS", 200]);
      expect(bypassed.header("via")).toBeUndefined();
    });
    await withEnvironment({ http_proxy: `http://127.0.0.1:${proxy.port}` }, async () => {
      const plain = await fetchOnce(nginx.httpUrl("/raw/hello.txt?via=env-off"));
      expect([plain.resultName, plain.code]).toEqual(["RESULT_SUCCESS", 200]);
      expect(plain.header("via")).toBeUndefined();
    });
    expect((await entryFor("?via=env-no-proxy")).http_via).toBe("");
    expect((await entryFor("?via=env-off")).http_via).toBe("");
    expect(proxy.requestLines().some((line) => line.includes("via=env-no-proxy") || line.includes("via=env-off"))).toBe(false);
  });

  it("an unusable variable (a socks5:// proxy) fails the request with the reason instead of going direct", async () => {
    const done = await withEnvironment({ all_proxy: "socks5://127.0.0.1:1080" }, () =>
      fetchOnce(nginx.httpUrl("/raw/hello.txt?via=env-socks"), { configure: (node) => (node.useEnvironmentProxy = true) }),
    );
    expect(done.result).toBe(Result.RESULT_CANT_CONNECT);
    expect(done.reason).toMatch(/all_proxy: only http:\/\/ proxies are supported, not socks5:\/\//);
  });
});
