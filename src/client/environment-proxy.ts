/**
 * Proxies from the environment, as curl reads them: `http_proxy` / `HTTP_PROXY` for http URLs,
 * `https_proxy` / `HTTPS_PROXY` for https URLs, `all_proxy` / `ALL_PROXY` for both, and
 * `no_proxy` / `NO_PROXY` listing the hosts that go direct (lower-case names win over upper-case).
 * Opt-in: nothing reads the environment unless asked to.
 *
 * @module
 */
import { isIP } from "node:net";
import { basicAuthorization, type ProxySettings } from "./proxy-settings.ts";

/** The environment variables a proxy decision reads; `process.env` by default. */
export type ProxyEnvironment = Readonly<Record<string, string | undefined>>;

/** A proxy named by the environment, parsed. */
export interface EnvironmentProxy {
  /** The proxy's host (IPv6 without brackets). */
  readonly host: string;
  /** The proxy's port: the one given, else 80 for `http://`, else 1080 (curl's default). */
  readonly port: number;
  /** The user name from `user:pass@`, percent-decoded; `""` when none. */
  readonly user: string;
  /** The password from `user:pass@`, percent-decoded; `""` when none. */
  readonly password: string;
  /** The variable it came from (`https_proxy`, …). */
  readonly variable: string;
}

/** The outcome of {@link environmentProxyFor}. */
export type EnvironmentProxyResult =
  | {
      /** Go direct: no variable names a proxy for this scheme, or `no_proxy` matches the host. */
      readonly kind: "direct";
      /** Why, in words (`no_proxy matches "example.com"`, `no proxy variable set`). */
      readonly reason: string;
    }
  | {
      /** Use this proxy. */
      readonly kind: "proxy";
      /** The proxy. */
      readonly proxy: EnvironmentProxy;
    }
  | {
      /** A variable is set but cannot be used. */
      readonly kind: "invalid";
      /** Why. */
      readonly reason: string;
    };

function pick(env: ProxyEnvironment, names: readonly string[]): { name: string; value: string } | null {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.trim() !== "") return { name, value: value.trim() };
  }
  return null;
}

