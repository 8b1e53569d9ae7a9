// The command over HTTPS (--cacert, --insecure, verification failures) and through a forward proxy (--proxy).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTinyproxy, type Tinyproxy } from "../helpers/tinyproxy.ts";
import { buildCli, CA_FILE, runCommand, startTestServer, type BuiltCli, type CliRun, type TestServer } from "./cli-kit.ts";

let cli: BuiltCli;
let https: TestServer;
let http: TestServer;

beforeAll(async () => {
  [cli, https, http] = await Promise.all([buildCli(), startTestServer(true), startTestServer(false)]);
});

afterAll(async () => {
  await Promise.all([https?.close(), http?.close()]);
  cli?.dispose();
});

const run = (...args: string[]): Promise<CliRun> => runCommand(cli.path, args);

describe.concurrent("poll-http over HTTPS", () => {
  it("verifies the server against --cacert", async () => {
    const result = await run("--cacert", CA_FILE, `${https.origin}/hello`);
    expect(result).toMatchObject({ status: 0, stderr: "" });
    expect(result.stdout.toString()).toBe("hello world\n");
    const byName = await run("--cacert", CA_FILE, `https://localhost:${https.port}/hello`);
    expect(byName.stdout.toString()).toBe("hello world\n");
  });

  it("exits 15 naming the certificate problem when the CA is not trusted", async () => {
    const result = await run(`${https.origin}/hello`);
    expect(result.status).toBe(15);
    expect(result.stdout.length).toBe(0);
    expect(result.stderr).toMatch(/^poll-http: .*(certificate|CERT|issuer).* \(RESULT_TLS_HANDSHAKE_ERROR\)\n$/);
  });

  it("accepts any certificate with --insecure (and -k)", async () => {
    expect((await run("--insecure", `${https.origin}/hello`)).stdout.toString()).toBe("hello world\n");
    expect((await run("-k", `${https.origin}/hello`)).status).toBe(0);
  });

  it("exits 15 when TLS is spoken to a plain HTTP server", async () => {
    const result = await run("--cacert", CA_FILE, `https://127.0.0.1:${http.port}/hello`);
    expect(result.status).toBe(15);
    expect(result.stderr).toBe(
      `poll-http: 127.0.0.1:${http.port} did not answer in TLS: it looks like a plain-HTTP port ` +
        `(try http://127.0.0.1:${http.port}/hello) (RESULT_TLS_HANDSHAKE_ERROR)\n`,
    );
    expect(result.stderr).not.toMatch(/SSL routines|ssl3_|openssl/i);
  });
});

describe("poll-http --proxy (tinyproxy)", () => {
  let proxy: Tinyproxy;

  beforeAll(async () => {
    proxy = await startTinyproxy();
  });

  afterAll(async () => {
    await proxy?.stop();
  });

  it("sends an http:// request through the proxy", async () => {
    const result = await run("--proxy", `http://${proxy.host}:${proxy.port}`, `${http.origin}/echo`);
    expect(result).toMatchObject({ status: 0, stderr: "" });
    const echoed = JSON.parse(result.stdout.toString()) as { rawHeaders: string[] };
    expect(echoed.rawHeaders.join("\n")).toMatch(/tinyproxy/i);
    expect(proxy.requestLines()).toContain(`GET ${http.origin}/echo HTTP/1.1`);
  });

  it("tunnels an https:// request with CONNECT and still verifies the origin", async () => {
    const result = await run("-x", `${proxy.host}:${proxy.port}`, "--cacert", CA_FILE, `${https.origin}/hello`);
    expect(result).toMatchObject({ status: 0, stderr: "" });
    expect(result.stdout.toString()).toBe("hello world\n");
    expect(proxy.requestLines()).toContain(`CONNECT 127.0.0.1:${https.port} HTTP/1.1`);
  });
});

describe.concurrent("poll-http --proxy failures", () => {
  it("exits 12 when the proxy does not accept connections", async () => {
    const result = await run("--proxy", "http://127.0.0.1:1", `${http.origin}/hello`);
    expect(result.status).toBe(12);
    expect(result.stderr).toMatch(/^poll-http: .*127\.0\.0\.1:1.* \(RESULT_CANT_CONNECT\)\n$/);
  });

  it("exits 2 for a malformed proxy URL", async () => {
    const result = await run("--proxy", "http://[bad", `${http.origin}/hello`);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('poll-http: invalid proxy URL "http://[bad"\n');
  });
});
