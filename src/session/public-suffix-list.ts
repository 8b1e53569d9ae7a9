/**
 * Public suffixes ("com", "co.uk", "github.io"): names under which anyone can register, so a
 * cookie may not be set for them. The rules ship inside the package
 * (`public-suffix-data.ts`, refreshed by `scripts/update-public-suffixes.mjs`) and are parsed on
 * first use.
 *
 * @module
 */
import { PUBLIC_SUFFIX_RULES, PUBLIC_SUFFIX_SOURCE } from "./public-suffix-data.ts";

/**
 * Answers "is this name a public suffix?" and "what is its registrable domain?" by the algorithm of
 * publicsuffix.org: the longest matching rule wins, an exception rule (`!`) beats it, and a name no
 * rule matches has its last label as its public suffix (the implicit `*` rule).
 *
 * @example
 * ```ts
 * const list = PublicSuffixList.shared();
 * list.isPublicSuffix("co.uk"); // true
 * list.getRegistrableDomain("www.example.co.uk"); // "example.co.uk"
 * ```
 */
export class PublicSuffixList {
  readonly #rules = new Set<string>();
  readonly #source: string;
  static #shared: PublicSuffixList | null = null;

  /**
   * Builds a list from rules in the compact form of `public-suffix-data.ts`, or from plain rules one
   * per line (the `public_suffix_list.dat` form, comments starting with `//` ignored).
   *
   * @param rules - The rules, in ASCII (punycode) form.
   * @param source - Where they came from, for {@link PublicSuffixList.getSource}.
   */
  constructor(rules: string, source = "rules given to the constructor") {
    this.#source = source;
    for (const raw of rules.split("\n")) {
      const line = raw.trim();
      if (line === "" || line.startsWith("//")) continue;
      const parts = line.split(/\s+/);
      const head = parts[0] as string;
      if (parts.length === 1) {
        this.#rules.add(head.toLowerCase());
        continue;
      }
      // Compact form: a top-level label followed by the rules under it.
      this.#rules.add(head.toLowerCase());
      for (let i = 1; i < parts.length; i++) this.#rules.add(`${(parts[i] as string).toLowerCase()}.${head.toLowerCase()}`);
    }
  }

  /** The list shipped with the package, parsed once. */
  static shared(): PublicSuffixList {
    PublicSuffixList.#shared ??= new PublicSuffixList(PUBLIC_SUFFIX_RULES, PUBLIC_SUFFIX_SOURCE);
    return PublicSuffixList.#shared;
  }

  /** Where the rules came from, with their date. */
  getSource(): string {
    return this.#source;
  }

  /**
   * The public suffix of a host name: the longest suffix a rule makes public.
   *
   * @param host - A lower-case ASCII host name, without a trailing dot. IP literals have none.
   * @returns The suffix (`"co.uk"` for `"a.example.co.uk"`), or `""` for an IP literal or empty name.
   */
  getPublicSuffix(host: string): string {
    const name = host.toLowerCase().replace(/\.$/, "");
    if (name === "" || isIpLiteral(name)) return "";
    const labels = name.split(".");
    // Walk from the longest candidate down; the first match is the longest rule.
    for (let i = 0; i < labels.length; i++) {
      const candidate = labels.slice(i).join(".");
      if (this.#rules.has(`!${candidate}`)) return labels.slice(i + 1).join(".");
      if (this.#rules.has(candidate)) return candidate;
      if (i + 1 < labels.length && this.#rules.has(`*.${labels.slice(i + 1).join(".")}`)) {
        // A wildcard matches `candidate` unless an exception names it (checked above).
        return candidate;
      }
    }
    return labels[labels.length - 1] as string;
  }

  /**
   * True when the name itself is a public suffix (`"com"`, `"co.uk"`, `"github.io"`).
   *
   * @param name - A lower-case ASCII domain name.
   * @returns Whether a cookie for exactly this domain must be refused.
   */
  isPublicSuffix(name: string): boolean {
    const clean = name.toLowerCase().replace(/\.$/, "");
    return clean !== "" && !isIpLiteral(clean) && this.getPublicSuffix(clean) === clean;
  }

  /**
   * The registrable domain (public suffix plus one label): the "site" of a host.
   *
   * @param host - A lower-case ASCII host name.
   * @returns The registrable domain, the host itself for an IP literal, or `""` when the host is a
   *   public suffix.
   */
  getRegistrableDomain(host: string): string {
    const name = host.toLowerCase().replace(/\.$/, "");
    if (isIpLiteral(name)) return name;
    const suffix = this.getPublicSuffix(name);
    if (suffix === name || suffix === "") return "";
    const rest = name.slice(0, name.length - suffix.length - 1);
    const dot = rest.lastIndexOf(".");
    return `${dot < 0 ? rest : rest.slice(dot + 1)}.${suffix}`;
  }
}

/**
 * True for an IPv4 dotted quad or an IPv6 literal (with or without brackets).
 *
 * @param host - A host name or address.
 * @returns Whether it is an IP literal rather than a domain name.
 */
export function isIpLiteral(host: string): boolean {
  return host.includes(":") || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}
