// scripts/ensure-setup.mjs (prestart/pretest) and scripts/setup.sh on a copy of the scripts in a
// temp dir: a stand-in `npm` records what it was asked, and PATH holds no apt-get, as on a system
// that is not Debian.
import { execFile } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A clone-like dir with the two scripts and a package-lock.json, and a bin dir with node, dirname and a stand-in npm. */
function fakeClone(): { root: string; bin: string; npmLog: string } {
  const root = mkdtempSync(join(tmpdir(), "poll-http-setup-"));
  dirs.push(root);
  mkdirSync(join(root, "scripts"));
  for (const file of ["ensure-setup.mjs", "setup.sh"]) copyFileSync(join(ROOT, "scripts", file), join(root, "scripts", file));
  writeFileSync(join(root, "package-lock.json"), "{}\n");
  const bin = join(root, "bin");
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, "node"));
  symlinkSync("/usr/bin/dirname", join(bin, "dirname"));
  const npmLog = join(root, "npm.log");
  // npm ci: record the call and write node_modules/.package-lock.json, as npm does.
  writeFileSync(
    join(bin, "npm"),
    `#!/bin/sh\necho "npm $*" >> "${npmLog}"\n/bin/mkdir -p node_modules && echo '{}' > node_modules/.package-lock.json\n`,
  );
  chmodSync(join(bin, "npm"), 0o755);
  return { root, bin, npmLog };
}

function run(file: string, args: readonly string[], cwd: string, env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, [...args], { cwd, env, timeout: 30_000 }, (error, _stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stderr });
    });
  });
}

const MISSING = { POLL_HTTP_NGINX: "/nonexistent/nginx", POLL_HTTP_TINYPROXY: "/nonexistent/tinyproxy" };

describe("set-up before npm start and npm test", () => {
  it("runs npm ci when node_modules is missing, then says which tests need the programs it cannot install without apt-get", async () => {
    const { root, bin, npmLog } = fakeClone();
    const ran = await run(process.execPath, ["scripts/ensure-setup.mjs", "--system"], root, { PATH: bin, HOME: root, ...MISSING });
    expect(ran.code).toBe(0);
    expect(readFileSync(npmLog, "utf8")).toBe("npm ci --no-audit --no-fund\n");
    expect(ran.stderr).toContain("setup: installing the npm dev tools (npm ci)");
    expect(ran.stderr).toMatch(
      /\/nonexistent\/nginx \(Debian package nginx-light, or set POLL_HTTP_NGINX to the binary\): test\/reach\/nginx-\*\.test\.ts/,
    );
    expect(ran.stderr).toMatch(/\/nonexistent\/tinyproxy \(Debian package tinyproxy.*\): test\/reach\/tinyproxy\.test\.ts/);
    expect(ran.stderr).toMatch(/install them with: sudo apt-get install nginx-light tinyproxy/);
  });

  it("does nothing and prints nothing when node_modules is up to date and the programs are there", async () => {
    const { root, bin, npmLog } = fakeClone();
    mkdirSync(join(root, "node_modules"));
    writeFileSync(join(root, "node_modules/.package-lock.json"), "{}\n");
    const ran = await run(process.execPath, ["scripts/ensure-setup.mjs", "--system"], root, {
      PATH: bin,
      HOME: root,
      POLL_HTTP_NGINX: process.execPath,
      POLL_HTTP_TINYPROXY: process.execPath,
    });
    expect(ran).toEqual({ code: 0, stderr: expect.not.stringMatching(/setup:/) });
    expect(existsSync(npmLog)).toBe(false);
  });

  it("reinstalls when package-lock.json is newer than the installed tree", async () => {
    const { root, bin, npmLog } = fakeClone();
    mkdirSync(join(root, "node_modules"));
    writeFileSync(join(root, "node_modules/.package-lock.json"), "{}\n");
    const past = new Date(Date.now() - 3_600_000);
    utimesSync(join(root, "node_modules/.package-lock.json"), past, past);
    const ran = await run(process.execPath, ["scripts/ensure-setup.mjs"], root, { PATH: bin, HOME: root });
    expect(ran.code).toBe(0);
    expect(readFileSync(npmLog, "utf8")).toBe("npm ci --no-audit --no-fund\n");
  });

  it("scripts/setup.sh installs the npm part first and does not stop without apt-get", async () => {
    const { root, bin, npmLog } = fakeClone();
    const ran = await run("/bin/bash", ["scripts/setup.sh"], root, { PATH: bin, HOME: root, ...MISSING });
    expect(ran.code).toBe(0);
    expect(existsSync(join(root, "node_modules/.package-lock.json"))).toBe(true);
    expect(readFileSync(npmLog, "utf8")).toBe("npm ci --no-audit --no-fund\n");
    expect(ran.stderr.indexOf("npm ci")).toBeLessThan(ran.stderr.indexOf("these programs are missing"));
  });

  it("package.json runs it before start and test", () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(scripts["prestart"]).toBe("node scripts/ensure-setup.mjs");
    expect(scripts["pretest"]).toBe("node scripts/ensure-setup.mjs --system");
  });
});