function ipv4ToBits(text: string): bigint | null {
  if (isIP(text) !== 4) return null;
  return text.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6ToBits(text: string): bigint | null {
  if (isIP(text) !== 6) return null;
  let head = text;
  let tailV4: string[] = [];
  const lastColon = head.lastIndexOf(":");
  if (head.slice(lastColon + 1).includes(".")) {
    const v4 = ipv4ToBits(head.slice(lastColon + 1));
    if (v4 === null) return null;
    tailV4 = [((v4 >> 16n) & 0xffffn).toString(16), (v4 & 0xffffn).toString(16)];
    head = `${head.slice(0, lastColon + 1)}${tailV4.join(":")}`;
  }
  const [left, right] = head.includes("::") ? (head.split("::") as [string, string]) : [head, null];
  const l = left === "" ? [] : left.split(":");
  const r = right === null ? [] : right === "" ? [] : right.split(":");
  const groups = right === null ? l : [...l, ...Array<string>(8 - l.length - r.length).fill("0"), ...r];
  if (groups.length !== 8) return null;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

function cidrMatch(host: bigint, network: bigint, bits: number, width: number): boolean {
  if (bits <= 0) bits = width; // curl: no (or a zero) prefix length means the whole address
  if (bits > width) return false;
  const shift = BigInt(width - bits);
  return host >> shift === network >> shift;
}

/**
 * Whether `no_proxy` sends a host direct, by curl's rules: `*` alone matches every host; entries
 * are separated by commas or blanks; a name matches itself and its subdomains (`example.com`
 * matches `www.example.com`, not `notexample.com`), leading and trailing dots ignored, case
 * ignored; an IP literal host matches IP entries of its own family, with an optional `/bits`
 * prefix length (`192.168.0.0/16`, `fd00::/8`). Ports are not part of the match: an entry with a
 * port never matches a name.
 *
 * @param host - The request's host (IPv6 with or without brackets).
 * @param noProxy - The `no_proxy` value.
 * @returns True when the host goes direct.
 */
export function matchesNoProxy(host: string, noProxy: string): boolean {
  if (noProxy === "") return false;
  if (noProxy === "*") return true;
  let name = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const family = isIP(name);
  if (family === 0 && name.endsWith(".")) name = name.slice(0, -1);
  const lowerName = name.toLowerCase();
  for (const raw of noProxy.split(/[\s,]+/)) {
    if (raw === "") continue;
    if (family === 0) {
      let token = raw.endsWith(".") ? raw.slice(0, -1) : raw;
      if (token.startsWith(".")) token = token.slice(1);
      token = token.toLowerCase();
      if (token === "") continue;
      if (token === lowerName) return true;
      if (token.length < lowerName.length && lowerName.endsWith(token) && lowerName[lowerName.length - token.length - 1] === ".")
        return true;
      continue;
    }
    const slash = raw.indexOf("/");
    const address = slash < 0 ? raw : raw.slice(0, slash);
    const bits = slash < 0 ? 0 : Number.parseInt(raw.slice(slash + 1), 10) || 0;
    if (family === 4) {
      const h = ipv4ToBits(name);
      const n = ipv4ToBits(address);
      if (h !== null && n !== null && cidrMatch(h, n, bits, 32)) return true;
    } else {
      const h = ipv6ToBits(name);
      const n = ipv6ToBits(address);
      if (h !== null && n !== null && cidrMatch(h, n, bits, 128)) return true;
    }
  }
  return false;
}

/** A proxy variable whose value cannot be used. */
export interface InvalidEnvironmentProxy {
  /** Why, naming the variable. */
  readonly invalid: string;
}

/**
 * Parses a proxy variable's value: `http://user:pass@host:port`, `host:port` or `host`.
 *
 * @param value - The value.
 * @param variable - The variable's name, for messages.
 * @returns The proxy, or why it cannot be used.
 */
export function parseEnvironmentProxy(value: string, variable: string): EnvironmentProxy | InvalidEnvironmentProxy {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  if (scheme !== null && (scheme[1] as string).toLowerCase() !== "http") {
    return { invalid: `${variable}: only http:// proxies are supported, not ${(scheme[1] as string).toLowerCase()}://` };
  }
  let rest = scheme === null ? value : value.slice(scheme[0].length);
  rest = rest.replace(/\/.*$/, "");
  let user = "";
  let password = "";
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    const info = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = info.indexOf(":");
    try {
      user = decodeURIComponent(colon < 0 ? info : info.slice(0, colon));
      password = decodeURIComponent(colon < 0 ? "" : info.slice(colon + 1));
    } catch {
      return { invalid: `${variable}: invalid percent-encoding in the credentials` };
    }
  }
  let host = rest;
  let portText = "";
  const bracket = /^\[([^\]]+)\](?::(\d*))?$/.exec(rest);
  if (bracket !== null) {
    host = bracket[1] as string;
    portText = bracket[2] ?? "";
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon >= 0) {
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
    }
  }
  const port = portText === "" ? (scheme !== null ? 80 : 1080) : Number(portText);
  if (host === "" || !Number.isInteger(port) || port < 1 || port > 65535)
    return { invalid: `${variable}: cannot read a proxy from ${JSON.stringify(value)}` };
  return { host: host.toLowerCase(), port, user, password, variable };
}

/**
 * The proxy the environment names for a request, by curl's rules.
 *
 * @param scheme - The request URL's scheme.
 * @param host - The request URL's host.
 * @param env - The environment; `process.env` by default.
 * @returns Direct, a proxy, or why the variable cannot be used.
 */
export function environmentProxyFor(scheme: "http" | "https", host: string, env: ProxyEnvironment = process.env): EnvironmentProxyResult {
  const noProxy = pick(env, ["no_proxy", "NO_PROXY"]);
  if (noProxy !== null && matchesNoProxy(host, noProxy.value))
    return { kind: "direct", reason: `${noProxy.name} matches ${JSON.stringify(host)}` };
  const names =
    scheme === "https" ? ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"] : ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"];
  const found = pick(env, names);
  if (found === null) return { kind: "direct", reason: `no ${names.join(", ")} set` };
  const proxy = parseEnvironmentProxy(found.value, found.name);
  return "invalid" in proxy ? { kind: "invalid", reason: proxy.invalid } : { kind: "proxy", proxy };
}

/**
 * The proxy settings the environment gives a connection, for `HTTPClient.useEnvironmentProxy`.
 *
 * @param scheme - `http` for a plain connection, `https` for a TLS one.
 * @param host - The origin host.
 * @param env - The environment.
 * @returns The proxy (its credentials as a Basic `Proxy-Authorization`), null to go direct, or why
 * the variable cannot be used.
 * @internal
 */
export function environmentProxySettings(
  scheme: "http" | "https",
  host: string,
  env: ProxyEnvironment,
): ProxySettings | null | InvalidEnvironmentProxy {
  const decision = environmentProxyFor(scheme, host, env);
  if (decision.kind === "invalid") return { invalid: `the proxy from the environment cannot be used: ${decision.reason}` };
  if (decision.kind === "direct") return null;
  const { host: proxyHost, port, user, password } = decision.proxy;
  return { host: proxyHost, port, authorization: user === "" && password === "" ? "" : basicAuthorization(user, password) };
}
