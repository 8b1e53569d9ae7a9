// Parses the command line of `poll-http` by hand: curl-style short and long options, no dependencies.
import { methodVerb } from "../index.ts";

/** One `-d`/`--data` or `--data-binary` argument, as given (a value starting with `@` names a file). */
export interface DataArgument {
  /** True for `--data-binary` (a file is sent as is), false for `-d` (CR and LF are removed from a file). */
  readonly binary: boolean;
  /** The data, or `@FILE`. */
  readonly value: string;
}

/** What the command line asks for when it asks for a transfer. */
export interface CliOptions {
  /** The URL; `http://` is prepended when it has no scheme. */
  readonly url: string;
  /**
   * `-o FILE`: the file the body is written to; null (or `-`) for standard output. With `-O`, the
   * last segment of the URL's path.
   */
  readonly output: string | null;
  /** `-X METHOD`, upper case; null for GET (POST when data is given). */
  readonly method: string | null;
  /** `-H 'Name: value'` lines in order. */
  readonly headers: readonly string[];
  /** `-d` and `--data-binary` arguments in order (joined with `&`, as curl does). */
  readonly data: readonly DataArgument[];
  /** `--max-redirects N`: -1 for no limit; null for the library default. */
  readonly maxRedirects: number | null;
  /** `--max-filesize BYTES`: the most body bytes accepted (after decompression); null for no limit. */
  readonly maxFilesize: number | null;
  /** `--timeout S`: seconds for the whole request; null for none. */
  readonly timeout: number | null;
  /** `--proxy URL`: an `http://[user:password@]host[:port]` forward proxy; null for none. */
  readonly proxy: string | null;
  /** `--cacert FILE`: PEM certificates trusted instead of Node's store. */
  readonly cacert: string | null;
  /** `-k`/`--insecure`: no certificate or host-name verification. */
  readonly insecure: boolean;
  /** `-i`/`--include`: the final response's status line and headers go to standard output first. */
  readonly include: boolean;
  /** `-s`/`--silent`: no progress bar and no notes (errors are still printed). */
  readonly silent: boolean;
  /** `-f`/`--fail`: an HTTP status of 400 or more is an error (exit 22, as curl): no body is written. */
  readonly fail: boolean;
  /** `-v`/`--verbose`: the request head and the response heads go to stderr, escaped. */
  readonly verbose: boolean;
  /** `--fps N`: frames per second of the scene tree; 0 runs frames as fast as the network allows. */
  readonly fps: number;
  /** `--record FILE`: write a cassette of the exchange to FILE; null for none. */
  readonly record: string | null;
  /** `--replay FILE`: play the exchange back from the cassette FILE, with no socket; null for none. */
  readonly replay: string | null;
  /** `-b DATA|FILE`: `name=value` pairs sent as a `Cookie` header (an argument with `=`), or a cookie file to read; null for none. */
  readonly cookie: string | null;
  /** `-c FILE`: the cookie file written after the transfer (`-` for stdout); null for none. */
  readonly cookieJar: string | null;
}

/** The outcome of {@link parseArgs}. */
export type ParsedArgs =
  /** Run a transfer. */
  | { readonly kind: "run"; readonly options: CliOptions }
  /** `--help`. */
  | { readonly kind: "help" }
  /** `--version`. */
  | { readonly kind: "version" }
  /** A usage error, described in one line. */
  | { readonly kind: "error"; readonly message: string };

/** The frame rate used when `--fps` is not given. */
export const DEFAULT_FPS = 60;

/** The highest `--fps` accepted. */
const MAX_FPS = 1000;

type Flag = "insecure" | "include" | "silent" | "fail" | "verbose" | "remote-name" | "default-behaviour" | "help" | "version";
type Valued =
  | "output"
  | "method"
  | "header"
  | "data"
  | "data-binary"
  | "max-redirects"
  | "max-filesize"
  | "timeout"
  | "proxy"
  | "cacert"
  | "fps"
  | "record"
  | "replay"
  | "cookie"
  | "cookie-jar";

interface OptionSpec {
  readonly name: Flag | Valued;
  readonly takesValue: boolean;
}

const LONG: ReadonlyMap<string, OptionSpec> = new Map<string, OptionSpec>([
  ["output", { name: "output", takesValue: true }],
  ["request", { name: "method", takesValue: true }],
  ["header", { name: "header", takesValue: true }],
  ["data", { name: "data", takesValue: true }],
  ["data-binary", { name: "data-binary", takesValue: true }],
  ["max-redirects", { name: "max-redirects", takesValue: true }],
  ["max-redirs", { name: "max-redirects", takesValue: true }],
  ["max-filesize", { name: "max-filesize", takesValue: true }],
  ["timeout", { name: "timeout", takesValue: true }],
  ["proxy", { name: "proxy", takesValue: true }],
  ["cacert", { name: "cacert", takesValue: true }],
  ["fps", { name: "fps", takesValue: true }],
  ["record", { name: "record", takesValue: true }],
  ["replay", { name: "replay", takesValue: true }],
  ["cookie", { name: "cookie", takesValue: true }],
  ["cookie-jar", { name: "cookie-jar", takesValue: true }],
  ["insecure", { name: "insecure", takesValue: false }],
  ["include", { name: "include", takesValue: false }],
  ["silent", { name: "silent", takesValue: false }],
  ["fail", { name: "fail", takesValue: false }],
  ["verbose", { name: "verbose", takesValue: false }],
  ["remote-name", { name: "remote-name", takesValue: false }],
  // curl habits that describe what poll-http always does: follow redirects, ask for and decode gzip/deflate.
  ["location", { name: "default-behaviour", takesValue: false }],
  ["compressed", { name: "default-behaviour", takesValue: false }],
  ["help", { name: "help", takesValue: false }],
  ["version", { name: "version", takesValue: false }],
]);

