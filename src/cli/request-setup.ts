// Turns parsed options into what HTTPRequest needs: method, headers, body bytes, TLS options, proxy.
import { readFileSync } from "node:fs";
import { Method, TLSOptions, hasHeader, methodVerb, type ProxyCredentials } from "../index.ts";
import type { CliOptions, DataArgument } from "./args.ts";
import { ExitStatus } from "./exit-status.ts";

/** A forward proxy from `--proxy`. */
export interface ProxyTarget {
  /** The host name or address (an IPv6 address in brackets). */
  readonly host: string;
  /** The port (1080 when the URL gives none, as curl). */
  readonly port: number;
  /** Credentials from the URL's user information, percent-decoded. */
  readonly credentials: ProxyCredentials | undefined;
}

/** Everything the command line asks of the request, with files read. */
export interface PreparedRequest {
  /** The URL. */
  readonly url: string;
  /** The method. */
  readonly method: Method;
  /** Header lines, with `Content-Type` added for data when none was given. */
  readonly headers: readonly string[];
  /** The body bytes (empty without data). */
  readonly body: Uint8Array;
  /** TLS options from `--cacert` / `--insecure`; null for the verifying defaults. */
  readonly tls: TLSOptions | null;
  /** The proxy, or null. */
  readonly proxy: ProxyTarget | null;
}

/** The outcome of {@link prepareRequest}. */
export type Prepared =
  /** Ready. */
  | { readonly ok: true; readonly request: PreparedRequest }
  /** A file could not be read or an argument is invalid: the exit status and a one-line message. */
  | { readonly ok: false; readonly status: number; readonly message: string };

/** Reads a file given on the command line (`-` is standard input). */
export type FileReader = (path: string) => Uint8Array;

const defaultReader: FileReader = (path) => readFileSync(path === "-" ? 0 : path);

/** The proxy port used when `--proxy` names none (curl's default). */
const DEFAULT_PROXY_PORT = 1080;

/**
 * Reads the files named by `--data`, `--data-binary` and `--cacert` and builds the request.
 *
 * @param options - The parsed command line.
 * @param read - How files are read (tests pass their own).
 * @returns The request, or an exit status and message.
 */
export function prepareRequest(options: CliOptions, read: FileReader = defaultReader): Prepared {
  let body: Uint8Array;
  let pem: string | null = null;
  try {
    body = joinData(options.data, read);
    if (options.cacert !== null) pem = new TextDecoder().decode(read(options.cacert));
  } catch (error) {
    return { ok: false, status: ExitStatus.LOCAL_ERROR, message: fileError(error) };
  }
  const proxy = options.proxy === null ? null : parseProxy(options.proxy);
  if (typeof proxy === "string") return { ok: false, status: ExitStatus.USAGE, message: proxy };
  const hasData = options.data.length > 0;
  const headers = [...options.headers];
  if (hasData && !hasHeader(headers, "content-type")) headers.push("Content-Type: application/x-www-form-urlencoded");
  const verb = options.method ?? (hasData ? "POST" : "GET");
  const method = (Object.values(Method) as Method[]).find((value) => methodVerb(value) === verb) ?? Method.METHOD_GET;
  const tls = options.insecure ? TLSOptions.clientUnsafe() : pem === null ? null : TLSOptions.client(pem);
  return { ok: true, request: { url: options.url, method, headers, body, tls, proxy } };
}

function joinData(data: readonly DataArgument[], read: FileReader): Uint8Array {
  const parts: Uint8Array[] = [];
  const encoder = new TextEncoder();
  for (const [index, item] of data.entries()) {
    if (index > 0) parts.push(encoder.encode("&"));
    if (!item.value.startsWith("@")) {
      parts.push(encoder.encode(item.value));
      continue;
    }
    const bytes = read(item.value.slice(1));
    parts.push(item.binary ? bytes : bytes.filter((byte) => byte !== 0x0d && byte !== 0x0a));
  }
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function parseProxy(text: string): ProxyTarget | string {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    return `invalid proxy URL ${JSON.stringify(text)}`;
  }
  if (url.protocol !== "http:") return `unsupported proxy scheme ${url.protocol.slice(0, -1)} (only http:// proxies)`;
  let credentials: ProxyCredentials | undefined;
  if (url.username !== "" || url.password !== "") {
    try {
      credentials = { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
    } catch {
      return "invalid percent-encoding in the proxy credentials";
    }
  }
  return { host: url.hostname, port: url.port === "" ? DEFAULT_PROXY_PORT : Number(url.port), credentials };
}

function fileError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (typeof e.path === "string") return `cannot read ${e.path}: ${e.message.replace(/, \w+ '.*'$/, "")}`;
  return `cannot read a file: ${error instanceof Error ? error.message : String(error)}`;
}
