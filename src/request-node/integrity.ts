/**
 * Subresource Integrity for downloads (W3C SRI, used by Fetch's `integrity` option): the body's
 * digest must match one of the hashes the caller expects, or the request fails.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";

/** A hash algorithm SRI knows, weakest first: `sha256`, `sha384`, `sha512`. */
export type IntegrityAlgorithm = "sha256" | "sha384" | "sha512";

/** One expected hash from integrity metadata. */
export interface IntegrityMetadata {
  /** The algorithm, lower case. */
  readonly algorithm: IntegrityAlgorithm;
  /** The expected digest as written in the metadata (base64), compared case-sensitively. */
  readonly digest: string;
}

/** The outcome of {@link IntegrityCheck.verify}. */
export type IntegrityVerdict =
  /** The bytes hashed so far match one of the expected digests. */
  | {
      /** Success. */
      readonly ok: true;
      /** The algorithm that matched. */
      readonly algorithm: IntegrityAlgorithm;
    }
  /** No expected digest matches. */
  | {
      /** Failure. */
      readonly ok: false;
      /** `integrity mismatch: expected sha256-… (or sha256-…), got sha256-…`. */
      readonly reason: string;
    };

/** A running integrity check over a body that arrives in pieces. */
export interface IntegrityCheck {
  /** The algorithm checked: the strongest one the metadata names. */
  readonly algorithm: IntegrityAlgorithm;
  /** The digests accepted (any one matching passes), in metadata order. */
  readonly expected: readonly IntegrityMetadata[];
  /**
   * Feeds the next body bytes to the hash.
   *
   * @param bytes - The bytes, in body order (the decoded body, as the application receives it).
   */
  update(bytes: Uint8Array): void;
  /**
   * Compares the digest of every byte fed so far with the expected ones. It does not end the
   * check: more bytes may be fed and `verify()` called again.
   *
   * @returns Whether a digest matches, and if not, expected and actual values.
   */
  verify(): IntegrityVerdict;
}

/** The outcome of {@link createIntegrityCheck}. */
export type IntegrityCheckResult =
  /** The metadata names at least one usable hash. */
  | {
      /** Success. */
      readonly ok: true;
      /** The check to feed with the body. */
      readonly check: IntegrityCheck;
    }
  /** The metadata names no usable hash. */
  | {
      /** Failure. */
      readonly ok: false;
      /** Why, quoting the metadata. */
      readonly reason: string;
    };

const STRENGTH: Readonly<Record<IntegrityAlgorithm, number>> = { sha256: 1, sha384: 2, sha512: 3 };
const ASCII_WHITESPACE = /[\t\n\f\r ]+/;

function toAlgorithm(name: string): IntegrityAlgorithm | null {
  const lower = name.toLowerCase();
  return lower === "sha256" || lower === "sha384" || lower === "sha512" ? lower : null;
}

/**
 * Parses integrity metadata the way SRI's "parse metadata" and "get the strongest metadata"
 * algorithms do. The metadata is split on ASCII whitespace into tokens of the form
 * `algorithm-digest[?options]`; the options are ignored; the algorithm is matched
 * case-insensitively and a token whose algorithm is not sha256, sha384 or sha512 (or that has
 * no `-`) is ignored. The digest is everything between the first `-` and the first `?`; it is
 * not validated, so a malformed one simply never matches. Of the tokens left, only those of the
 * strongest algorithm present are kept: `sha256-A sha512-B` keeps `sha512-B` alone, and a body
 * matching `A` but not `B` fails.
 *
 * @param metadata - The integrity metadata, e.g. `sha384-oqVu… sha512-Q2bF…`.
 * @returns The strongest algorithm's tokens in their order; empty when none is usable.
 */
export function parseIntegrity(metadata: string): IntegrityMetadata[] {
  const all: IntegrityMetadata[] = [];
  for (const token of metadata.split(ASCII_WHITESPACE)) {
    const hyphen = token.indexOf("-");
    if (hyphen <= 0) continue;
    const algorithm = toAlgorithm(token.slice(0, hyphen));
    if (algorithm === null) continue;
    const question = token.indexOf("?", hyphen + 1);
    all.push({ algorithm, digest: token.slice(hyphen + 1, question < 0 ? token.length : question) });
  }
  let strongest = 0;
  for (const item of all) strongest = Math.max(strongest, STRENGTH[item.algorithm]);
  return all.filter((item) => STRENGTH[item.algorithm] === strongest);
}

/**
 * Prepares an integrity check. Unlike a browser, which lets a resource through when the metadata
 * holds no usable hash, this refuses such metadata: a caller who asked for a check gets one or an
 * error, never a silent pass.
 *
 * @param metadata - The integrity metadata (see {@link parseIntegrity}).
 * @returns The check, or why the metadata cannot be used.
 *
 * @example
 * ```ts
 * const made = createIntegrityCheck("sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng=");
 * if (made.ok) {
 *   made.check.update(new TextEncoder().encode("alert('Hello, world.');"));
 *   made.check.verify(); // { ok: true, algorithm: "sha256" }
 * }
 * ```
 */
export function createIntegrityCheck(metadata: string): IntegrityCheckResult {
  const expected = parseIntegrity(metadata);
  const first = expected[0];
  if (first === undefined) {
    return { ok: false, reason: `integrity metadata ${JSON.stringify(metadata)} names no sha256, sha384 or sha512 hash` };
  }
  return { ok: true, check: new RunningCheck(first.algorithm, expected) };
}

class RunningCheck implements IntegrityCheck {
  readonly algorithm: IntegrityAlgorithm;
  readonly expected: readonly IntegrityMetadata[];
  readonly #hash: Hash;

  constructor(algorithm: IntegrityAlgorithm, expected: readonly IntegrityMetadata[]) {
    this.algorithm = algorithm;
    this.expected = expected;
    this.#hash = createHash(algorithm);
  }

  update(bytes: Uint8Array): void {
    this.#hash.update(bytes);
  }

  verify(): IntegrityVerdict {
    const actual = this.#hash.copy().digest("base64");
    if (this.expected.some((item) => item.digest === actual)) return { ok: true, algorithm: this.algorithm };
    const wanted = this.expected.map((item) => `${item.algorithm}-${item.digest}`);
    const list = wanted.length === 1 ? (wanted[0] ?? "") : `one of ${wanted.join(", ")}`;
    return { ok: false, reason: `integrity mismatch: expected ${list}, got ${this.algorithm}-${actual}` };
  }
}
