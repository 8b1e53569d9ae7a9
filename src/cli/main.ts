// The `poll-http` command: parse, prepare, transfer; every outcome is an exit status.
import { VERSION } from "../index.ts";
import { parseArgs } from "./args.ts";
import { ExitStatus } from "./exit-status.ts";
import { prepareRequest } from "./request-setup.ts";
import { transfer, type CliIo } from "./transfer.ts";
import { usageText } from "./usage.ts";
import { escapeControls } from "./terminal-text.ts";

/**
 * Runs `poll-http` with the given arguments. Never throws; never calls `process.exit`.
 *
 * @param argv - The arguments after the script name.
 * @param io - The streams, environment and an interrupt signal.
 * @returns The exit status.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(argv);
  switch (parsed.kind) {
    case "help":
      io.stdout.write(usageText());
      return ExitStatus.SUCCESS;
    case "version":
      io.stdout.write(`poll-http ${VERSION}\n`);
      return ExitStatus.SUCCESS;
    case "error":
      io.stderr.write(`poll-http: ${parsed.message} (see poll-http --help)\n`);
      return ExitStatus.USAGE;
    case "run":
      break;
  }
  const prepared = prepareRequest(parsed.options);
  if (!prepared.ok) {
    io.stderr.write(`poll-http: ${escapeControls(prepared.message)}\n`);
    return prepared.status;
  }
  try {
    return await transfer(parsed.options, prepared.request, io);
  } catch (error) {
    io.stderr.write(`poll-http: internal error: ${escapeControls(error instanceof Error ? error.message : String(error))}\n`);
    return ExitStatus.LOCAL_ERROR;
  }
}
