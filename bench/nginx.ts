// nginx as a second benchmark server: a server nobody here wrote. Started with a config written to
// a fresh temp dir (every path nginx writes is inside it), one worker, on a free loopback port,
// and stopped by its process id. Serves the bench server's routes from files:
//   /small          the same 13-byte body (Content-Length; nginx adds its own headers)
//   /bytes/<n>      n bytes, Content-Length (sparse files, sent with sendfile)
//   /chunked/<n>    the same n bytes with an empty file appended by the addition filter, which
//                   drops the length: chunked, still sent with sendfile
// Skipped (with a printed note) when /usr/sbin/nginx (or $POLL_HTTP_NGINX) is missing.
import { existsSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nginxMainDirectives, nginxTempPaths } from "../test/helpers/nginx-config.ts";
import { pickFreePorts, rawExchange, startChild, waitForTcp } from "../test/helpers/real-process.ts";
import { SMALL_BODY } from "./server.ts";

/** A running nginx for the bench. */
export interface BenchNginx {
  readonly port: number;
  readonly pid: number;
  /** The nginx version line (e.g. `nginx/1.22.1`). */
  readonly version: string;
  /** Bytes on the wire of one `/small` response (its head has a fixed length). */
  readonly smallResponseBytes: number;
  /** Makes `/bytes/<n>` and `/chunked/<n>` exist for these body sizes. */
  addBodies(sizes: readonly number[]): void;
  /** Stops nginx and removes its temp dir. */
  stop(): Promise<void>;
}

/** The nginx binary, or null when it is not installed. */
export function nginxBinary(): string | null {
  const path = process.env["POLL_HTTP_NGINX"] ?? "/usr/sbin/nginx";
  return existsSync(path) ? path : null;
}

function config(dir: string, port: number): string {
  return `# Written by bench/nginx.ts
${nginxMainDirectives(dir)}
events { worker_connections 4096; }
http {
  default_type application/octet-stream;
  ${nginxTempPaths(dir)}
  access_log off;
  sendfile on;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    root ${dir}/www;
    location /chunked/ { add_after_body /empty; addition_types *; }
    location = /empty { }
  }
}
`;
}

/** Bytes of one whole response to `GET path` (head included), read until the socket is idle. */
function responseBytes(port: number, path: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let got = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, "latin1"));
    socket.on("data", (chunk: Buffer) => {
      got += chunk.length;
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        socket.destroy();
        resolve(got);
      }, 100);
    });
    socket.on("error", reject);
  });
}

/**
 * Starts nginx, or returns null (with the reason) when it is not installed or does not start.
 *
 * @returns The server, or a note for the output.
 */
export async function startBenchNginx(): Promise<BenchNginx | string> {
  const binary = nginxBinary();
  if (binary === null) return "nginx not installed (Debian nginx-light; `bash scripts/setup.sh`): nginx rows skipped";
  const dir = mkdtempSync(join(tmpdir(), "poll-http-bench-nginx-"));
  try {
    for (const sub of ["www/bytes", "www/chunked", "tmp"]) mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(join(dir, "www/small"), SMALL_BODY);
    writeFileSync(join(dir, "www/empty"), "");
    const [port = 0] = await pickFreePorts(1);
    const conf = join(dir, "nginx.conf");
    writeFileSync(conf, config(dir, port));
    const child = startChild(binary, ["-p", `${dir}/`, "-c", conf, "-g", "daemon off;"]);
    try {
      await waitForTcp("127.0.0.1", port, child.isRunning);
      const answer = await rawExchange("127.0.0.1", port, "GET /small HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
      if (!answer.endsWith(SMALL_BODY)) throw new Error(`unexpected answer: ${JSON.stringify(answer.slice(0, 200))}`);
      const version = /Server: (\S+)/.exec(answer)?.[1] ?? "nginx";
      const smallResponseBytes = await responseBytes(port, "/small");
      return {
        port,
        pid: child.pid,
        version,
        smallResponseBytes,
        addBodies(sizes) {
          for (const n of sizes) {
            for (const sub of ["bytes", "chunked"]) {
              const file = join(dir, "www", sub, String(n));
              if (!existsSync(file)) {
                writeFileSync(file, "");
                truncateSync(file, n); // sparse: no disk, read as zeros
              }
            }
          }
        },
        async stop() {
          await child.stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      await child.stop();
      throw new Error(`${error instanceof Error ? error.message : String(error)}; output: ${child.output()}`);
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return `nginx did not start (${error instanceof Error ? error.message : String(error)}): nginx rows skipped`;
  }
}
