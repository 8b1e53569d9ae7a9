import { describe, expect, it } from "vitest";
import { DEFAULT_FPS, parseArgs, type CliOptions, type ParsedArgs } from "../../src/cli/args.ts";
import { exitStatusForResult, exitStatusTable } from "../../src/cli/exit-status.ts";
import { usageText } from "../../src/cli/usage.ts";
import { Result } from "../../src/index.ts";

function run(argv: string[]): CliOptions {
  const parsed = parseArgs(argv);
  if (parsed.kind !== "run") throw new Error(`expected a run, got ${JSON.stringify(parsed)}`);
  return parsed.options;
}

function usageError(argv: string[]): string {
  const parsed: ParsedArgs = parseArgs(argv);
  if (parsed.kind !== "error") throw new Error(`expected a usage error, got ${JSON.stringify(parsed)}`);
  expect(parsed.message).not.toContain("\n");
  return parsed.message;
}

describe("parseArgs", () => {
  it("takes a bare URL with the defaults", () => {
    expect(run(["http://example.com/a"])).toEqual({
      url: "http://example.com/a",
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
      fps: DEFAULT_FPS,
      record: null,
      replay: null,
      cookie: null,
      cookieJar: null,
    });
  });

  it("prepends http:// to a URL without a scheme, as curl does", () => {
    expect(run(["example.com:8080/x"]).url).toBe("http://example.com:8080/x");
    expect(run(["https://example.com"]).url).toBe("https://example.com");
  });

  it("reads every option, before and after the URL", () => {
    const options = run([
      "-o",
      "out.bin",
      "-X",
      "put",
      "-H",
      "A: 1",
      "--header",
      "B: 2",
      "-d",
      "x=1",
      "--data-binary",
      "@f.bin",
      "http://h/",
      "--max-redirects",
      "3",
      "--timeout",
      "2.5",
      "--proxy",
      "http://p:3128",
      "--cacert",
      "ca.pem",
      "-k",
      "-i",
      "--fps",
      "30",
      "--max-filesize",
      "10M",
      "-s",
      "-f",
      "-v",
      "-b",
      "in.txt",
      "--cookie-jar",
      "out.txt",
    ]);
    expect(options).toEqual({
      url: "http://h/",
      output: "out.bin",
      method: "PUT",
      headers: ["A: 1", "B: 2"],
      data: [
        { binary: false, value: "x=1" },
        { binary: true, value: "@f.bin" },
      ],
      maxRedirects: 3,
      maxFilesize: 10 * 1024 * 1024,
      timeout: 2.5,
      proxy: "http://p:3128",
      cacert: "ca.pem",
      insecure: true,
      include: true,
      silent: true,
      fail: true,
      verbose: true,
      fps: 30,
      record: null,
      replay: null,
      cookie: "in.txt",
      cookieJar: "out.txt",
    });
  });

  it("accepts --name=value, -oFILE, bundled flags and a value after bundled flags", () => {
    const options = run(["--output=a.txt", "-ikXPOST", "-Hx: y", "--max-redirects=-1", "u"]);
    expect(options).toMatchObject({ output: "a.txt", include: true, insecure: true, method: "POST", headers: ["x: y"], maxRedirects: -1 });
    expect(run(["-oout", "u"]).output).toBe("out");
  });

  it("takes a value that starts with a dash, as curl does", () => {
    expect(run(["-d", "-x-", "u"]).data).toEqual([{ binary: false, value: "-x-" }]);
  });

  it("accepts what curl users type by habit: -L and --compressed describe the default, --fail, --verbose", () => {
    const plain = run(["u"]);
    expect(run(["-L", "--compressed", "u"])).toEqual(plain);
    expect(run(["--location", "u"])).toEqual(plain);
    expect(run(["-fsL", "u"])).toMatchObject({ fail: true, silent: true });
    expect(run(["--fail", "--verbose", "u"])).toMatchObject({ fail: true, verbose: true });
    expect(run(["-Lv", "u"])).toMatchObject({ verbose: true });
  });

  it("-O names the output file after the last segment of the URL's path, as curl", () => {
    expect(run(["-O", "http://h/dir/level%201.pak?v=2#x"]).output).toBe("level%201.pak");
    expect(run(["h/a.txt", "--remote-name"]).output).toBe("a.txt");
    expect(usageError(["-O", "http://h/dir/"])).toMatch(/^-O: the URL "http:\/\/h\/dir\/" names no file/);
    expect(usageError(["-O", "http://h"])).toMatch(/names no file/);
    expect(usageError(["-O", "-o", "f", "http://h/a"])).toBe("give either -o FILE or -O, not both");
  });

  it("treats -o - as standard output and --proxy '' as no proxy", () => {
    expect(run(["-o", "-", "u"]).output).toBeNull();
    expect(run(["--proxy", "", "u"]).proxy).toBeNull();
  });

  it("ends options at --", () => {
    expect(run(["-i", "--", "-weird-host"]).url).toBe("http://-weird-host");
  });

  it("keeps repeated headers and data in order", () => {
    const options = run(["-H", "X-A: 1", "-H", "X-A: 2", "-d", "a", "-d", "@b", "u"]);
    expect(options.headers).toEqual(["X-A: 1", "X-A: 2"]);
    expect(options.data.map((d) => d.value)).toEqual(["a", "@b"]);
  });

  it("accepts curl's --request, --max-redirs and -x spellings", () => {
    expect(run(["--request", "DELETE", "--max-redirs", "2", "-x", "p:1", "u"])).toMatchObject({
      method: "DELETE",
      maxRedirects: 2,
      proxy: "p:1",
    });
  });

  it("takes --fps 0 as the as-fast-as-possible mode and fractional rates", () => {
    expect(run(["--fps", "0", "u"]).fps).toBe(0);
    expect(run(["--fps", "0.5", "u"]).fps).toBe(0.5);
  });

  it("reads --max-filesize with K, M and G suffixes", () => {
    expect(run(["--max-filesize", "5000", "u"]).maxFilesize).toBe(5000);
    expect(run(["--max-filesize", "64k", "u"]).maxFilesize).toBe(65536);
    expect(run(["--max-filesize", "2G", "u"]).maxFilesize).toBe(2 * 1024 ** 3);
  });

  it("lets --help and --version win over everything, even errors after them", () => {
    expect(parseArgs(["--help"])).toEqual({ kind: "help" });
    expect(parseArgs(["-h", "--bogus"])).toEqual({ kind: "help" });
    expect(parseArgs(["u", "-V"])).toEqual({ kind: "version" });
    expect(parseArgs(["--version"])).toEqual({ kind: "version" });
  });

  it.each([
    [[], "no URL given"],
    [["a", "b"], "only one URL"],
    [["--bogus", "u"], "unknown option --bogus"],
    [["-Z", "u"], "unknown option -Z"],
    [["u", "-o"], "option -o needs a value"],
    [["u", "--timeout"], "option --timeout needs a value"],
    [["--insecure=yes", "u"], "option --insecure takes no value"],
    [["-X", "BREW", "u"], 'unsupported method "BREW"'],
    [["-H", "no colon", "u"], "a header must look like 'Name: value'"],
    [["-H", ": v", "u"], "a header must look like 'Name: value'"],
    [["--max-redirects", "1.5", "u"], "option --max-redirects needs a whole number from -1"],
    [["--max-redirects", "-2", "u"], "option --max-redirects needs a whole number from -1"],
    [["--timeout", "0", "u"], "option --timeout needs a number of seconds above 0"],
    [["--timeout", "soon", "u"], "option --timeout needs a number of seconds above 0"],
    [["--fps", "-1", "u"], "option --fps needs 0 (as fast as possible) or a frame rate up to 1000"],
    [["--fps", "", "u"], "option --fps needs"],
    [["--max-filesize", "10T", "u"], "option --max-filesize needs a byte count"],
    [["-o", "", "u"], "option -o needs a file name"],
    [[""], "the URL is empty"],
  ])("refuses %j with a one-line message", (argv, message) => {
    expect(usageError(argv)).toContain(message);
  });
});

