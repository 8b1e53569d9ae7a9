import type { TlsConnectOptions } from "./network.ts";

/** The fields of a {@link TLSOptions}. */
export interface TLSOptionsInit {
  /** PEM certificates to trust instead of Node's default CA store. */
  readonly trustedCA?: string | readonly string[];
  /** The name the server certificate must carry when it differs from the host connected to. */
  readonly commonNameOverride?: string;
  /** A PEM client certificate for mutual TLS. */
  readonly clientCert?: string;
  /** The PEM private key of `clientCert`. */
  readonly clientKey?: string;
  /** The passphrase of an encrypted `clientKey`. */
  readonly passphrase?: string;
  /** Skip certificate and host-name verification. Set only through {@link TLSOptions.clientUnsafe}. */
  readonly unsafe?: boolean;
}

/**
 * Client TLS settings, as Godot's `TLSOptions`. Verification of the certificate chain and the host
 * name is on by default, SNI is sent for host names, and TLS 1.2 is the minimum version.
 *
 * @example
 * ```ts
 * import { readFileSync } from "node:fs";
 * declare const client: HTTPClient;
 * client.connectToHost("example.com", 443, TLSOptions.client(readFileSync("ca.pem", "utf8")));
 * ```
 */
export class TLSOptions {
  /** PEM certificates trusted instead of Node's default store, or `undefined` for the default store. */
  readonly trustedCA: string | readonly string[] | undefined;
  /** The name the certificate must carry, or `""` to use the host name. */
  readonly commonNameOverride: string;
  /** A PEM client certificate, or `""` for none. */
  readonly clientCert: string;
  /** The PEM key of `clientCert`, or `""`. */
  readonly clientKey: string;
  /** The passphrase of `clientKey`, or `""`. */
  readonly passphrase: string;
  /** True when nothing is verified. */
  readonly unsafe: boolean;

  /**
   * Creates options from fields; prefer {@link TLSOptions.client} and {@link TLSOptions.clientUnsafe}.
   *
   * @param init - The settings; omitted fields take the verifying defaults.
   */
  constructor(init: TLSOptionsInit = {}) {
    this.trustedCA = init.trustedCA;
    this.commonNameOverride = init.commonNameOverride ?? "";
    this.clientCert = init.clientCert ?? "";
    this.clientKey = init.clientKey ?? "";
    this.passphrase = init.passphrase ?? "";
    this.unsafe = init.unsafe ?? false;
  }

  /**
   * Verifying client options (Godot's `TLSOptions.client()`).
   *
   * @param trustedChain - PEM certificates to trust instead of the default store.
   * @param commonNameOverride - A name to verify the certificate against instead of the host name.
   * @returns The options.
   */
  static client(trustedChain?: string | readonly string[], commonNameOverride = ""): TLSOptions {
    return new TLSOptions(trustedChain === undefined ? { commonNameOverride } : { trustedCA: trustedChain, commonNameOverride });
  }

  /**
   * Options that verify nothing (Godot's `TLSOptions.client_unsafe()`): any certificate for any
   * name is accepted. Only for tests and tools that say so by name.
   *
   * @param trustedChain - Accepted for symmetry with Godot; not used for verification.
   * @returns The options.
   */
  static clientUnsafe(trustedChain?: string | readonly string[]): TLSOptions {
    return new TLSOptions(trustedChain === undefined ? { unsafe: true } : { trustedCA: trustedChain, unsafe: true });
  }

  /**
   * Returns a copy with a client certificate for mutual TLS.
   *
   * @param cert - The PEM certificate.
   * @param key - Its PEM private key.
   * @param passphrase - The key's passphrase, if it is encrypted.
   * @returns New options.
   */
  withClientCertificate(cert: string, key: string, passphrase = ""): TLSOptions {
    return new TLSOptions({ ...this.toInit(), clientCert: cert, clientKey: key, passphrase });
  }

  /**
   * The settings for a connection to `servername`.
   *
   * @param servername - The host name (or IP literal) connected to.
   * @returns Options for `Network.startTls`.
   * @internal
   */
  toConnectOptions(servername: string): TlsConnectOptions {
    const out: { -readonly [K in keyof TlsConnectOptions]: TlsConnectOptions[K] } = { servername };
    if (this.trustedCA !== undefined) out.trustedCA = this.trustedCA;
    if (this.commonNameOverride !== "") out.commonNameOverride = this.commonNameOverride;
    if (this.clientCert !== "") out.clientCert = this.clientCert;
    if (this.clientKey !== "") out.clientKey = this.clientKey;
    if (this.passphrase !== "") out.passphrase = this.passphrase;
    if (this.unsafe) out.unsafe = true;
    return out;
  }

  private toInit(): TLSOptionsInit {
    const init: { -readonly [K in keyof TLSOptionsInit]: TLSOptionsInit[K] } = {
      commonNameOverride: this.commonNameOverride,
      clientCert: this.clientCert,
      clientKey: this.clientKey,
      passphrase: this.passphrase,
      unsafe: this.unsafe,
    };
    if (this.trustedCA !== undefined) init.trustedCA = this.trustedCA;
    return init;
  }
}
