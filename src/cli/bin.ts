// The executable entry of `poll-http` (bundled to dist/cli.js with a `#!/usr/bin/env node` line).
import { runCli } from "./main.ts";

const interrupt = new AbortController();
const onSigint = (): void => interrupt.abort();
process.once("SIGINT", onSigint);
const status = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: interrupt.signal,
});
process.off("SIGINT", onSigint);
process.exitCode = status;