const SHORT: ReadonlyMap<string, OptionSpec> = new Map<string, OptionSpec>([
  ["o", { name: "output", takesValue: true }],
  ["X", { name: "method", takesValue: true }],
  ["H", { name: "header", takesValue: true }],
  ["d", { name: "data", takesValue: true }],
  ["x", { name: "proxy", takesValue: true }],
  ["b", { name: "cookie", takesValue: true }],
  ["c", { name: "cookie-jar", takesValue: true }],
  ["k", { name: "insecure", takesValue: false }],
  ["i", { name: "include", takesValue: false }],
  ["s", { name: "silent", takesValue: false }],
  ["f", { name: "fail", takesValue: false }],
  ["v", { name: "verbose", takesValue: false }],
  ["O", { name: "remote-name", takesValue: false }],
  ["L", { name: "default-behaviour", takesValue: false }],
  ["h", { name: "help", takesValue: false }],
  ["V", { name: "version", takesValue: false }],
]);

/** Thrown inside the parser to end it with a usage error; never escapes {@link parseArgs}. */
class UsageError extends Error {}

interface Draft {
  url: string | null;
  output: string | null;
  method: string | null;
  headers: string[];
  data: DataArgument[];
  maxRedirects: number | null;
  maxFilesize: number | null;
  timeout: number | null;
  proxy: string | null;
  cacert: string | null;
  insecure: boolean;
  include: boolean;
  silent: boolean;
  fail: boolean;
  verbose: boolean;
  /** `-O` given: the output file is named from the URL once it is known. */
  remoteName: boolean;
  fps: number;
  record: string | null;
  replay: string | null;
  cookie: string | null;
  cookieJar: string | null;
  stop: "help" | "version" | null;
}

