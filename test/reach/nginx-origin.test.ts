/**
 * Reach: a real nginx (Debian nginx-light) as the origin, plain HTTP. Static files with
 * Content-Length through HTTPClient and HTTPRequest, gzip (chunked) decoded byte for byte,
 * keep-alive over 50 requests proven by nginx's `$connection`/`$connection_requests`, a 64 MiB
 * download to a file compared by hash, and IPv6 (`[::1]`) plus `localhost` end to end.
 * nginx is started once for the file; when it is not installed the tests fail and say to run
 * `bash scripts/setup.sh`.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Err, getHeaderValue, Method, Status } from "../../src/index.ts";
import { connect, readBody, requestAndWait } from "../helpers/client-driver.ts";
import { startNginx, type AccessLogEntry, type NginxServer } from "../helpers/nginx.ts";
import { ipv6LoopbackUsable } from "../helpers/real-process.ts";
import { fetchOnce, newClient, withNode, realServersPerFile } from "./reach-helpers.ts";

const HELLO = "hello from nginx\n";
/** Compressible text of ~400 KiB: nginx sends it gzip-compressed and chunked. */
const TEXT = Array.from({ length: 8000 }, (_, i) => `line ${i}: the quick brown fox ${(i * 2654435761) % 1000003} ünïcødé\n`).join("");
const BIG_BYTES = 64 * 1024 * 1024;
const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

const ipv6 = await ipv6LoopbackUsable();
let nginx: NginxServer;
let bigHash = "";
let downloads = "";

realServersPerFile(
  async () => {
    nginx = await startNginx({
      ipv6,
      files: { "raw/hello.txt": HELLO, "text/big.txt": TEXT },
      httpLocations: () => "location = /redirect/same-origin { return 302 /raw/hello.txt?from=redirect; }",
    });
    const big = randomBytes(BIG_BYTES);
    bigHash = sha256(big);
    writeFileSync(join(nginx.docroot, "raw", "big.bin"), big);
    downloads = mkdtempSync(join(tmpdir(), "poll-http-reach-dl-"));
  },
  async () => {
    if (downloads !== "") rmSync(downloads, { recursive: true, force: true });
    await nginx?.stop();
  },
);

/** The access-log entries whose request line contains `path`, once there are `count` of them. */
function entriesFor(path: string, count = 1): Promise<AccessLogEntry[]> {
  return nginx
    .waitForAccessLog((all) => all.filter((e) => e.request.includes(path)).length >= count, `${count} entries for ${path}`)
    .then((all) => all.filter((e) => e.request.includes(path)));
}

