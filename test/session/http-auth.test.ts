/**
 * Challenge parsing and the Basic and Digest answers, against the RFC 7616 §3.9.1 example.
 */
import { describe, expect, it } from "vitest";
import { basicAuthorization, DigestAuth, isSupportedDigest, parseAuthChallenges } from "../../src/session/http-auth.ts";

const RFC7616 = [
  'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, ' +
    'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
  'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, ' +
    'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
];
const CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
const MUFASA = { user: "Mufasa", password: "Circle of Life" };

describe("parseAuthChallenges", () => {
  it("reads several challenges from one line, with quoted commas and escapes", () => {
    const challenges = parseAuthChallenges(['Newauth realm="apps", type=1, title="Login to \\"apps\\", please", Basic realm="simple"']);
    expect(challenges.map((c) => [c.scheme, Object.fromEntries(c.params)])).toEqual([
      ["newauth", { realm: "apps", type: "1", title: 'Login to "apps", please' }],
      ["basic", { realm: "simple" }],
    ]);
  });

  it("reads token68 challenges and lines of their own", () => {
    const challenges = parseAuthChallenges(["Bearer abc.def==", "Basic realm=plain"]);
    expect(challenges.map((c) => [c.scheme, Object.fromEntries(c.params)])).toEqual([
      ["bearer", { "": "abc.def==" }],
      ["basic", { realm: "plain" }],
    ]);
  });

  it("tells supported Digest challenges", () => {
    const [sha, md5] = RFC7616.map((line) => parseAuthChallenges([line])[0]);
    expect(sha !== undefined && isSupportedDigest(sha)).toBe(true);
    expect(md5 !== undefined && isSupportedDigest(md5)).toBe(true);
    const [intOnly] = parseAuthChallenges(['Digest realm="r", nonce="n", qop="auth-int"']);
    expect(intOnly !== undefined && isSupportedDigest(intOnly)).toBe(false);
    const [unknown] = parseAuthChallenges(['Digest realm="r", nonce="n", algorithm=SHA-512-256']);
    expect(unknown !== undefined && isSupportedDigest(unknown)).toBe(false);
  });
});

describe("answers", () => {
  it("Basic: user and password in UTF-8, base64", () => {
    expect(basicAuthorization({ user: "Aladdin", password: "open sesame" })).toBe("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    expect(basicAuthorization({ user: "test", password: "123\u00A3" })).toBe("Basic dGVzdDoxMjPCow==");
  });

  it.each([
    [0, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"],
    [1, "8ca523f5e9506fed4657c9700eebdbec"],
  ])("Digest: the RFC 7616 example (challenge %i)", (index, expected) => {
    const [challenge] = parseAuthChallenges([RFC7616[index] as string]);
    if (challenge === undefined) throw new Error("no challenge");
    const header = new DigestAuth(() => CNONCE).authorize(challenge, MUFASA, { method: "GET", uri: "/dir/index.html" });
    expect(header).toContain(`response="${expected}"`);
    expect(header).toContain("qop=auth, nc=00000001");
    expect(header).toContain('opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"');
  });

  it("Digest counts uses of a nonce", () => {
    const [challenge] = parseAuthChallenges([RFC7616[0] as string]);
    if (challenge === undefined) throw new Error("no challenge");
    const digest = new DigestAuth(() => CNONCE);
    digest.authorize(challenge, MUFASA, { method: "GET", uri: "/" });
    expect(digest.authorize(challenge, MUFASA, { method: "GET", uri: "/" })).toContain("nc=00000002");
  });
});
