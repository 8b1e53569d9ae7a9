/**
 * Reach: a real nginx (Debian nginx-light) as an HTTPS origin. Verification against the fixture CA
 * with SNI (nginx logs `$ssl_server_name`), the default trust store refusing the test CA, and
 * mutual TLS with `ssl_verify_client on`: what nginx does without a client certificate, and
 * `withClientCertificate` with the plain key and with the encrypted key + passphrase (nginx logs
 * `$ssl_client_verify` SUCCESS). nginx is started once for the file.
 */
import { describe, expect, it } from "vitest";
import { Err, getHeaderValue, Method, Result, Status, TLSOptions } from "../../src/index.ts";
import { connect, pollToStatus, readBody, requestAndWait } from "../helpers/client-driver.ts";
import { startNginx, type AccessLogEntry, type NginxServer } from "../helpers/nginx.ts";
import { CLIENT_KEY_PASSPHRASE, fixtures } from "../helpers/tls-fixtures.ts";
import { fetchOnce, newClient, realServersPerFile } from "./reach-helpers.ts";

const HELLO = "hello over TLS\n";
const CA = TLSOptions.client(fixtures.ca);

let nginx: NginxServer;

realServersPerFile(
  async () => {
    nginx = await startNginx({ files: { "raw/hello.txt": HELLO } });
  },
  async () => {
    await nginx?.stop();
  },
);

function entryFor(path: string): Promise<AccessLogEntry> {
  return nginx
    .waitForAccessLog((all) => all.some((e) => e.request.includes(path)), `an entry for ${path}`)
    .then((all) => {
      const found = all.find((e) => e.request.includes(path));
      if (found === undefined) throw new Error("unreachable");
      return found;
    });
}

describe("nginx over HTTPS, fixture CA", () => {
  it("HTTPClient: https to localhost verifies the chain and sends SNI localhost", async () => {
    const client = newClient();
    await connect(client, "localhost", nginx.httpsPort, CA);
    expect(await requestAndWait(client, Method.METHOD_GET, "/raw/hello.txt?tls=client")).toBe(Err.OK);
    expect(client.getResponseCode()).toBe(200);
    expect(getHeaderValue(client.getResponseHeaders(), "content-length")).toBe(String(HELLO.length));
    const read = await readBody(client);
    expect(read.body.toString("latin1")).toBe(HELLO);
    expect(read.status).toBe(Status.STATUS_CONNECTED);
    const entry = await entryFor("?tls=client");
    expect(entry).toMatchObject({ status: "200", ssl_server_name: "localhost", http_host: `localhost:${nginx.httpsPort}` });
    expect(entry.ssl_protocol).toMatch(/^TLSv1\.[23]$/);
  });

  it("HTTPRequest: https://localhost:port/ with setTlsOptions(CA) → 200, SNI localhost", async () => {
    const done = await fetchOnce(nginx.httpsUrl("/raw/hello.txt?tls=node"), { configure: (node) => node.setTlsOptions(CA) });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect([done.code, done.text]).toEqual([200, HELLO]);
    expect((await entryFor("?tls=node")).ssl_server_name).toBe("localhost");
  });

  it("HTTPRequest: https://127.0.0.1:port/ verifies the IP SAN and sends no SNI (RFC 6066 forbids IP literals)", async () => {
    const done = await fetchOnce(`https://127.0.0.1:${nginx.httpsPort}/raw/hello.txt?tls=ip`, {
      configure: (node) => node.setTlsOptions(CA),
    });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect(done.text).toBe(HELLO);
    expect(await entryFor("?tls=ip")).toMatchObject({ ssl_server_name: "", http_host: `127.0.0.1:${nginx.httpsPort}` });
  });

  it("with the default trust store the test CA is unknown: TLS_HANDSHAKE_ERROR naming Node's code", async () => {
    const done = await fetchOnce(nginx.httpsUrl("/raw/hello.txt?tls=default-store"));
    expect(done.resultName).toBe("RESULT_TLS_HANDSHAKE_ERROR");
    expect(done.code).toBe(0);
    expect(done.reason).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT_IN_CHAIN/);
    expect(nginx.readAccessLog().some((e) => e.request.includes("?tls=default-store"))).toBe(false);
  });

  it("a name the certificate does not carry (commonNameOverride) fails verification", async () => {
    const done = await fetchOnce(nginx.httpsUrl("/raw/hello.txt?tls=wrong-name"), {
      configure: (node) => node.setTlsOptions(TLSOptions.client(fixtures.ca, "wrong.example")),
    });
    expect(done.resultName).toBe("RESULT_TLS_HANDSHAKE_ERROR");
    expect(done.reason).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|wrong\.example/);
  });
});