describe("nginx origin, plain HTTP", () => {
  it("HTTPClient reads a static file with Content-Length and is CONNECTED again", async () => {
    const client = newClient();
    await connect(client, "127.0.0.1", nginx.httpPort);
    expect(await requestAndWait(client, Method.METHOD_GET, "/raw/hello.txt?via=client")).toBe(Err.OK);
    expect(client.getResponseCode()).toBe(200);
    const headers = client.getResponseHeaders();
    expect(getHeaderValue(headers, "server")).toMatch(/^nginx\//);
    expect(getHeaderValue(headers, "content-length")).toBe(String(HELLO.length));
    expect(client.isResponseChunked()).toBe(false);
    expect(client.getResponseBodyLength()).toBe(HELLO.length);
    const read = await readBody(client);
    expect(read.body.toString("latin1")).toBe(HELLO);
    expect(read.status).toBe(Status.STATUS_CONNECTED);
    const [entry] = await entriesFor("/raw/hello.txt?via=client");
    expect(entry).toMatchObject({
      request: "GET /raw/hello.txt?via=client HTTP/1.1",
      status: "200",
      body_bytes_sent: String(HELLO.length),
      http_host: `127.0.0.1:${nginx.httpPort}`,
      connection_requests: "1",
    });
  });

  it("HTTPRequest gets the static file with Content-Length (gzip off under /raw/)", async () => {
    const done = await fetchOnce(nginx.httpUrl("/raw/hello.txt?via=node"));
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect(done.code).toBe(200);
    expect(done.text).toBe(HELLO);
    expect(done.header("content-length")).toBe(String(HELLO.length));
    expect(done.header("content-encoding")).toBeUndefined();
    const [entry] = await entriesFor("/raw/hello.txt?via=node");
    // The node offered gzip; nginx did not use it here.
    expect(entry).toMatchObject({ status: "200", http_accept_encoding: "gzip, deflate", content_encoding: "" });
  });

  it("HTTPRequest decodes nginx's chunked gzip body byte for byte", async () => {
    let downloaded = 0;
    let bodySize = 0;
    const done = await withNode(
      () => {},
      async (fetch, node) => {
        const result = await fetch(nginx.httpUrl("/text/big.txt?gzip=1"));
        downloaded = node.getDownloadedBytes();
        bodySize = node.getBodySize();
        return result;
      },
    );
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect(done.header("content-encoding")).toBe("gzip");
    expect(done.header("transfer-encoding")).toBe("chunked");
    expect(done.header("content-length")).toBeUndefined();
    expect(bodySize).toBe(-1);
    expect(Buffer.from(done.body).equals(Buffer.from(TEXT, "utf8"))).toBe(true);
    // What came over the wire was the compressed form.
    expect(downloaded).toBeGreaterThan(0);
    expect(downloaded).toBeLessThan(Buffer.byteLength(TEXT) / 3);
    const [entry] = await entriesFor("/text/big.txt?gzip=1");
    expect(entry).toMatchObject({ status: "200", content_encoding: "gzip" });
    // nginx counts the chunk framing too; the node counts body bytes after de-chunking.
    const sent = Number(entry?.body_bytes_sent);
    expect(sent).toBeGreaterThan(downloaded);
    expect(sent - downloaded).toBeLessThan(200);
  });

  it("with acceptGzip off the same file comes identity-coded", async () => {
    const done = await fetchOnce(nginx.httpUrl("/text/big.txt?gzip=0"), {
      configure: (node) => {
        node.acceptGzip = false;
      },
    });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect(done.header("content-encoding")).toBeUndefined();
    expect(done.text).toBe(TEXT);
    const [entry] = await entriesFor("/text/big.txt?gzip=0");
    expect(entry).toMatchObject({ http_accept_encoding: "", content_encoding: "" });
  });

  it("keep-alive: 50 sequential requests on one HTTPClient use one nginx connection (requests 1..50)", async () => {
    const client = newClient();
    await connect(client, "127.0.0.1", nginx.httpPort);
    for (let i = 1; i <= 50; i++) {
      expect(await requestAndWait(client, Method.METHOD_GET, `/raw/hello.txt?ka=${i}`)).toBe(Err.OK);
      expect(client.getResponseCode()).toBe(200);
      const read = await readBody(client);
      expect(read.body.toString("latin1")).toBe(HELLO);
      expect(read.status).toBe(Status.STATUS_CONNECTED);
    }
    const entries = await entriesFor("?ka=", 50);
    expect(entries.map((e) => e.request)).toEqual(Array.from({ length: 50 }, (_, i) => `GET /raw/hello.txt?ka=${i + 1} HTTP/1.1`));
    expect(new Set(entries.map((e) => e.connection)).size).toBe(1);
    expect(entries.map((e) => Number(e.connection_requests))).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it("HTTPClient keeps one connection across GET, HEAD, 304, 206 and GET (bodiless framings)", async () => {
    const client = newClient();
    await connect(client, "127.0.0.1", nginx.httpPort);
    const exchange = async (
      method: Method,
      target: string,
      headers: string[] = [],
    ): Promise<{ code: number; headers: string[]; body: string }> => {
      expect(await requestAndWait(client, method, target, headers)).toBe(Err.OK);
      const code = client.getResponseCode();
      const responseHeaders = client.getResponseHeaders();
      const read = await readBody(client);
      expect(read.status, `${target}: ${client.getErrorReason()}`).toBe(Status.STATUS_CONNECTED);
      return { code, headers: responseHeaders, body: read.body.toString("latin1") };
    };
    const first = await exchange(Method.METHOD_GET, "/raw/hello.txt?framing=get");
    const etag = getHeaderValue(first.headers, "etag") ?? "";
    expect([first.code, first.body, etag === ""]).toEqual([200, HELLO, false]);
    const head = await exchange(Method.METHOD_HEAD, "/raw/hello.txt?framing=head");
    expect([head.code, getHeaderValue(head.headers, "content-length"), head.body]).toEqual([200, String(HELLO.length), ""]);
    const notModified = await exchange(Method.METHOD_GET, "/raw/hello.txt?framing=304", [`If-None-Match: ${etag}`]);
    expect([notModified.code, notModified.body]).toEqual([304, ""]);
    const range = await exchange(Method.METHOD_GET, "/raw/hello.txt?framing=206", ["Range: bytes=0-4"]);
    expect([range.code, range.body, getHeaderValue(range.headers, "content-range")]).toEqual([
      206,
      HELLO.slice(0, 5),
      `bytes 0-4/${HELLO.length}`,
    ]);
    const last = await exchange(Method.METHOD_GET, "/raw/hello.txt?framing=last");
    expect([last.code, last.body]).toEqual([200, HELLO]);
    const entries = await entriesFor("?framing=", 5);
    expect(entries.map((e) => e.status)).toEqual(["200", "200", "304", "206", "200"]);
    expect(new Set(entries.map((e) => e.connection)).size).toBe(1);
    expect(entries.map((e) => e.connection_requests)).toEqual(["1", "2", "3", "4", "5"]);
  });

  it("HTTPRequest HEAD on a gzip-able file: nginx says gzip, there is no body to decode", async () => {
    const done = await fetchOnce(nginx.httpUrl("/text/big.txt?head=1"), { method: Method.METHOD_HEAD });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect(done.code).toBe(200);
    expect(done.header("content-encoding")).toBe("gzip");
    expect(done.body.length).toBe(0);
  });

  it("keep-alive: one HTTPRequest node reuses its connection for consecutive requests to the same origin", async () => {
    await withNode(
      () => {},
      async (fetch) => {
        for (let i = 1; i <= 5; i++) {
          const done = await fetch(nginx.httpUrl(`/raw/hello.txt?node-ka=${i}`));
          expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
          expect(done.text).toBe(HELLO);
        }
      },
    );
    const entries = await entriesFor("?node-ka=", 5);
    expect(new Set(entries.map((e) => e.connection)).size).toBe(1);
    expect(entries.map((e) => e.connection_requests)).toEqual(["1", "2", "3", "4", "5"]);
  });

  it("downloadFile: 64 MiB of random data from nginx lands identical (SHA-256)", async () => {
    const target = join(downloads, "big.bin");
    const done = await fetchOnce(nginx.httpUrl("/raw/big.bin"), {
      configure: (node) => {
        node.downloadFile = target;
      },
      maxMs: 20_000,
    });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect(done.code).toBe(200);
    expect(done.header("content-length")).toBe(String(BIG_BYTES));
    expect(done.body.length).toBe(0);
    const written = readFileSync(target);
    expect(written.length).toBe(BIG_BYTES);
    expect(sha256(written)).toBe(bigHash);
    const [entry] = await entriesFor("/raw/big.bin");
    expect(entry).toMatchObject({ status: "200", body_bytes_sent: String(BIG_BYTES) });
  });

  it("downloadFile at a fixed 60 ticks/s: 64 MiB from nginx moves at least 1 MiB per tick", async () => {
    const target = join(downloads, "big-fixed.bin");
    const done = await fetchOnce(nginx.httpUrl("/raw/big.bin?mode=fixed"), {
      configure: (node) => {
        node.downloadFile = target;
      },
      mode: "fixed",
      fps: 60,
      maxMs: 20_000,
    });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect(sha256(readFileSync(target))).toBe(bigHash);
    // DESIGN, "The poll contract": a bulk download at 60 ticks/s moves at least 1 MiB per tick by
    // default. 64 ticks of body, plus a few for connect, request and head.
    expect(done.completedAtTick).toBeLessThanOrEqual(64 + 6);
  });

  it("a same-origin redirect is followed on the same connection (nginx's 302 page drained)", async () => {
    const done = await fetchOnce(nginx.httpUrl("/redirect/same-origin"));
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect([done.code, done.text]).toEqual([200, HELLO]);
    const [redirect] = await entriesFor("/redirect/same-origin");
    const [target] = await entriesFor("?from=redirect");
    expect(redirect).toMatchObject({ status: "302", connection_requests: "1" });
    expect(Number(redirect?.body_bytes_sent)).toBeGreaterThan(0);
    expect(target).toMatchObject({ status: "200", connection: redirect?.connection, connection_requests: "2" });
  });

  it("POST to a static file: nginx's 405 is the response", async () => {
    const done = await fetchOnce(nginx.httpUrl("/raw/hello.txt?post=small"), { method: Method.METHOD_POST, body: "x=1" });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect(done.code).toBe(405);
    expect((await entriesFor("?post=small"))[0]).toMatchObject({ request: "POST /raw/hello.txt?post=small HTTP/1.1", status: "405" });
  });

  it("a 16 MiB upload that nginx refuses early (client_max_body_size 1m) ends with its 413, not an error", async () => {
    const done = await fetchOnce(nginx.httpUrl("/raw/hello.txt?post=big"), {
      method: Method.METHOD_POST,
      body: Buffer.alloc(16 * 1024 * 1024, 0x61),
    });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect(done.code).toBe(413);
    expect(done.text).toContain("413 Request Entity Too Large");
    expect((await entriesFor("?post=big"))[0]?.status).toBe("413");
  });

  it("a missing file is a SUCCESS with code 404 and nginx's error page", async () => {
    const done = await fetchOnce(nginx.httpUrl("/raw/missing.txt"));
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect(done.code).toBe(404);
    expect(done.text).toContain("404 Not Found");
  });
});

describe("nginx origin, names and IPv6", () => {
  it("http://localhost:port/ works, with Host: localhost:port", async () => {
    const done = await fetchOnce(`http://localhost:${nginx.httpPort}/raw/hello.txt?name=localhost`);
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect(done.text).toBe(HELLO);
    const [entry] = await entriesFor("?name=localhost");
    expect(entry?.http_host).toBe(`localhost:${nginx.httpPort}`);
  });

  it.runIf(ipv6)("http://[::1]:port/ works end to end with Host: [::1]:port (HTTPRequest)", async () => {
    const done = await fetchOnce(`http://[::1]:${nginx.httpPort}/raw/hello.txt?name=v6-node`);
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect(done.text).toBe(HELLO);
    const [entry] = await entriesFor("?name=v6-node");
    expect(entry).toMatchObject({ http_host: `[::1]:${nginx.httpPort}`, server_addr: "::1", remote_addr: "::1" });
  });

  it.runIf(ipv6)("HTTPClient connects to ::1 (with or without brackets) and sends Host: [::1]:port", async () => {
    for (const host of ["::1", "[::1]"]) {
      const client = newClient();
      await connect(client, host, nginx.httpPort);
      expect(await requestAndWait(client, Method.METHOD_GET, `/raw/hello.txt?name=v6-client-${host.length}`)).toBe(Err.OK);
      expect(client.getResponseCode()).toBe(200);
      expect((await readBody(client)).body.toString("latin1")).toBe(HELLO);
      const [entry] = await entriesFor(`?name=v6-client-${host.length}`);
      expect(entry).toMatchObject({ http_host: `[::1]:${nginx.httpPort}`, server_addr: "::1" });
    }
  });
});