/**
 * Parses `poll-http`'s arguments (without `node` and the script): options may come before or
 * after the URL; `--name=value`, `--name value`, `-o FILE`, `-oFILE` and bundled flags (`-ik`) are
 * accepted; `--` ends the options. `--help` and `--version` win over everything else.
 *
 * @param argv - The arguments.
 * @returns What to do, or a one-line usage error.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const draft: Draft = {
    url: null,
    output: null,
    method: null,
    headers: [],
    data: [],
    maxRedirects: null,
    maxFilesize: null,
    timeout: null,
    proxy: null,
    cacert: null,
    insecure: false,
    include: false,
    silent: false,
    fail: false,
    verbose: false,
    remoteName: false,
    fps: DEFAULT_FPS,
    record: null,
    replay: null,
    cookie: null,
    cookieJar: null,
    stop: null,
  };
  try {
    walk(argv, draft);
  } catch (error) {
    if (error instanceof UsageError) return { kind: "error", message: error.message };
    throw error;
  }
  if (draft.stop !== null) return { kind: draft.stop };
  if (draft.url === null) return { kind: "error", message: "no URL given" };
  if (draft.record !== null && draft.replay !== null) return { kind: "error", message: "--record and --replay cannot be used together" };
  const { stop: _stop, remoteName, url, ...rest } = draft;
  const full = withScheme(url);
  if (!remoteName) return { kind: "run", options: { ...rest, url: full } };
  if (draft.output !== null) return { kind: "error", message: "give either -o FILE or -O, not both" };
  const name = remoteFileName(full);
  if (name === null)
    return { kind: "error", message: `-O: the URL ${JSON.stringify(url)} names no file (its path is empty or ends with "/"); use -o FILE` };
  return { kind: "run", options: { ...rest, url: full, output: name } };
}

function walk(argv: readonly string[], draft: Draft): void {
  let index = 0;
  const next = (shown: string): string => {
    const value = argv[++index];
    if (value === undefined) throw new UsageError(`option ${shown} needs a value`);
    return value;
  };
  for (; index < argv.length; index++) {
    const arg = argv[index] ?? "";
    if (arg === "--") {
      for (const rest of argv.slice(index + 1)) positional(draft, rest);
      return;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const key = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = LONG.get(key);
      if (spec === undefined) throw new UsageError(`unknown option --${key}`);
      if (!spec.takesValue && eq >= 0) throw new UsageError(`option --${key} takes no value`);
      apply(draft, spec, `--${key}`, spec.takesValue ? (eq >= 0 ? arg.slice(eq + 1) : next(`--${key}`)) : "");
    } else if (arg.startsWith("-") && arg.length > 1) {
      for (let at = 1; at < arg.length; at++) {
        const letter = arg[at] ?? "";
        const spec = SHORT.get(letter);
        if (spec === undefined) throw new UsageError(`unknown option -${letter}`);
        if (!spec.takesValue) {
          apply(draft, spec, `-${letter}`, "");
          continue;
        }
        apply(draft, spec, `-${letter}`, at + 1 < arg.length ? arg.slice(at + 1) : next(`-${letter}`));
        break;
      }
    } else {
      positional(draft, arg);
    }
    if (draft.stop !== null) return;
  }
}

function positional(draft: Draft, arg: string): void {
  if (draft.url !== null) throw new UsageError(`only one URL may be given (got ${JSON.stringify(draft.url)} and ${JSON.stringify(arg)})`);
  if (arg === "") throw new UsageError("the URL is empty");
  draft.url = arg;
}

function apply(draft: Draft, spec: OptionSpec, shown: string, value: string): void {
  switch (spec.name) {
    case "help":
    case "version":
      draft.stop = spec.name;
      return;
    case "insecure":
    case "include":
    case "silent":
    case "fail":
    case "verbose":
      draft[spec.name] = true;
      return;
    case "remote-name":
      draft.remoteName = true;
      return;
    case "default-behaviour":
      return;
    case "output":
      if (value === "") throw new UsageError(`option ${shown} needs a file name`);
      draft.output = value === "-" ? null : value;
      return;
    case "method":
      draft.method = parseMethod(value);
      return;
    case "header":
      draft.headers.push(parseHeader(value));
      return;
    case "data":
    case "data-binary":
      draft.data.push({ binary: spec.name === "data-binary", value });
      return;
    case "max-redirects":
      draft.maxRedirects = parseInteger(shown, value, -1, Number.MAX_SAFE_INTEGER);
      return;
    case "max-filesize":
      draft.maxFilesize = parseSize(shown, value);
      return;
    case "timeout":
      draft.timeout = parseNumber(shown, value, "a number of seconds above 0", (n) => n > 0);
      return;
    case "fps":
      draft.fps = parseNumber(shown, value, `0 (as fast as possible) or a frame rate up to ${MAX_FPS}`, (n) => n >= 0 && n <= MAX_FPS);
      return;
    case "proxy":
      draft.proxy = value === "" ? null : value;
      return;
    case "cacert":
    case "record":
    case "replay":
      if (value === "") throw new UsageError(`option ${shown} needs a file name`);
      draft[spec.name] = value;
      return;
    case "cookie":
      draft.cookie = value;
      return;
    case "cookie-jar":
      if (value === "") throw new UsageError(`option ${shown} needs a file name`);
      draft.cookieJar = value;
      return;
  }
}

/** The verbs `-X` accepts: those of the library's `Method` enum. */
const VERBS: readonly string[] = Array.from({ length: 9 }, (_, i) => methodVerb(i) ?? "").filter((verb) => verb !== "");

function parseMethod(value: string): string {
  const verb = value.toUpperCase();
  if (!VERBS.includes(verb)) throw new UsageError(`unsupported method ${JSON.stringify(value)} (use one of ${VERBS.join(", ")})`);
  return verb;
}

function parseHeader(value: string): string {
  const colon = value.indexOf(":");
  if (colon <= 0 || value.slice(0, colon).trim() === "")
    throw new UsageError(`a header must look like 'Name: value' (got ${JSON.stringify(value)})`);
  return value;
}

function parseNumber(shown: string, value: string, wanted: string, ok: (n: number) => boolean): number {
  const n = value.trim() === "" ? NaN : Number(value);
  if (!Number.isFinite(n) || !ok(n)) throw new UsageError(`option ${shown} needs ${wanted} (got ${JSON.stringify(value)})`);
  return n;
}

function parseInteger(shown: string, value: string, min: number, max: number): number {
  return parseNumber(shown, value, `a whole number from ${min}`, (n) => Number.isInteger(n) && n >= min && n <= max);
}

const SIZE_SUFFIX: Readonly<Record<string, number>> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

function parseSize(shown: string, value: string): number {
  const match = /^(\d+)([kmg]?)$/i.exec(value.trim());
  const factor = SIZE_SUFFIX[(match?.[2] ?? "").toLowerCase()];
  const bytes = match === null || factor === undefined ? NaN : Number(match[1]) * factor;
  if (!Number.isSafeInteger(bytes))
    throw new UsageError(`option ${shown} needs a byte count such as 5000, 64K, 10M or 2G (got ${JSON.stringify(value)})`);
  return bytes;
}

/**
 * The file name `-O` writes to: the last segment of the URL's path, as curl takes it (not
 * percent-decoded, query and fragment left out); null when the path ends with `/` or the segment
 * cannot be a file name here.
 *
 * @param url - The URL, with a scheme.
 * @returns The name, or null.
 */
export function remoteFileName(url: string): string | null {
  const afterAuthority = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "");
  const path = afterAuthority.split(/[?#]/, 1)[0] ?? "";
  const name = path.slice(path.lastIndexOf("/") + 1);
  return name === "" || name === "." || name === ".." ? null : name;
}

function withScheme(url: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
}