describe("nginx with ssl_verify_client on (mutual TLS)", () => {
  it("without a client certificate the handshake succeeds and nginx answers 400 (NONE in the log)", async () => {
    const done = await fetchOnce(nginx.mtlsUrl("/raw/hello.txt?mtls=none"), { configure: (node) => node.setTlsOptions(CA) });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect(done.code).toBe(400);
    expect(done.text).toContain("No required SSL certificate was sent");
    expect(await entryFor("?mtls=none")).toMatchObject({ status: "400", ssl_client_verify: "NONE", ssl_server_name: "localhost" });
  });

  it("HTTPRequest with withClientCertificate(cert, plain key) → 200, SUCCESS in the log", async () => {
    const tls = CA.withClientCertificate(fixtures.clientCert, fixtures.clientKey);
    const done = await fetchOnce(nginx.mtlsUrl("/raw/hello.txt?mtls=plain-key"), { configure: (node) => node.setTlsOptions(tls) });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect([done.code, done.text]).toEqual([200, HELLO]);
    const entry = await entryFor("?mtls=plain-key");
    expect(entry).toMatchObject({ status: "200", ssl_client_verify: "SUCCESS" });
    expect(entry.ssl_client_s_dn).toContain("CN=client.test");
  });

  it("HTTPRequest with the encrypted key and its passphrase → 200, SUCCESS in the log", async () => {
    const tls = CA.withClientCertificate(fixtures.clientCert, fixtures.clientKeyEncrypted, CLIENT_KEY_PASSPHRASE);
    const done = await fetchOnce(nginx.mtlsUrl("/raw/hello.txt?mtls=encrypted-key"), { configure: (node) => node.setTlsOptions(tls) });
    expect(done.resultName, done.reason).toBe("RESULT_SUCCESS");
    expect([done.code, done.text]).toEqual([200, HELLO]);
    expect(await entryFor("?mtls=encrypted-key")).toMatchObject({ status: "200", ssl_client_verify: "SUCCESS" });
  });

  it("HTTPClient with the encrypted key and its passphrase → 200 on a kept connection, twice", async () => {
    const client = newClient();
    const tls = CA.withClientCertificate(fixtures.clientCert, fixtures.clientKeyEncrypted, CLIENT_KEY_PASSPHRASE);
    await connect(client, "localhost", nginx.mtlsPort, tls);
    for (const n of [1, 2]) {
      expect(await requestAndWait(client, Method.METHOD_GET, `/raw/hello.txt?mtls=client-${n}`)).toBe(Err.OK);
      expect(client.getResponseCode()).toBe(200);
      expect((await readBody(client)).body.toString("latin1")).toBe(HELLO);
    }
    const first = await entryFor("?mtls=client-1");
    const second = await entryFor("?mtls=client-2");
    expect([first.ssl_client_verify, second.ssl_client_verify]).toEqual(["SUCCESS", "SUCCESS"]);
    expect(second.connection).toBe(first.connection);
    expect(second.connection_requests).toBe("2");
  });

  it("the encrypted key with a wrong passphrase fails before anything reaches nginx", async () => {
    const client = newClient();
    const tls = CA.withClientCertificate(fixtures.clientCert, fixtures.clientKeyEncrypted, "not-the-passphrase");
    expect(client.connectToHost("localhost", nginx.mtlsPort, tls)).toBe(Err.OK);
    await pollToStatus(client, Status.STATUS_TLS_HANDSHAKE_ERROR);
    expect(client.getErrorReason()).toContain("ERR_OSSL_BAD_DECRYPT");
    const done = await fetchOnce(nginx.mtlsUrl("/raw/hello.txt?mtls=wrong-pass"), { configure: (node) => node.setTlsOptions(tls) });
    expect(done.result).toBe(Result.RESULT_TLS_HANDSHAKE_ERROR);
    expect(nginx.readAccessLog().some((e) => e.request.includes("?mtls=wrong-pass"))).toBe(false);
  });
});
