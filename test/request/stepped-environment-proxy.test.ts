/**
 * Environment proxies on an HTTPRequest over a ScriptedNetwork: the per-request option over the
 * node's property, a kept connection not reused across a change of that choice, explicit proxies
 * winning, and HTTPClient's `proxyEnvironment` in place of `process.env`.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Err, HTTPClient, Method, Result, ScriptedNetwork } from "../../src/index.ts";
import { ok, setup } from "./helpers.ts";

const NAMES = ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"];
const saved = new Map<string, string | undefined>();

beforeEach(() => {
  for (const name of NAMES) {
    saved.set(name, process.env[name]);
    delete process.env[name];
  }
  process.env.http_proxy = "http://proxy.test:3128";
});

afterEach(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe("useEnvironmentProxy over a ScriptedNetwork", () => {
  it("the per-request option overrides the property; a kept connection opened the other way is not reused", () => {
    const h = setup({ hosts: { "example.test": ["10.0.0.1"], "proxy.test": ["10.9.9.9"] } });
    expect(h.node.useEnvironmentProxy).toBe(false);
    expect(h.node.request("http://example.test/a", [], Method.METHOD_GET, "", { useEnvironmentProxy: true })).toBe(Err.OK);
    h.tick();
    expect(h.peer().address.address).toBe("10.9.9.9");
    expect(h.peer().takeOutgoingText()).toMatch(/^GET http:\/\/example\.test\/a HTTP\/1\.1\r\n/);
    h.peer().pushIncoming(ok("via proxy", ["Connection: keep-alive"]));
    expect(h.untilDone().result).toBe(Result.RESULT_SUCCESS);
    // The property (false) applies again: a new, direct connection.
    expect(h.node.request("http://example.test/b")).toBe(Err.OK);
    h.tick();
    expect(h.network.connections).toHaveLength(2);
    expect(h.peer().address.address).toBe("10.0.0.1");
    expect(h.peer().takeOutgoingText()).toMatch(/^GET \/b HTTP\/1\.1\r\n/);
    h.peer().pushIncoming(ok("direct"));
    expect(h.untilDone().text).toBe("direct");
  });

  it("the property turns it on for every request; setHttpProxy wins over the environment", () => {
    const h = setup({ hosts: { "example.test": ["10.0.0.1"], "proxy.test": ["10.9.9.9"], "mine.test": ["10.7.7.7"] } });
    h.node.useEnvironmentProxy = true;
    h.node.request("http://example.test/");
    h.tick();
    expect(h.peer().address.address).toBe("10.9.9.9");
    h.peer().pushIncoming(ok("1"));
    h.untilDone();
    expect(h.node.setHttpProxy("mine.test", 8080)).toBe(Err.OK);
    h.node.request("http://example.test/");
    h.tick();
    expect(h.peer().address.address).toBe("10.7.7.7");
  });

  it("HTTPClient reads proxyEnvironment instead of process.env when given; no_proxy there sends a host direct", () => {
    const network = new ScriptedNetwork().addHost("origin.test", ["10.0.0.1"]).addHost("p.test", ["10.5.5.5"]);
    const client = new HTTPClient({
      network,
      useEnvironmentProxy: true,
      proxyEnvironment: { HTTPS_PROXY: "p.test:8443", no_proxy: ".internal.test" },
    });
    expect(client.useEnvironmentProxy).toBe(true);
    expect(client.connectToHost("origin.test", 80)).toBe(Err.OK); // http: no http_proxy in that environment
    client.poll();
    expect(network.connections[0]!.address.address).toBe("10.0.0.1");
    expect(client.connectToHost("https://origin.test")).toBe(Err.OK);
    client.poll();
    expect(network.connections[1]!.address.address).toBe("10.5.5.5");
    expect(network.connections[1]!.port).toBe(8443);
    expect(client.connectToHost("https://a.internal.test")).toBe(Err.OK);
    expect(network.lookups.at(-1)!.host).toBe("a.internal.test");
    client.close();
  });
});