describe("exit statuses", () => {
  it("are 0 for RESULT_SUCCESS, 22 for -f, 47 for the redirect limit (as curl) and 10 + the value for every other Result, all distinct", () => {
    expect(exitStatusForResult(Result.RESULT_SUCCESS)).toBe(0);
    expect(exitStatusForResult(Result.RESULT_CANT_CONNECT)).toBe(12);
    expect(exitStatusForResult(Result.RESULT_TIMEOUT)).toBe(23);
    expect(exitStatusForResult(Result.RESULT_REDIRECT_LIMIT_REACHED)).toBe(47);
    const statuses = exitStatusTable().map(([status]) => status);
    expect(new Set(statuses).size).toBe(statuses.length);
    expect(statuses).toEqual([0, 1, 2, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 47, 130]);
  });

  it("are all listed in --help with the Result names", () => {
    const help = usageText();
    for (const [status, meaning] of exitStatusTable()) expect(help).toContain(`${String(status).padStart(3)}  ${meaning}`);
    expect(help).toContain("RESULT_TIMEOUT");
    for (const option of [
      "-o",
      "-X",
      "-H",
      "-d",
      "--data-binary",
      "--max-redirects",
      "--timeout",
      "--proxy",
      "--cacert",
      "--insecure",
      "-i",
      "--fps",
    ]) {
      expect(help).toContain(option);
    }
  });
});
