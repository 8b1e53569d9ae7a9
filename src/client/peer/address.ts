import { isIP } from "node:net";

/** One address a host name resolved to. */
export interface ResolvedAddress {
  /** The IP address in text form (`127.0.0.1`, `::1`). */
  readonly address: string;
  /** 4 for IPv4, 6 for IPv6. */
  readonly family: 4 | 6;
}

/**
 * Reads an IP literal as a {@link ResolvedAddress}. IPv6 literals may be bracketed as in URLs.
 *
 * @param text - `127.0.0.1`, `::1` or `[::1]`.
 * @returns The address with its family, or `null` when `text` is not an IP literal.
 */
export function parseIpAddress(text: string): ResolvedAddress | null {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const family = isIP(bare);
  if (family === 4) return { address: bare, family: 4 };
  if (family === 6) return { address: bare, family: 6 };
  return null;
}
