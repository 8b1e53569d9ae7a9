// Runs one request in a SceneTree ticked by a TreeRunner and turns its outcome into an exit status.
import { STATUS_CODES } from "node:http";
import { Err, HTTPRequest, Result, SceneTree, TreeRunner, resultName } from "../index.ts";
import type { CliOptions } from "./args.ts";
import { openCassette, replayFrames } from "./cassette-option.ts";
import { openCookies, saveCookies } from "./cookie-files.ts";
import { ExitStatus, exitStatusForResult } from "./exit-status.ts";
import { failureMessage } from "./failure-message.ts";
import { ProgressBar, type TerminalStream } from "./progress-bar.ts";
import { ProgressNode } from "./progress-node.ts";
import type { PreparedRequest } from "./request-setup.ts";
import { escapeControls } from "./terminal-text.ts";
import { requestHeadLines } from "./verbose-head.ts";

/** The output stream the body goes to (`process.stdout`). */
export interface BodyStream {
  /** Writes bytes or text. */
  write(chunk: Uint8Array | string): boolean;
  /** Reports a failed write (e.g. `EPIPE` when the reader went away). */
  once(event: "error", listener: (error: Error) => void): unknown;
  /** Removes the error listener again. */
  off(event: "error", listener: (error: Error) => void): unknown;
  /** True when it is a terminal. */
  readonly isTTY?: boolean;
}

/** The error and progress stream (`process.stderr`). */
export interface MessageStream extends TerminalStream {
  /** True when it is a terminal. */
  readonly isTTY?: boolean;
  /** Its width when it is a terminal. */
  readonly columns?: number;
}

/** The outside world of one run of the command. */
export interface CliIo {
  /** Where the body (and `-i` headers, `--help`, `--version`) go. */
  readonly stdout: BodyStream;
  /** Where errors, notes and the progress bar go. */
  readonly stderr: MessageStream;
  /** The environment (`POLL_HTTP_PROGRESS`, `COLUMNS`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT: the request is cancelled and the run ends with status 130. */
  readonly signal?: AbortSignal;
}

/**
 * Whether to draw the progress bar: `POLL_HTTP_PROGRESS=1` forces it and `=0` turns it off;
 * otherwise only when stderr is a terminal, `-s` is not given, and the body does not go to a
 * terminal on stdout (where the bar would tear through it).
 *
 * @param options - The parsed command line.
 * @param io - The streams and environment.
 * @returns True to draw it.
 */
export function wantsProgress(options: CliOptions, io: CliIo): boolean {
  const forced = io.env["POLL_HTTP_PROGRESS"];
  if (forced === "1" || forced === "always") return true;
  if (forced === "0" || forced === "never" || options.silent) return false;
  return io.stderr.isTTY === true && !(options.output === null && io.stdout.isTTY === true);
}

/**
 * Performs the request and reports on stderr how it ended.
 *
 * @param options - The parsed command line.
 * @param request - The prepared request.
 * @param io - The streams, environment and interrupt signal.
 * @returns The exit status (see `exitStatusTable`).
 */
