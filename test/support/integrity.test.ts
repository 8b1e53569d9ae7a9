import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { createIntegrityCheck, parseIntegrity, type IntegrityCheck } from "../../src/request-node/integrity.ts";

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const sri = (algorithm: "sha256" | "sha384" | "sha512", bytes: Uint8Array | string): string =>
  `${algorithm}-${createHash(algorithm).update(bytes).digest("base64")}`;

function check(metadata: string): IntegrityCheck {
  const made = createIntegrityCheck(metadata);
  if (!made.ok) throw new Error(made.reason);
  return made.check;
}

const SCRIPT = "alert('Hello, world.');";
/** The example of the SRI specification (§3.2). */
const SPEC_SHA256 = "sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng=";

describe("parseIntegrity", () => {
  it("splits on ASCII whitespace and ignores options", () => {
    expect(parseIntegrity(" \tsha256-AAA?opt=1\n\fsha256-BBB\r ")).toEqual([
      { algorithm: "sha256", digest: "AAA" },
      { algorithm: "sha256", digest: "BBB" },
    ]);
  });

  it("ignores unknown algorithms and tokens without a hyphen", () => {
    expect(parseIntegrity("md5-xyz sha1-abc sha256 -abc sha-256-x sha256-ok")).toEqual([{ algorithm: "sha256", digest: "ok" }]);
    expect(parseIntegrity("")).toEqual([]);
    expect(parseIntegrity("   ")).toEqual([]);
    expect(parseIntegrity("sha1-abc md5-def")).toEqual([]);
  });

  it("matches the algorithm case-insensitively and keeps the digest as written", () => {
    expect(parseIntegrity("SHA384-AbC+/=")).toEqual([{ algorithm: "sha384", digest: "AbC+/=" }]);
  });

  it("keeps only the strongest algorithm present, in order", () => {
    expect(parseIntegrity("sha256-a sha512-b sha384-c sha512-d")).toEqual([
      { algorithm: "sha512", digest: "b" },
      { algorithm: "sha512", digest: "d" },
    ]);
    expect(parseIntegrity("sha256-a sha384-c")).toEqual([{ algorithm: "sha384", digest: "c" }]);
  });

  it("takes the digest up to the first ?, after the first hyphen", () => {
    expect(parseIntegrity("sha256-ab-cd?x?y")).toEqual([{ algorithm: "sha256", digest: "ab-cd" }]);
    expect(parseIntegrity("sha256-")).toEqual([{ algorithm: "sha256", digest: "" }]);
  });
});

describe("createIntegrityCheck", () => {
  it("passes the SRI specification's literal sha256 vector", () => {
    const c = check(SPEC_SHA256);
    c.update(encode(SCRIPT));
    expect(c.verify()).toEqual({ ok: true, algorithm: "sha256" });
    expect(c.algorithm).toBe("sha256");
  });

  it("passes vectors for each algorithm computed with node:crypto", () => {
    const body = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 31) % 256);
    for (const algorithm of ["sha256", "sha384", "sha512"] as const) {
      const c = check(sri(algorithm, body));
      c.update(body);
      expect(c.verify()).toEqual({ ok: true, algorithm });
    }
  });

  it("hashes updates split anywhere like the whole", () => {
    const body = encode(SCRIPT);
    for (let cut = 0; cut <= body.length; cut++) {
      const c = check(SPEC_SHA256);
      c.update(body.subarray(0, cut));
      c.update(new Uint8Array(0));
      c.update(body.subarray(cut));
      expect(c.verify().ok).toBe(true);
    }
    const bytewise = check(SPEC_SHA256);
    for (const byte of body) bytewise.update(Uint8Array.of(byte));
    expect(bytewise.verify().ok).toBe(true);
  });

  it("passes when any one of several digests of the algorithm matches", () => {
    const other = sri("sha384", "something else");
    const right = sri("sha384", SCRIPT);
    const c = check(`${other} ${right}`);
    c.update(encode(SCRIPT));
    expect(c.verify()).toEqual({ ok: true, algorithm: "sha384" });
  });

  it("applies the strongest-only rule: a matching weaker hash does not save a wrong stronger one", () => {
    const c = check(`${SPEC_SHA256} ${sri("sha512", "not the script")}`);
    expect(c.algorithm).toBe("sha512");
    c.update(encode(SCRIPT));
    const verdict = c.verify();
    expect(verdict.ok).toBe(false);
    const fine = check(`${sri("sha256", "wrong")} ${sri("sha512", SCRIPT)}`);
    fine.update(encode(SCRIPT));
    expect(fine.verify()).toEqual({ ok: true, algorithm: "sha512" });
  });

  it("reports expected and actual digests on a mismatch", () => {
    const c = check(SPEC_SHA256);
    c.update(encode("alert('Hello, world!');"));
    const actual = sri("sha256", "alert('Hello, world!');");
    expect(c.verify()).toEqual({ ok: false, reason: `integrity mismatch: expected ${SPEC_SHA256}, got ${actual}` });
    const two = check("sha256-A sha256-B");
    expect(two.verify()).toEqual({ ok: false, reason: `integrity mismatch: expected one of sha256-A, sha256-B, got ${sri("sha256", "")}` });
  });

  it("compares digests case-sensitively", () => {
    const lower = SPEC_SHA256.slice(0, 7) + SPEC_SHA256.slice(7).toLowerCase();
    const c = check(lower);
    c.update(encode(SCRIPT));
    expect(c.verify().ok).toBe(false);
  });

  it("lets verify() be called again as more bytes arrive", () => {
    const c = check(sri("sha256", "ab"));
    c.update(encode("a"));
    expect(c.verify().ok).toBe(false);
    c.update(encode("b"));
    expect(c.verify().ok).toBe(true);
    expect(c.verify().ok).toBe(true);
    c.update(encode("c"));
    expect(c.verify().ok).toBe(false);
  });

  it("checks the empty body", () => {
    const c = check(sri("sha512", ""));
    expect(c.verify()).toEqual({ ok: true, algorithm: "sha512" });
  });

  it("refuses metadata without a usable hash", () => {
    for (const metadata of ["", "  ", "md5-abc", "sha1-abc sha-256-x", "nonsense"]) {
      const made = createIntegrityCheck(metadata);
      expect(made.ok).toBe(false);
      if (!made.ok) expect(made.reason).toBe(`integrity metadata ${JSON.stringify(metadata)} names no sha256, sha384 or sha512 hash`);
    }
  });
});
