/**
 * Server logins over real sockets: `authLoginHandler` against a real nginx with `auth_basic`, and
 * against a loopback Digest server (MD5, SHA-256, MD5-sess, SHA-256-sess, `qop=auth`) that checks
 * every answer, nonce counts included, with `curl --digest` against the same server as the
 * reference.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Err, resultName, type AuthLoginInfo } from "../../src/index.ts";
import { startDigestServer, type DigestAlgorithm } from "../helpers/digest-server.ts";
import { startNginx, type NginxServer } from "../helpers/nginx.ts";
import { makeTree, runUntilComplete } from "../request/loopback-helpers.ts";
import { realServersPerFile } from "../reach/reach-helpers.ts";

const SECRET = "behind basic auth\n";
let nginx: NginxServer;
let passwords = "";

/** An nginx `{SSHA}` password entry: base64(sha1(password + salt) + salt). */
function ssha(password: string): string {
  const salt = randomBytes(8);
  return `{SSHA}${Buffer.concat([createHash("sha1").update(password).update(salt).digest(), salt]).toString("base64")}`;
}

realServersPerFile(
  async () => {
    passwords = mkdtempSync(join(tmpdir(), "poll-http-htpasswd-"));
    writeFileSync(join(passwords, "htpasswd"), `alice:${ssha("wonderland")}\n`);
    nginx = await startNginx({
      files: { "basic/secret.txt": SECRET },
      httpLocations: () => `location /basic/ { gzip off; auth_basic "nginx area"; auth_basic_user_file ${join(passwords, "htpasswd")}; }`,
    });
  },
  async () => {
    await nginx?.stop();
    if (passwords !== "") rmSync(passwords, { recursive: true, force: true });
  },
);

/** Runs one GET on a fresh node with `handler`; returns the completion and the handler's calls. */
async function login(url: string, handler: ((info: AuthLoginInfo) => { user: string; password: string } | null) | null) {
  const { tree, node } = makeTree();
  const calls: AuthLoginInfo[] = [];
  if (handler !== null) node.authLoginHandler = (info) => (calls.push(info), handler(info));
  try {
    expect(node.request(url)).toBe(Err.OK);
    const done = await runUntilComplete(node, { maxMs: 8000 });
    return { result: resultName(done.result), code: done.code, text: Buffer.from(done.body).toString("utf8"), calls };
  } finally {
    tree.root.removeChild(node);
  }
}

describe("authLoginHandler against nginx auth_basic", () => {
  it("without a handler the 401 is delivered", async () => {
    const done = await login(nginx.httpUrl("/basic/secret.txt?none"), null);
    expect([done.result, done.code]).toEqual(["RESULT_SUCCESS", 401]);
  });

  it("the handler's credentials get the file; the retry goes over the same connection", async () => {
    const done = await login(nginx.httpUrl("/basic/secret.txt?good"), () => ({ user: "alice", password: "wonderland" }));
    expect([done.result, done.code, done.text]).toEqual(["RESULT_SUCCESS", 200, SECRET]);
    expect(done.calls).toEqual([
      {
        url: nginx.httpUrl("/basic/secret.txt?good"),
        host: "127.0.0.1",
        port: nginx.httpPort,
        scheme: "basic",
        realm: "nginx area",
        attempt: 1,
      },
    ]);
    const entries = (
      await nginx.waitForAccessLog((all) => all.filter((e) => e.request.includes("?good")).length >= 2, "two entries")
    ).filter((e) => e.request.includes("?good"));
    expect(entries.map((e) => [e.status, e.connection_requests])).toEqual([
      ["401", "1"],
      ["200", "2"],
    ]);
    expect(new Set(entries.map((e) => e.connection)).size).toBe(1);
  });

  it("a wrong password: asked three times, then the 401 is delivered", async () => {
    const done = await login(nginx.httpUrl("/basic/secret.txt?bad"), () => ({ user: "alice", password: "looking-glass" }));
    expect([done.result, done.code, done.calls.map((c) => c.attempt)]).toEqual(["RESULT_SUCCESS", 401, [1, 2, 3]]);
  });
});

/** Runs curl with `args`; resolves with its stdout (the server runs in this process, so curl must not block it). */
function curl(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("curl", ["-sS", "--max-time", "10", ...args], (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message} ${stderr}`)) : resolve(stdout),
    );
  });
}

describe("authLoginHandler against a loopback Digest server, curl --digest as the reference", () => {
  const servers: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  for (const algorithm of ["MD5", "SHA-256", "MD5-sess", "SHA-256-sess"] satisfies DigestAlgorithm[]) {
    it(`${algorithm}: curl --digest and authLoginHandler both get in; the server checked every answer`, async () => {
      const server = await startDigestServer({ algorithm, users: { bob: "builder" } });
      servers.push(server);
      const reference = await curl(["--digest", "-u", "bob:builder", `${server.origin}/area/page?x=1`]);
      expect(reference).toBe("welcome bob");
      const before = server.accepted;
      const done = await login(`${server.origin}/area/page?x=1`, () => ({ user: "bob", password: "builder" }));
      expect([done.result, done.code, done.text]).toEqual(["RESULT_SUCCESS", 200, "welcome bob"]);
      expect(done.calls.map((c) => [c.scheme, c.realm, c.attempt])).toEqual([["digest", "digest-area", 1]]);
      expect(server.accepted).toBe(before + 1);
      expect(server.refused).toBe(0);
      const ours = server.authorizations.at(-1) ?? "";
      expect(ours).toMatch(new RegExp(`algorithm=${algorithm}\\b`));
      expect(ours).toMatch(/qop=auth, nc=00000001/);
    });
  }

  it("a wrong password is refused by the server each time; the handler is asked three times and the 401 delivered", async () => {
    const server = await startDigestServer({ algorithm: "SHA-256", users: { bob: "builder" } });
    servers.push(server);
    const done = await login(`${server.origin}/area`, () => ({ user: "bob", password: "wrong" }));
    expect([done.result, done.code, done.calls.length, server.refused]).toEqual(["RESULT_SUCCESS", 401, 3, 3]);
    await expect(curl(["--digest", "-u", "bob:wrong", "-o", "/dev/null", "-w", "%{http_code}", `${server.origin}/area`])).resolves.toBe(
      "401",
    );
  });
});
