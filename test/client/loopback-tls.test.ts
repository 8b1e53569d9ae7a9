/**
 * HTTPClient over real TLS loopback servers with the fixture certificates: verification, SNI,
 * every way a handshake fails, the unsafe mode, and mutual TLS.
 */
import type { TLSSocket, TlsOptions } from "node:tls";
import { describe, expect, it } from "vitest";
import { Err, HTTPClient, Method, Status, TLSOptions } from "../../src/index.ts";
import { connect, pollUntil, readBody, requestAndWait, serveRequests, TERMINAL } from "../helpers/client-driver.ts";
import { startTlsServer, writeResponse, type LoopbackServer } from "../helpers/loopback-server.ts";
import { CLIENT_KEY_PASSPHRASE, fixtures } from "../helpers/tls-fixtures.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";

const track = cleanupAfterEach().track;

const SERVER: TlsOptions = { cert: fixtures.serverCert, key: fixtures.serverKey };

/** A TLS server answering each request with its request line; records SNI and client certificates. */
async function tlsServer(
  options: TlsOptions = SERVER,
): Promise<LoopbackServer<TLSSocket> & { readonly sni: Array<string | false | null> }> {
  const sni: Array<string | false | null> = [];
  const srv = await startTlsServer(options, (socket) => {
    sni.push(socket.servername);
    serveRequests(socket, (request, _index, s) => {
      const peer = (s as TLSSocket).getPeerCertificate();
      const who = peer.subject === undefined ? "anonymous" : String(peer.subject.CN);
      writeResponse(s, { body: `${request.requestLine} from ${who}` });
    });
  });
  return track(Object.assign(srv, { sni }));
}

/** Connects with `tls` and polls to a terminal status or CONNECTED; returns the last poll() result. */
async function handshake(client: HTTPClient, host: string, port: number, tls: TLSOptions | null): Promise<Err> {
  expect(client.connectToHost(host, port, tls)).toBe(Err.OK);
  return pollUntil(client, (s) => s === Status.STATUS_CONNECTED || TERMINAL.has(s), "the handshake to finish");
}

async function get(client: HTTPClient, target: string): Promise<string> {
  await requestAndWait(client, Method.METHOD_GET, target);
  const read = await readBody(client);
  expect(read.status).toBe(Status.STATUS_CONNECTED);
  return read.body.toString();
}

