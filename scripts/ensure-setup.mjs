// Prepares a clone for `npm start` and `npm test` (npm runs it as `prestart` and `pretest`), with
// Node built-ins only, since the npm dev tools may not be installed yet:
//   1. npm dev tools: `npm ci` when node_modules is missing or older than package-lock.json.
//   2. with --system: the Debian packages the real-server tests start, installed with apt-get when
//      missing; where that cannot be done, a note names the tests that need them and how to get them.
// When everything is there it only checks a few files and returns (a few milliseconds).
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const withSystem = process.argv.includes("--system");

/** The Debian packages of the real-server tests: the binary each provides, and who needs it. */
export const SYSTEM_PACKAGES = [
  { pkg: "nginx-light", binary: "/usr/sbin/nginx", env: "POLL_HTTP_NGINX", tests: "test/reach/nginx-*.test.ts (a real origin server)" },
  {
    pkg: "tinyproxy",
    binary: "/usr/bin/tinyproxy",
    env: "POLL_HTTP_TINYPROXY",
    tests: "test/reach/tinyproxy.test.ts, test/cli/cli-tls-proxy.test.ts and npm run smoke:runtimes (a real forward proxy)",
  },
  { pkg: "curl", binary: "/usr/bin/curl", env: null, tests: "test/cli/cli-download.test.ts (compares the CLI's bytes with curl's)" },
  { pkg: "bsdutils", binary: "/usr/bin/script", env: null, tests: "test/cli/cli-download.test.ts (the progress bar on a pseudo-terminal)" },
];

/** Whether node_modules matches package-lock.json: npm writes node_modules/.package-lock.json on every install. */
function npmToolsReady() {
  const installed = join(root, "node_modules/.package-lock.json");
  if (!existsSync(installed)) return false;
  return statSync(join(root, "package-lock.json")).mtimeMs <= statSync(installed).mtimeMs;
}

function onPath(command) {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && existsSync(join(dir, command)));
}

function run(command, args) {
  const ran = spawnSync(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  return ran.status === 0;
}

if (!npmToolsReady()) {
  console.error("setup: installing the npm dev tools (npm ci)");
  if (!run(process.platform === "win32" ? "npm.cmd" : "npm", ["ci", "--no-audit", "--no-fund"])) {
    console.error("setup: npm ci failed; see the messages above");
    process.exit(1);
  }
}

/** Where a program is looked for: the path in its environment variable when set, else where Debian installs it. */
function where(item) {
  return (item.env !== null ? process.env[item.env] : undefined) ?? item.binary;
}

if (withSystem) {
  const missing = SYSTEM_PACKAGES.filter((item) => !existsSync(where(item)));
  if (missing.length > 0) {
    const names = missing.map((item) => item.pkg);
    let installed = false;
    if (onPath("apt-get")) {
      const superuser = typeof process.getuid === "function" && process.getuid() === 0;
      const sudo = superuser ? [] : onPath("sudo") ? ["sudo", "-n"] : null;
      if (sudo !== null) {
        console.error(`setup: installing Debian packages: ${names.join(" ")}`);
        const apt = (args) => run(sudo[0] ?? "apt-get", sudo.length > 0 ? [...sudo.slice(1), "apt-get", ...args] : args);
        installed = apt(["update", "-qq"]) && apt(["install", "-y", "-qq", "--no-install-recommends", ...names]);
      }
    }
    const still = SYSTEM_PACKAGES.filter((item) => !existsSync(where(item)));
    if (!installed || still.length > 0) {
      console.error("setup: these programs are missing, so the tests that start them will fail:");
      for (const item of still) {
        console.error(
          `  ${where(item)} (Debian package ${item.pkg}${item.env === null ? "" : `, or set ${item.env} to the binary`}): ${item.tests}`,
        );
      }
      console.error(
        `  install them with: sudo apt-get install ${still.map((item) => item.pkg).join(" ")} (or your system's packages of the same programs)`,
      );
    }
  }
}
