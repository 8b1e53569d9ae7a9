/**
 * Runs a real nginx (Debian `nginx-light`) for tests: a config written to a fresh temp dir, every
 * path nginx writes (pid, lock, error log, access log, temp dirs) inside it, three servers on free
 * loopback ports, started in the foreground (`daemon off;`) as a child process and stopped by its
 * process id. The access log records, per request, `$request`, `$connection`,
 * `$connection_requests`, `$ssl_server_name`, `$ssl_client_verify` and more as JSON lines.
 *
 * Servers:
 * - `httpPort`: plain HTTP; static files with Content-Length; `gzip on; gzip_types *;
 *   gzip_min_length 1;` so a request with `Accept-Encoding: gzip` gets a chunked gzip body, except
 *   under `/raw/` (gzip off); `keepalive_requests 1000`.
 * - `httpsPort`: the same over TLS with the fixture server certificate (localhost, 127.0.0.1, ::1).
 * - `mtlsPort`: TLS with `ssl_verify_client on` against the fixture client CA.
 * With `ipv6`, each server also listens on `[::1]` with the same port.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { nginxMainDirectives, nginxTempPaths } from "./nginx-config.ts";
import { pickFreePorts, rawExchange, requireBinary, startChild, waitForTcp, waitForValue, type ChildServer } from "./real-process.ts";
import { fixtures } from "./tls-fixtures.ts";

/** The ports nginx listens on (127.0.0.1, and `::1` when IPv6 is on). */
export interface NginxPorts {
  /** Plain HTTP. */
  readonly httpPort: number;
  /** HTTPS with the fixture server certificate. */
  readonly httpsPort: number;
  /** HTTPS that requires a client certificate signed by the fixture client CA. */
  readonly mtlsPort: number;
}

/** Options of {@link startNginx}. */
export interface NginxOptions {
  /** Files for the docroot: path relative to it (e.g. `raw/hello.txt`) → content. */
  readonly files?: Readonly<Record<string, string | Uint8Array>>;
  /** Also listen on `[::1]` (same port numbers). Default false. */
  readonly ipv6?: boolean;
  /** More `location` blocks (or other directives) for the plain HTTP server, given the ports. */
  readonly httpLocations?: (ports: NginxPorts) => string;
}

/** One access-log line. Values are as nginx logs them (`""` for an empty variable). */
export interface AccessLogEntry {
  /** `$request`, e.g. `GET /raw/hello.txt HTTP/1.1`. */
  readonly request: string;
  /** `$connection`: the connection serial number. */
  readonly connection: string;
  /** `$connection_requests`: this request's number on its connection (1 for the first). */
  readonly connection_requests: string;
  /** `$ssl_server_name`: the SNI the client sent. */
  readonly ssl_server_name: string;
  /** `$ssl_client_verify`: `SUCCESS`, `NONE`, `FAILED:…`. */
  readonly ssl_client_verify: string;
  /** `$ssl_client_s_dn`: the client certificate's subject. */
  readonly ssl_client_s_dn: string;
  /** `$ssl_protocol`, e.g. `TLSv1.3`. */
  readonly ssl_protocol: string;
  /** `$http_host`: the Host header as received. */
  readonly http_host: string;
  /** `$http_via`: the Via header (a proxy adds it). */
  readonly http_via: string;
  /** `$http_proxy_authorization`: proxy credentials that reached the origin (should stay empty). */
  readonly proxy_authorization: string;
  /** `$http_accept_encoding`. */
  readonly http_accept_encoding: string;
  /** `$status`. */
  readonly status: string;
  /** `$body_bytes_sent`. */
  readonly body_bytes_sent: string;
  /** `$sent_http_content_encoding`. */
  readonly content_encoding: string;
  /** `$server_addr`: the local address the request came in on (`::1` for IPv6). */
  readonly server_addr: string;
  /** `$server_port`. */
  readonly server_port: string;
  /** `$remote_addr`. */
  readonly remote_addr: string;
}

