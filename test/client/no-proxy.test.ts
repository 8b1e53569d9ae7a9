/**
 * NO_PROXY matching, table-driven, with the expected decision of every row taken from curl itself:
 * curl is run with `http_proxy` and `no_proxy` set for each row against a recording proxy and a
 * direct server on loopback, and the row's decision is where the request arrived.
 */
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { environmentProxyFor, matchesNoProxy, parseEnvironmentProxy } from "../../src/client/environment-proxy.ts";

const run = promisify(execFile);

/** [no_proxy, host]: hosts are names mapped to loopback with --resolve, 127.x addresses, or ::1. */
const TABLE: readonly (readonly [string, string])[] = [
  ["example.com", "example.com"],
  ["example.com", "www.example.com"],
  ["example.com", "a.b.example.com"],
  ["example.com", "notexample.com"],
  ["example.com", "example.com.evil"],
  [".example.com", "example.com"],
  [".example.com", "www.example.com"],
  ["example.com.", "www.example.com"],
  ["EXAMPLE.com", "www.Example.COM"],
  ["*", "anything.test"],
  ["*", "127.0.0.9"],
  ["*.example.com", "www.example.com"],
  ["*, example.com", "other.test"],
  ["other.test, example.com", "www.example.com"],
  ["other.test example.com", "www.example.com"],
  ["other.test,,  ,example.com", "example.com"],
  ["example.com:8080", "example.com"],
  ["www.example.com", "example.com"],
  ["", "example.com"],
  ["127.0.0.1", "127.0.0.1"],
  ["127.0.0.1", "127.0.0.2"],
  ["127.0.0.0/8", "127.5.6.7"],
  ["127.0.0.0/24", "127.0.1.1"],
  ["127.0.0.0/24", "127.0.0.200"],
  ["127.0.0.1/32", "127.0.0.1"],
  ["127.0.0.0/33", "127.0.0.1"],
  ["127.0.0.0/0", "127.0.0.1"],
  ["127.0.0.1", "localhost.test"],
  ["::1", "[::1]"],
  ["::/0", "[::1]"],
  ["fd00::/8", "[::1]"],
  ["127.0.0.1", "[::1]"],
  ["localhost.test", "127.0.0.1"],
];

let proxy: Server;
let direct: Server;
let proxyPort = 0;
let directPort = 0;
const arrivals = new Map<string, "proxy" | "direct">();

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, host, () => {
      const a = server.address();
      resolve(typeof a === "object" && a !== null ? a.port : 0);
    });
  });
}

beforeAll(async () => {
  proxy = createServer((req, res) => {
    arrivals.set(String(req.headers["x-row"]), "proxy");
    res.end("proxy");
  });
  direct = createServer((req, res) => {
    arrivals.set(String(req.headers["x-row"]), "direct");
    res.end("direct");
  });
  proxyPort = await listen(proxy, "127.0.0.1");
  directPort = await listen(direct, "::"); // dual-stack: 127.x.y.z and ::1
});

afterAll(async () => {
  await Promise.all([proxy, direct].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** Where curl sends the request of one row. */
async function curlDecision(row: number, noProxy: string, host: string): Promise<"proxy" | "direct"> {
  const args = ["-s", "-o", "/dev/null", "--max-time", "5", "-H", `X-Row: ${row}`];
  if (!host.startsWith("[") && !/^\d/.test(host)) args.push("--resolve", `${host}:${directPort}:127.0.0.1`);
  args.push(`http://${host}:${directPort}/`);
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", http_proxy: `http://127.0.0.1:${proxyPort}`, no_proxy: noProxy };
  await run("curl", args, { env });
  const where = arrivals.get(String(row));
  if (where === undefined) throw new Error(`row ${row}: the request reached neither server`);
  return where;
}

describe("no_proxy decisions match curl's", () => {
  it("every row of the table", async () => {
    const expected = await Promise.all(TABLE.map(([noProxy, host], i) => curlDecision(i, noProxy, host)));
    const ours = TABLE.map(([noProxy, host]) => (matchesNoProxy(host, noProxy) ? "direct" : "proxy"));
    const rows = TABLE.map(([noProxy, host], i) => `${JSON.stringify(noProxy)} ${host}: curl ${expected[i]}, ours ${ours[i]}`);
    expect(rows.filter((_, i) => expected[i] !== ours[i])).toEqual([]);
    // The table exercises both outcomes.
    expect(new Set(expected)).toEqual(new Set(["proxy", "direct"]));
  });
});

describe("IPv6 entries", () => {
  // curl documents CIDR matching for IP entries; curl 7.88 (Debian 12) compares an IPv6 host with
  // the entries as text instead ("::1/128" and "0:0:0:0:0:0:0:1" do not match "::1" there). These
  // rows follow the documented rule, which later curl releases implement.
  it.each([
    ["::1/128", "::1", true],
    ["0:0:0:0:0:0:0:1", "[::1]", true],
    ["::/64", "::1", true],
    ["fd00::/8", "fd12:3456::1", true],
    ["fd00::/8", "fe80::1", false],
    ["2001:db8::/32", "2001:db8:1::5", true],
    ["::ffff:0:0/96", "::ffff:127.0.0.1", true],
    ["::1", "127.0.0.1", false],
  ])("%s and %s: %s", (noProxy, host, expected) => {
    expect(matchesNoProxy(host, noProxy)).toBe(expected);
  });
});

describe("proxy variables", () => {
  it("picks the scheme's variable, lower-case first, all_proxy last, and no_proxy before any", () => {
    const env = {
      http_proxy: "http://lower:1",
      HTTP_PROXY: "http://upper:2",
      HTTPS_PROXY: "secure:3",
      ALL_PROXY: "all:4",
      NO_PROXY: "skip.test",
    };
    expect(environmentProxyFor("http", "example.com", env)).toMatchObject({
      kind: "proxy",
      proxy: { host: "lower", port: 1, variable: "http_proxy" },
    });
    expect(environmentProxyFor("https", "example.com", env)).toMatchObject({
      kind: "proxy",
      proxy: { host: "secure", port: 3, variable: "HTTPS_PROXY" },
    });
    expect(environmentProxyFor("https", "example.com", { ALL_PROXY: "all:4" })).toMatchObject({
      kind: "proxy",
      proxy: { host: "all", port: 4 },
    });
    expect(environmentProxyFor("http", "a.skip.test", env)).toMatchObject({ kind: "direct" });
    expect(environmentProxyFor("http", "example.com", {})).toMatchObject({ kind: "direct" });
  });

  it.each([
    ["http://user:p%40ss@proxy.test:3128/", { host: "proxy.test", port: 3128, user: "user", password: "p@ss" }],
    ["proxy.test:8080", { host: "proxy.test", port: 8080 }],
    ["http://proxy.test", { host: "proxy.test", port: 80 }],
    ["proxy.test", { host: "proxy.test", port: 1080 }],
    ["http://[::1]:3128", { host: "::1", port: 3128 }],
  ])("parses %s", (value, expected) => {
    expect(parseEnvironmentProxy(value, "http_proxy")).toMatchObject(expected);
  });

  it.each(["https://proxy.test:443", "socks5://proxy.test:1080", "http://proxy.test:99999", "http://:80"])("refuses %s", (value) => {
    expect(parseEnvironmentProxy(value, "http_proxy")).toHaveProperty("invalid");
  });
});
