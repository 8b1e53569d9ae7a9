/** TLS settings for one connection. */
export interface TlsConnectOptions {
  /** The name to send in SNI and to verify the certificate against (an IP literal sends no SNI). */
  readonly servername: string;
  /** PEM certificates trusted instead of the system store. */
  readonly trustedCA?: string | readonly string[];
  /** The name the certificate must carry, when it differs from `servername`. */
  readonly commonNameOverride?: string;
  /** A PEM client certificate for mutual TLS. */
  readonly clientCert?: string;
  /** The PEM key of `clientCert`. */
  readonly clientKey?: string;
  /** The passphrase of `clientKey`. */
  readonly passphrase?: string;
  /** When true, no certificate or host name is verified. Only ever set on explicit request. */
  readonly unsafe?: boolean;
}