describe("HTTPClient over loopback TLS", () => {
  it("verifies the server against the fixture CA and sends SNI localhost", async () => {
    const srv = await tlsServer();
    const client = track(new HTTPClient());
    await connect(client, "localhost", srv.port, TLSOptions.client(fixtures.ca));
    expect(await get(client, "/secure")).toBe("GET /secure HTTP/1.1 from anonymous");
    expect(await get(client, "/again")).toBe("GET /again HTTP/1.1 from anonymous");
    expect(srv.sni).toEqual(["localhost"]);
    expect(srv.connections.length).toBe(1);
  });

  it("takes TLS from an https:// prefix, and drops it for an http:// prefix", async () => {
    const srv = await tlsServer();
    const client = track(new HTTPClient());
    await connect(client, "https://localhost", srv.port, TLSOptions.client(fixtures.ca));
    expect(await get(client, "/prefixed")).toBe("GET /prefixed HTTP/1.1 from anonymous");
    expect(srv.sni).toEqual(["localhost"]);
    // https:// without options means verifying defaults (the system store, which lacks the test CA).
    const err = await handshake(client, "https://localhost", srv.port, null);
    expect(client.getStatus()).toBe(Status.STATUS_TLS_HANDSHAKE_ERROR);
    expect(err).toBe(Err.ERR_CANT_CONNECT);
  });

  it("verifies an IP literal against the certificate's IP address and sends no SNI", async () => {
    const srv = await tlsServer();
    const client = track(new HTTPClient());
    await connect(client, "127.0.0.1", srv.port, TLSOptions.client(fixtures.ca));
    expect(await get(client, "/ip")).toBe("GET /ip HTTP/1.1 from anonymous");
    expect(srv.sni).toEqual([false]);
  });

  it("fails an untrusted certificate with TLS_HANDSHAKE_ERROR, ERR_CANT_CONNECT and Node's code", async () => {
    const srv = await tlsServer();
    const client = track(new HTTPClient());
    const err = await handshake(client, "localhost", srv.port, TLSOptions.client());
    expect(client.getStatus()).toBe(Status.STATUS_TLS_HANDSHAKE_ERROR);
    expect(err).toBe(Err.ERR_CANT_CONNECT);
    expect(client.getErrorReason()).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN/);
    expect(client.poll()).toBe(Err.ERR_CONNECTION_ERROR);
  });

  it("fails a certificate for another host with ERR_TLS_CERT_ALTNAME_INVALID", async () => {
    const srv = await tlsServer({ cert: fixtures.wrongHostCert, key: fixtures.wrongHostKey });
    const client = track(new HTTPClient());
    const err = await handshake(client, "localhost", srv.port, TLSOptions.client(fixtures.ca));
    expect(client.getStatus()).toBe(Status.STATUS_TLS_HANDSHAKE_ERROR);
    expect(err).toBe(Err.ERR_CANT_CONNECT);
    expect(client.getErrorReason()).toContain("ERR_TLS_CERT_ALTNAME_INVALID");
  });

  it("accepts a certificate for another host when its name is given as commonNameOverride", async () => {
    const srv = await tlsServer({ cert: fixtures.wrongHostCert, key: fixtures.wrongHostKey });
    const client = track(new HTTPClient());
    await connect(client, "localhost", srv.port, TLSOptions.client(fixtures.ca, "wrong.example"));
    expect(await get(client, "/override")).toBe("GET /override HTTP/1.1 from anonymous");
    expect(srv.sni).toEqual(["localhost"]);
  });

  it("fails an expired certificate with CERT_HAS_EXPIRED", async () => {
    const srv = await tlsServer({ cert: fixtures.expiredCert, key: fixtures.expiredKey });
    const client = track(new HTTPClient());
    const err = await handshake(client, "localhost", srv.port, TLSOptions.client(fixtures.ca));
    expect(client.getStatus()).toBe(Status.STATUS_TLS_HANDSHAKE_ERROR);
    expect(err).toBe(Err.ERR_CANT_CONNECT);
    expect(client.getErrorReason()).toContain("CERT_HAS_EXPIRED");
  });

  it("accepts a self-signed certificate only with TLSOptions.clientUnsafe()", async () => {
    const srv = await tlsServer({ cert: fixtures.selfSignedCert, key: fixtures.selfSignedKey });
    const client = track(new HTTPClient());
    const refused = await handshake(client, "localhost", srv.port, TLSOptions.client());
    expect(client.getStatus()).toBe(Status.STATUS_TLS_HANDSHAKE_ERROR);
    expect(refused).toBe(Err.ERR_CANT_CONNECT);
    expect(client.getErrorReason()).toContain("DEPTH_ZERO_SELF_SIGNED_CERT");
    await connect(client, "localhost", srv.port, TLSOptions.clientUnsafe());
    expect(await get(client, "/unsafe")).toBe("GET /unsafe HTTP/1.1 from anonymous");
  });

  it("presents a client certificate for mutual TLS (plain and encrypted key)", async () => {
    const srv = await tlsServer({ ...SERVER, requestCert: true, rejectUnauthorized: true, ca: fixtures.clientCa });
    const client = track(new HTTPClient());
    await connect(
      client,
      "localhost",
      srv.port,
      TLSOptions.client(fixtures.ca).withClientCertificate(fixtures.clientCert, fixtures.clientKey),
    );
    expect(await get(client, "/mtls")).toBe("GET /mtls HTTP/1.1 from client.test");
    const encrypted = TLSOptions.client(fixtures.ca).withClientCertificate(
      fixtures.clientCert,
      fixtures.clientKeyEncrypted,
      CLIENT_KEY_PASSPHRASE,
    );
    await connect(client, "localhost", srv.port, encrypted);
    expect(await get(client, "/mtls-encrypted")).toBe("GET /mtls-encrypted HTTP/1.1 from client.test");
  });

  it("never reports a response when the server requires a client certificate and none is given", async () => {
    const srv = await tlsServer({ ...SERVER, requestCert: true, rejectUnauthorized: true, ca: fixtures.clientCa });
    const client = track(new HTTPClient());
    const err = await handshake(client, "localhost", srv.port, TLSOptions.client(fixtures.ca));
    if (client.getStatus() === Status.STATUS_CONNECTED) {
      // TLS 1.3: the client's handshake is done before the server checks the certificate, so the
      // refusal arrives as an alert on the open connection.
      expect(client.request(Method.METHOD_GET, "/", [])).toBe(Err.OK);
      await pollUntil(client, (s) => TERMINAL.has(s), "the server's refusal");
      expect(client.getStatus()).toBe(Status.STATUS_CONNECTION_ERROR);
      expect(client.hasResponse()).toBe(false);
    } else {
      expect(client.getStatus()).toBe(Status.STATUS_TLS_HANDSHAKE_ERROR);
      expect(err).toBe(Err.ERR_CANT_CONNECT);
    }
    expect(client.getErrorReason()).toMatch(/certificate|CERT|alert/i);
  });

  it("fails with TLS_HANDSHAKE_ERROR when the client key's passphrase is wrong", async () => {
    const srv = await tlsServer({ ...SERVER, requestCert: true, rejectUnauthorized: true, ca: fixtures.clientCa });
    const client = track(new HTTPClient());
    const options = TLSOptions.client(fixtures.ca).withClientCertificate(fixtures.clientCert, fixtures.clientKeyEncrypted, "wrong");
    const err = await handshake(client, "localhost", srv.port, options);
    expect(client.getStatus()).toBe(Status.STATUS_TLS_HANDSHAKE_ERROR);
    expect(err).toBe(Err.ERR_CANT_CONNECT);
    expect(client.getErrorReason()).toMatch(/TLS handshake with localhost failed: .*(DECRYPT|passphrase|PEM)/i);
  });

  it("reads a close-delimited body over TLS to the end, and fails a Content-Length body cut short", async () => {
    const srv = track(
      await startTlsServer(SERVER, (socket) =>
        serveRequests(socket, (request, _index, s) => {
          if (request.requestLine.startsWith("GET /close ")) s.end("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
          else s.end("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly this");
        }),
      ),
    );
    const client = track(new HTTPClient());
    await connect(client, "localhost", srv.port, TLSOptions.client(fixtures.ca));
    await requestAndWait(client, Method.METHOD_GET, "/close");
    const whole = await readBody(client);
    expect(whole.body.toString()).toBe("until the end");
    expect(whole.status).toBe(Status.STATUS_DISCONNECTED);

    await connect(client, "localhost", srv.port, TLSOptions.client(fixtures.ca));
    await requestAndWait(client, Method.METHOD_GET, "/cut");
    const cut = await readBody(client);
    expect(cut.body.toString()).toBe("only this");
    expect(cut.status).toBe(Status.STATUS_CONNECTION_ERROR);
    expect(client.getErrorReason()).toMatch(/9 of 50/);
  });
});
