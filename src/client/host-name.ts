/**
 * Reads a bare host as `connectToHost` and the proxy setters take it: a name or IP literal, IPv6
 * optionally in brackets, nothing else (no port, path, userinfo, spaces or control characters).
 *
 * @param text - The host.
 * @returns The host lower-cased, IPv6 without brackets; null when it is not a bare host.
 * @internal
 */
export function bareHost(text: string): string | null {
  const name = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (name === "" || /[\s/\\?#@[\]\x00-\x1f\x7f]/.test(name)) return null;
  return name.toLowerCase();
}
