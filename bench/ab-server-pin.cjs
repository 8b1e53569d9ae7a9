// Preloaded (NODE_OPTIONS=--require) into every Node process of a bench run that bench/ab.ts starts:
// in the bench server (a fork with --bench-server) it moves every thread of the process to the CPU in
// POLL_HTTP_AB_SERVER_CPU. The client's CPU is set by starting the bench under `taskset -c`. This
// places the servers of both compared trees alike, whether or not a tree's bench pins by itself.
"use strict";
const cpu = process.env.POLL_HTTP_AB_SERVER_CPU;
if (cpu !== undefined && cpu !== "" && process.argv.includes("--bench-server")) {
  require("node:child_process").execFileSync("taskset", ["-a", "-p", "-c", cpu, String(process.pid)], { stdio: "ignore" });
}
