/**
 * PEM strings of the TLS test fixtures in `test/fixtures/tls/` (made by `generate.sh` there).
 * Every certificate is EC P-256; all but `expired` are valid 2025–2125.
 */
import { readFileSync } from "node:fs";

function pem(name: string): string {
  return readFileSync(new URL(`../fixtures/tls/${name}.pem`, import.meta.url), "utf8");
}

/** The passphrase of {@link fixtures.clientKeyEncrypted}. */
export const CLIENT_KEY_PASSPHRASE = "poll-http-test";

/** The fixture certificates and keys. */
export const fixtures = {
  /** Test CA certificate; trust it with `trustedCA: fixtures.ca`. */
  ca: pem("ca"),
  /** Test CA key. */
  caKey: pem("ca-key"),
  /** Server certificate for localhost, 127.0.0.1 and ::1, signed by `ca`. */
  serverCert: pem("server"),
  /** Key of `serverCert`. */
  serverKey: pem("server-key"),
  /** Like `serverCert` but valid only 2020-01-01 .. 2021-01-01. */
  expiredCert: pem("expired"),
  /** Key of `expiredCert`. */
  expiredKey: pem("expired-key"),
  /** Self-signed certificate for localhost, 127.0.0.1 and ::1. */
  selfSignedCert: pem("self-signed"),
  /** Key of `selfSignedCert`. */
  selfSignedKey: pem("self-signed-key"),
  /** Certificate for `wrong.example` only, signed by `ca`. */
  wrongHostCert: pem("wrong-host"),
  /** Key of `wrongHostCert`. */
  wrongHostKey: pem("wrong-host-key"),
  /** CA for client certificates (mutual TLS). */
  clientCa: pem("client-ca"),
  /** Client CA key. */
  clientCaKey: pem("client-ca-key"),
  /** Client certificate (CN client.test), signed by `clientCa`. */
  clientCert: pem("client"),
  /** Key of `clientCert`. */
  clientKey: pem("client-key"),
  /** `clientKey` encrypted with {@link CLIENT_KEY_PASSPHRASE}. */
  clientKeyEncrypted: pem("client-key-encrypted"),
} as const;