/** A running nginx. */
export interface NginxServer extends NginxPorts {
  /** `127.0.0.1`. */
  readonly host: string;
  /** Whether it also listens on `[::1]`. */
  readonly ipv6: boolean;
  /** The temp dir holding the config, logs and docroot. */
  readonly dir: string;
  /** The docroot; files written here later are served too. */
  readonly docroot: string;
  /** The master process id. */
  readonly pid: number;
  /** `http://127.0.0.1:httpPort` + path. */
  httpUrl(path: string): string;
  /** `https://localhost:httpsPort` + path (the name on the fixture certificate). */
  httpsUrl(path: string): string;
  /** `https://localhost:mtlsPort` + path. */
  mtlsUrl(path: string): string;
  /** Every access-log entry so far. */
  readAccessLog(): AccessLogEntry[];
  /**
   * Waits until the access log satisfies `predicate` (nginx writes a line just after the response).
   *
   * @returns The entries at that moment.
   */
  waitForAccessLog(predicate: (entries: AccessLogEntry[]) => boolean, what: string, timeoutMs?: number): Promise<AccessLogEntry[]>;
  /** The error log. */
  readErrorLog(): string;
  /** Stops nginx by its pid (SIGTERM, then SIGKILL) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const LOG_FIELDS: Readonly<Record<keyof AccessLogEntry, string>> = {
  request: "$request",
  connection: "$connection",
  connection_requests: "$connection_requests",
  ssl_server_name: "$ssl_server_name",
  ssl_client_verify: "$ssl_client_verify",
  ssl_client_s_dn: "$ssl_client_s_dn",
  ssl_protocol: "$ssl_protocol",
  http_host: "$http_host",
  http_via: "$http_via",
  proxy_authorization: "$http_proxy_authorization",
  http_accept_encoding: "$http_accept_encoding",
  status: "$status",
  body_bytes_sent: "$body_bytes_sent",
  content_encoding: "$sent_http_content_encoding",
  server_addr: "$server_addr",
  server_port: "$server_port",
  remote_addr: "$remote_addr",
};

const READY_PATH = "/__poll_http_ready";

function listens(port: number, ipv6: boolean, extra = ""): string {
  const lines = [`listen 127.0.0.1:${port}${extra};`];
  if (ipv6) lines.push(`listen [::1]:${port}${extra};`);
  return lines.join("\n    ");
}

function renderConfig(dir: string, docroot: string, ports: NginxPorts, options: NginxOptions): string {
  const ipv6 = options.ipv6 ?? false;
  const format = `{${Object.entries(LOG_FIELDS)
    .map(([key, variable]) => `"${key}":"${variable}"`)
    .join(",")}}`;
  const tls = `ssl_certificate ${dir}/server.pem;
    ssl_certificate_key ${dir}/server-key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;`;
  return `# Written by test/helpers/nginx.ts
${nginxMainDirectives(dir)}
events { worker_connections 512; }
http {
  types { text/plain txt; text/html html; application/json json; application/octet-stream bin; }
  default_type application/octet-stream;
  ${nginxTempPaths(dir)}
  log_format reach escape=json '${format}';
  map $request_uri $reach_loggable { ${READY_PATH} 0; default 1; }
  access_log ${dir}/access.log reach if=$reach_loggable;
  sendfile on;
  keepalive_requests 1000;
  keepalive_timeout 60s;
  gzip on;
  gzip_types *;
  gzip_min_length 1;
  gzip_proxied any;
  server {
    ${listens(ports.httpPort, ipv6)}
    server_name localhost;
    root ${docroot};
    location /raw/ { gzip off; }
    ${options.httpLocations?.(ports) ?? ""}
  }
  server {
    ${listens(ports.httpsPort, ipv6, " ssl")}
    server_name localhost;
    ${tls}
    root ${docroot};
    location /raw/ { gzip off; }
  }
  server {
    ${listens(ports.mtlsPort, ipv6, " ssl")}
    server_name localhost;
    ${tls}
    ssl_verify_client on;
    ssl_client_certificate ${dir}/client-ca.pem;
    root ${docroot};
    location /raw/ { gzip off; }
  }
}
`;
}

function parseAccessLog(text: string): AccessLogEntry[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as AccessLogEntry);
}

async function launch(
  binary: string,
  dir: string,
  docroot: string,
  options: NginxOptions,
): Promise<{ child: ChildServer; ports: NginxPorts }> {
  const ipv6 = options.ipv6 ?? false;
  const [httpPort = 0, httpsPort = 0, mtlsPort = 0] = await pickFreePorts(3, ipv6);
  const ports: NginxPorts = { httpPort, httpsPort, mtlsPort };
  const conf = join(dir, "nginx.conf");
  writeFileSync(conf, renderConfig(dir, docroot, ports, options));
  rmSync(join(dir, "access.log"), { force: true });
  rmSync(join(dir, "error.log"), { force: true });
  const child = startChild(binary, ["-p", `${dir}/`, "-c", conf, "-g", "daemon off;"]);
  try {
    const hosts = ipv6 ? ["127.0.0.1", "::1"] : ["127.0.0.1"];
    for (const host of hosts) {
      for (const port of [httpPort, httpsPort, mtlsPort]) await waitForTcp(host, port, child.isRunning);
    }
    const answer = await rawExchange("127.0.0.1", httpPort, `GET ${READY_PATH} HTTP/1.0\r\nHost: localhost\r\n\r\n`);
    if (!answer.startsWith("HTTP/1.1 "))
      throw new Error(`unexpected answer to the readiness probe: ${JSON.stringify(answer.slice(0, 200))}`);
  } catch (error) {
    await child.stop();
    let errorLog = "";
    try {
      errorLog = readFileSync(join(dir, "error.log"), "utf8");
    } catch {
      // Not written.
    }
    const message = error instanceof Error ? error.message : String(error);
    const failure = new Error(`nginx did not start (${message})\noutput: ${child.output()}\nerror.log: ${errorLog}`);
    (failure as Error & { addressInUse?: boolean }).addressInUse = /Address already in use|EADDRINUSE/.test(child.output() + errorLog);
    throw failure;
  }
  return { child, ports };
}

/**
 * Starts nginx and waits until it answers HTTP (and every port accepts connections).
 *
 * @param options - Docroot files, IPv6 and extra locations.
 * @returns The running server; call `stop()` in `afterAll`.
 * @throws When `/usr/sbin/nginx` is missing (run `bash scripts/setup.sh`) or nginx fails to start.
 */
export async function startNginx(options: NginxOptions = {}): Promise<NginxServer> {
  const binary = requireBinary("/usr/sbin/nginx", "nginx-light", "POLL_HTTP_NGINX");
  const dir = mkdtempSync(join(tmpdir(), "poll-http-nginx-"));
  const docroot = join(dir, "www");
  try {
    for (const sub of ["www", "tmp"]) mkdirSync(join(dir, sub));
    writeFileSync(join(dir, "server.pem"), fixtures.serverCert);
    writeFileSync(join(dir, "server-key.pem"), fixtures.serverKey, { mode: 0o600 });
    writeFileSync(join(dir, "client-ca.pem"), fixtures.clientCa);
    for (const [path, content] of Object.entries(options.files ?? {})) {
      const target = join(docroot, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
    let launched: { child: ChildServer; ports: NginxPorts };
    try {
      launched = await launch(binary, dir, docroot, options);
    } catch (error) {
      // A port picked free was taken before nginx bound it: pick new ones, once.
      if ((error as { addressInUse?: boolean }).addressInUse !== true) throw error;
      launched = await launch(binary, dir, docroot, options);
    }
    const { child, ports } = launched;
    const ipv6 = options.ipv6 ?? false;
    const readAccessLog = (): AccessLogEntry[] => {
      try {
        return parseAccessLog(readFileSync(join(dir, "access.log"), "utf8"));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw error;
      }
    };
    let stopping: Promise<void> | null = null;
    return {
      ...ports,
      host: "127.0.0.1",
      ipv6,
      dir,
      docroot,
      pid: child.pid,
      httpUrl: (path) => `http://127.0.0.1:${ports.httpPort}${path}`,
      httpsUrl: (path) => `https://localhost:${ports.httpsPort}${path}`,
      mtlsUrl: (path) => `https://localhost:${ports.mtlsPort}${path}`,
      readAccessLog,
      waitForAccessLog: (predicate, what, timeoutMs) => waitForValue(readAccessLog, predicate, `nginx access log: ${what}`, timeoutMs),
      readErrorLog: () => {
        try {
          return readFileSync(join(dir, "error.log"), "utf8");
        } catch {
          return "";
        }
      },
      stop(): Promise<void> {
        stopping ??= child.stop().then(() => rmSync(dir, { recursive: true, force: true }));
        return stopping;
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
