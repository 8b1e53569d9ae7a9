import { isIP } from "node:net";
import type { ResolvedAddress } from "./network.ts";

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
