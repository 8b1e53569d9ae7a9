/**
 * HTTP authentication for a client: parsing `WWW-Authenticate` / `Proxy-Authenticate` challenges
 * (RFC 9110 §11) and answering Basic (RFC 7617) and Digest (RFC 7616: MD5, SHA-256 and their
 * `-sess` forms, `qop=auth`, nonce counting).
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import { basicAuthorization as basic } from "../client/proxy-settings.ts";

/** One challenge: its scheme (lower-cased) and its parameters (names lower-cased, values unquoted). */
export interface AuthChallenge {
  /** `basic`, `digest`, … */
  readonly scheme: string;
  /** The auth-params; a token68 challenge has it under `""`. */
  readonly params: ReadonlyMap<string, string>;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/**
 * Parses the challenges of `WWW-Authenticate` (or `Proxy-Authenticate`) field values: several may
 * share a line, separated by commas, with quoted parameter values that contain commas.
 *
 * @param values - The field values.
 * @returns The challenges in order; malformed parts are skipped.
 */
export function parseAuthChallenges(values: readonly string[]): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  for (const value of values) {
    let i = 0;
    let current: { scheme: string; params: Map<string, string> } | null = null;
    const skipSpace = (): void => {
      while (i < value.length && (value[i] === " " || value[i] === "\t")) i++;
    };
    const readToken = (): string => {
      const start = i;
      while (i < value.length && TOKEN.test(value[i] as string)) i++;
      return value.slice(start, i);
    };
    while (i < value.length) {
      skipSpace();
      if (value[i] === ",") {
        i++;
        continue;
      }
      const start = i;
      const token = readToken();
      if (token === "") {
        i++; // an unexpected character: skip it
        continue;
      }
      skipSpace();
      if (value[i] === "=" && current !== null) {
        // name=value, or a token68 ending in '='
        i++;
        skipSpace();
        let v: string;
        if (value[i] === '"') {
          i++;
          v = "";
          while (i < value.length && value[i] !== '"') {
            if (value[i] === "\\" && i + 1 < value.length) i++;
            v += value[i];
            i++;
          }
          i++;
        } else {
          const vs = i;
          while (i < value.length && value[i] !== "," && value[i] !== " " && value[i] !== "\t") i++;
          v = value.slice(vs, i);
        }
        current.params.set(token.toLowerCase(), v);
        continue;
      }
      // A new challenge: the scheme, then maybe a token68.
      current = { scheme: token.toLowerCase(), params: new Map() };
      out.push(current);
      const after = i;
      const t68 = /^[A-Za-z0-9\-._~+/]+=*/.exec(value.slice(after));
      if (t68 !== null) {
        const rest = value.slice(after + t68[0].length).trimStart();
        // A token68 stands alone: followed by the end or a comma, and not by "=value" (a parameter).
        if ((rest === "" || rest.startsWith(",")) && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+\s*=\s*[^=]/.test(value.slice(after))) {
          current.params.set("", t68[0]);
          i = after + t68[0].length;
        }
      }
      if (i === start) i++;
    }
  }
  return out;
}

/** Credentials for a server or a proxy. */
export interface AuthCredentials {
  /** The user name. */
  readonly user: string;
  /** The password. */
  readonly password: string;
}

/**
 * The `Authorization` value for Basic (RFC 7617): the user and password in UTF-8, base64.
 *
 * @param credentials - The user and password.
 * @returns `Basic …`.
 */
export function basicAuthorization(credentials: AuthCredentials): string {
  return basic(credentials.user, credentials.password);
}

const DIGEST_HASHES: Readonly<Record<string, string>> = { md5: "md5", "md5-sess": "md5", "sha-256": "sha256", "sha-256-sess": "sha256" };

/** True when a Digest challenge uses an algorithm and qop this client can answer. */
export function isSupportedDigest(challenge: AuthChallenge): boolean {
  if (challenge.scheme !== "digest" || !challenge.params.has("nonce")) return false;
  const algorithm = (challenge.params.get("algorithm") ?? "MD5").toLowerCase();
  if (DIGEST_HASHES[algorithm] === undefined) return false;
  const qop = challenge.params.get("qop");
  return qop === undefined || qop.split(",").some((q) => q.trim().toLowerCase() === "auth");
}

/** What a Digest answer is computed from besides the challenge. */
export interface DigestRequest {
  /** The request method. */
  readonly method: string;
  /** The request target (path and query), as on the request line. */
  readonly uri: string;
}

function quoteString(value: string): string {
  return `"${value.replace(/["\\]/g, "\\$&")}"`;
}

/**
 * Answers Digest challenges, counting nonces: the same nonce answered again gets the next `nc`.
 * The client nonce comes from `node:crypto` unless a generator is given (for deterministic tests).
 */
export class DigestAuth {
  readonly #counts = new Map<string, number>();
  readonly #cnonce: () => string;

  /**
   * Creates a Digest answerer.
   *
   * @param cnonce - Makes a client nonce; 16 random bytes in hex by default.
   */
  constructor(cnonce: () => string = () => randomBytes(16).toString("hex")) {
    this.#cnonce = cnonce;
  }

  /**
   * The `Authorization` (or `Proxy-Authorization`) value answering a Digest challenge.
   *
   * @param challenge - A challenge for which {@link isSupportedDigest} is true.
   * @param credentials - The user and password.
   * @param request - The method and request target being authorised.
   * @returns `Digest username=…, realm=…, …`.
   */
  authorize(challenge: AuthChallenge, credentials: AuthCredentials, request: DigestRequest): string {
    const p = challenge.params;
    const algorithmName = p.get("algorithm") ?? "MD5";
    const algorithm = algorithmName.toLowerCase();
    const hashName = DIGEST_HASHES[algorithm] ?? "md5";
    const h = (text: string): string => createHash(hashName).update(text, "utf8").digest("hex");
    const realm = p.get("realm") ?? "";
    const nonce = p.get("nonce") ?? "";
    const qop = p.get("qop") === undefined ? undefined : "auth";
    const cnonce = this.#cnonce();
    const count = (this.#counts.get(nonce) ?? 0) + 1;
    this.#counts.set(nonce, count);
    const nc = count.toString(16).padStart(8, "0");
    let ha1 = h(`${credentials.user}:${realm}:${credentials.password}`);
    if (algorithm.endsWith("-sess")) ha1 = h(`${ha1}:${nonce}:${cnonce}`);
    const ha2 = h(`${request.method}:${request.uri}`);
    const response = qop === undefined ? h(`${ha1}:${nonce}:${ha2}`) : h(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
    const parts = [
      `username=${quoteString(credentials.user)}`,
      `realm=${quoteString(realm)}`,
      `nonce=${quoteString(nonce)}`,
      `uri=${quoteString(request.uri)}`,
      `algorithm=${algorithmName}`,
      `response=${quoteString(response)}`,
    ];
    if (qop !== undefined) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quoteString(cnonce)}`);
    const opaque = p.get("opaque");
    if (opaque !== undefined) parts.push(`opaque=${quoteString(opaque)}`);
    return `Digest ${parts.join(", ")}`;
  }
}