export function transfer(options: CliOptions, request: PreparedRequest, io: CliIo): Promise<number> {
  const cassette = openCassette(options);
  if ("error" in cassette) return Promise.resolve(say(io, ExitStatus.USAGE, cassette.error));
  const tree = new SceneTree();
  cassette.attach(tree);
  const node = new HTTPRequest({ name: "poll-http", ...(cassette.network === undefined ? {} : { network: cassette.network }) });
  tree.root.addChild(node);
  const refusal = configure(node, options, request);
  if (refusal !== null) return Promise.resolve(say(io, ExitStatus.USAGE, refusal));
  const cookies = openCookies(options.cookie, options.cookieJar, tree.getDateMs());
  if (typeof cookies === "string") return Promise.resolve(say(io, ExitStatus.LOCAL_ERROR, cookies));
  tree.cookieJar = cookies.jar;
  const headers = cookies.header === null ? request.headers : [...request.headers, cookies.header];
  let progress: ProgressNode | null = null;
  if (wantsProgress(options, io)) {
    const columns = (): number => io.stderr.columns || Number(io.env["COLUMNS"]) || 80;
    progress = new ProgressNode(node, new ProgressBar(io.stderr), columns);
    tree.root.addChild(progress);
  }
  /** A line on stderr (the progress line is erased first, and redrawn by the next frame). */
  const note = (text: string): void => {
    progress?.clearLine();
    io.stderr.write(text);
  };
  const runner = new TreeRunner(tree, options.fps === 0 ? { mode: "as-fast-as-possible" } : { fps: options.fps, mode: "fixed" });
  return new Promise<number>((resolve) => {
    let settled = false;
    /** False once the body is known not to be written (an HTTP error with -f, or a non-2xx with -o). */
    let written = true;
    const finish = (status: number, message: string): void => {
      if (settled) return;
      settled = true;
      runner.stop();
      io.stdout.off("error", onWriteError);
      io.signal?.removeEventListener("abort", onAbort);
      // Leaving the tree cancels what runs and closes the connection (at the end of the frame when inside one).
      if (tree.isProcessing()) node.queueFree();
      else if (node.isInsideTree()) tree.root.removeChild(node);
      progress?.finish(status === ExitStatus.SUCCESS && written);
      const cookiesUnsaved =
        cookies.jar !== null && options.cookieJar !== null
          ? saveCookies(cookies.jar, options.cookieJar, tree.getDateMs(), io.stdout)
          : null;
      if (cookiesUnsaved !== null) io.stderr.write(`poll-http: warning: ${cookiesUnsaved}\n`);
      const unsaved = cassette.save();
      if (unsaved !== "" && status === ExitStatus.SUCCESS) return resolve(say(io, ExitStatus.LOCAL_ERROR, unsaved));
      resolve(message === "" ? status : say(io, status, message));
    };
    const onWriteError = (error: Error): void => {
      node.cancelRequest();
      finish(ExitStatus.LOCAL_ERROR, `cannot write to standard output: ${error.message}`);
    };
    const onAbort = (): void => {
      node.cancelRequest();
      finish(ExitStatus.INTERRUPTED, "interrupted");
    };
    io.stdout.once("error", onWriteError);
    io.signal?.addEventListener("abort", onAbort, { once: true });
    node.headersReceived.connect((code, headers) => {
      if (options.verbose) note(formatVerboseHead(code, headers));
      if (options.fail && code >= 400) {
        // curl -f: the body is not wanted; nothing goes to stdout or the file.
        written = false;
        node.cancelRequest();
        finish(ExitStatus.HTTP_ERROR, `the server answered HTTP ${code}${phraseOf(code)}: nothing was written (-f)`);
        return;
      }
      // The head as received: header text holds one character per byte, written back byte for byte.
      if (options.include) io.stdout.write(Buffer.from(formatHead(code, headers), "latin1"));
    });
    if (options.verbose) {
      // Redirects are followed here rather than inside the node, so each hop's response head can be shown.
      node.redirectReceived.connect((code, method, url, headers) => {
        note(`${formatVerboseHead(code, headers)}* following the redirect: ${method} ${escapeControls(url)}\n`);
        node.followRedirect();
      });
    }
    if (options.output === null) node.bodyData.connect((chunk) => io.stdout.write(Buffer.from(chunk)));
    node.requestCompleted.connect((result, code) => {
      if (result !== Result.RESULT_SUCCESS) {
        finish(exitStatusForResult(result), `${failureMessage(result, node.getErrorReason(), options)} (${resultName(result)})`);
        return;
      }
      const unwritten = options.output !== null && !(code >= 200 && code < 300);
      if (unwritten) written = false;
      finish(
        ExitStatus.SUCCESS,
        unwritten && !options.silent
          ? `note: the server answered HTTP ${code}${phraseOf(code)}: nothing was written to ${options.output} (it is left as it was; -f makes this an error)`
          : "",
      );
    });
    if (io.signal?.aborted === true) return onAbort();
    if (node.request(request.url, headers, request.method, request.body) !== Err.OK) {
      return finish(ExitStatus.USAGE, oneLine(node.getErrorReason()));
    }
    if (options.verbose)
      note(
        requestHeadLines(request, node.acceptGzip)
          .map((line) => `> ${escapeControls(line)}\n`)
          .join("") + ">\n",
      );
    if (cassette.replay !== null) {
      if (!replayFrames(tree, cassette.replay, () => settled))
        finish(ExitStatus.LOCAL_ERROR, `the cassette ${options.replay ?? ""} ended before the request completed`);
      return;
    }
    if (runner.start() !== Err.OK) finish(ExitStatus.USAGE, runner.getLastError());
  });
}

/** Applies the options to the node; returns why one was refused, or null. */
function configure(node: HTTPRequest, options: CliOptions, request: PreparedRequest): string | null {
  if (options.maxRedirects !== null) node.maxRedirects = options.maxRedirects;
  if (options.verbose) node.redirectMode = "manual";
  if (options.maxFilesize !== null) node.bodySizeLimit = options.maxFilesize;
  if (options.timeout !== null) node.timeout = options.timeout;
  if (options.output !== null) node.downloadFile = options.output;
  if (request.tls !== null) node.setTlsOptions(request.tls);
  const proxy = request.proxy;
  if (proxy !== null) {
    const { host, port, credentials } = proxy;
    const refused = node.setHttpProxy(host, port, credentials) !== Err.OK || node.setHttpsProxy(host, port, credentials) !== Err.OK;
    if (refused) return `--proxy: ${node.getErrorReason()}`;
  }
  return null;
}

/**
 * The `-i` block: status line, header lines and a blank line, with CRLF as on the wire (and as
 * curl prints it). Header lines hold one character per received byte (latin1), so the block is
 * written as latin1: the bytes the server sent, not re-encoded.
 */
function formatHead(code: number, headers: readonly string[]): string {
  return `HTTP/1.1 ${code}${phraseOf(code)}\r\n${headers.map((line) => `${line}\r\n`).join("")}\r\n`;
}

/** The `-v` block of a response head on stderr: `< ` lines, escaped, and a `<` line. */
function formatVerboseHead(code: number, headers: readonly string[]): string {
  return [`HTTP/1.1 ${code}${phraseOf(code)}`, ...headers].map((line) => `< ${escapeControls(line)}\n`).join("") + "<\n";
}

/** `" Not Found"` for 404: the standard reason phrase with a leading space, or nothing for an unknown code. */
function phraseOf(code: number): string {
  const phrase = STATUS_CODES[code];
  return phrase === undefined ? "" : ` ${phrase}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

function say(io: CliIo, status: number, message: string): number {
  io.stderr.write(`poll-http: ${escapeControls(message)}\n`);
  return status;
}
