import type { ResolvedAddress } from "./peer/address.ts";

const LOOPBACK: readonly ResolvedAddress[] = [
  { address: "::1", family: 6 },
  { address: "127.0.0.1", family: 4 },
];

/**
 * Completes the answer for a loopback name: `localhost` and names under `.localhost` (RFC 6761
 * section 6.3) are the machine itself, so both loopback addresses are offered, whatever the hosts
 * file lists. The resolver's addresses come first, in its order; a loopback address it did not give
 * follows (`::1`, then `127.0.0.1`). So a server listening on only one of `127.0.0.1` and `::1` is
 * reached, as with curl and browsers; a resolver failure for such a name still yields both.
 *
 * @param host - The host name that was resolved.
 * @param addresses - The resolver's answer (possibly empty).
 * @returns `addresses` itself for another name, else the completed list.
 * @internal
 */
export function withLoopbackAddresses(host: string, addresses: readonly ResolvedAddress[]): readonly ResolvedAddress[] {
  const name = host.toLowerCase().replace(/\.$/, "");
  if (name !== "localhost" && !name.endsWith(".localhost")) return addresses;
  const missing = LOOPBACK.filter((loopback) => !addresses.some((address) => address.address === loopback.address));
  return missing.length === 0 ? addresses : [...addresses, ...missing];
}
