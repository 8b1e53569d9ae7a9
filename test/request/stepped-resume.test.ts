/**
 * Range requests (`resumeFrom`/`resumeTo`) and resumable downloads (`resume: true` with
 * `downloadFile`), stepped over a ScriptedNetwork: the exact Range header sent, 206 append, 200
 * restart, 416 complete, a mismatched 206 refused with every file untouched, an interrupted
 * download kept in `<target>.partial` and resumed.
 */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Err, Method, partialPathOf, resultName } from "../../src/index.ts";
import { ACCEPT, UA, setup, summary, wire, type Harness } from "./helpers.ts";

let dir = "";
beforeEach(() => {
  dir = fs.mkdtempSync(join(tmpdir(), "poll-http-resume-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The head a default node sends for a GET with a Range (and no Accept-Encoding). */
function rangedHead(range: string, target = "/f"): string {
  return wire(`GET ${target} HTTP/1.1`, [`Range: ${range}`, "Host: example.test", UA, ACCEPT]);
}

function partial(status: number, contentRange: string, body: string): string {
  return wire(`HTTP/1.1 ${status} Partial`, [`Content-Range: ${contentRange}`, `Content-Length: ${body.length}`], body);
}

/** A harness downloading to `dir/file.bin`, with the given target and partial contents. */
function downloadSetup(target: string | null, held: string | null): { h: Harness; file: string } {
  const h = setup();
  const file = join(dir, "file.bin");
  if (target !== null) fs.writeFileSync(file, target);
  if (held !== null) fs.writeFileSync(partialPathOf(file), held);
  h.node.downloadFile = file;
  return { h, file };
}

const read = (path: string): string | null => (fs.existsSync(path) ? fs.readFileSync(path, "latin1") : null);
const leftovers = (): string[] =>
  fs
    .readdirSync(dir)
    .filter((name) => name !== "file.bin")
    .sort();

describe("resumeFrom / resumeTo", () => {
  it("sends Range: bytes=from-to without Accept-Encoding; the 206 and its partial body come back as they are", () => {
    const h = setup();
    expect(h.node.request("http://example.test/f", [], Method.METHOD_GET, "", { resumeFrom: 10, resumeTo: 19 })).toBe(Err.OK);
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(rangedHead("bytes=10-19"));
    h.peer().pushIncoming(partial(206, "bytes 10-19/100", "abcdefghij"));
    expect(summary(h.untilDone())).toEqual(["RESULT_SUCCESS", 206, ["Content-Range: bytes 10-19/100", "Content-Length: 10"], "abcdefghij"]);
  });

  it("resumeFrom alone asks for the rest; resumeTo alone starts at 0", () => {
    const h = setup();
    h.node.request("http://example.test/f", [], Method.METHOD_GET, "", { resumeFrom: 7 });
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(rangedHead("bytes=7-"));
    h.node.cancelRequest();
    h.node.request("http://example.test/f", [], Method.METHOD_GET, "", { resumeTo: 4 });
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(rangedHead("bytes=0-4"));
  });

  it.each([
    [{ resumeFrom: -1 }],
    [{ resumeFrom: 1.5 }],
    [{ resumeFrom: Number.NaN }],
    [{ resumeFrom: 2 ** 53 }],
    [{ resumeFrom: 5, resumeTo: 4 }],
    [{ resumeTo: -3 }],
  ])("refuses %j with ERR_INVALID_PARAMETER and sends nothing", (options) => {
    const h = setup();
    expect(h.node.request("http://example.test/f", [], Method.METHOD_GET, "", options)).toBe(Err.ERR_INVALID_PARAMETER);
    expect(h.node.getErrorReason()).toMatch(/range/);
    h.ticks(3);
    expect(h.network.connections).toHaveLength(0);
    expect(h.completions).toEqual([]);
  });

  it("refuses a user Range header together with resumeFrom or resume", () => {
    const h = setup();
    h.node.downloadFile = join(dir, "x");
    expect(h.node.request("http://example.test/f", ["range: bytes=1-2"], Method.METHOD_GET, "", { resumeFrom: 3 })).toBe(
      Err.ERR_INVALID_PARAMETER,
    );
    expect(h.node.getErrorReason()).toMatch(/Range header/);
    expect(h.node.request("http://example.test/f", ["Range: bytes=1-2"], Method.METHOD_GET, "", { resume: true })).toBe(
      Err.ERR_INVALID_PARAMETER,
    );
  });

  it("refuses resume without downloadFile, with resumeFrom, or with integrity", () => {
    const h = setup();
    expect(h.node.request("http://example.test/f", [], Method.METHOD_GET, "", { resume: true })).toBe(Err.ERR_INVALID_PARAMETER);
    expect(h.node.getErrorReason()).toMatch(/downloadFile/);
    h.node.downloadFile = join(dir, "x");
    expect(h.node.request("http://example.test/f", [], Method.METHOD_GET, "", { resume: true, resumeFrom: 1 })).toBe(
      Err.ERR_INVALID_PARAMETER,
    );
    const integrity = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    expect(h.node.request("http://example.test/f", [], Method.METHOD_GET, "", { resume: true, integrity })).toBe(Err.ERR_INVALID_PARAMETER);
    expect(h.node.getErrorReason()).toMatch(/integrity/);
    h.ticks(2);
    expect(h.network.connections).toHaveLength(0);
  });
});

describe("resume with downloadFile", () => {
  it("206 from the held offset: the tail is appended, the partial file renamed over the target", () => {
    const { h, file } = downloadSetup("old", "01234");
    expect(h.node.request("http://example.test/f", [], Method.METHOD_GET, "", { resume: true })).toBe(Err.OK);
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(rangedHead("bytes=5-"));
    h.peer().pushIncoming(partial(206, "bytes 5-9/10", "56789"));
    const done = h.untilDone();
    expect([resultName(done.result), done.code, done.text], done.reason).toEqual(["RESULT_SUCCESS", 206, ""]);
    expect(read(file)).toBe("0123456789");
    expect(leftovers()).toEqual([]);
    expect([h.node.getResumedFrom(), h.node.getDownloadedBytes(), h.node.getBodySize()]).toEqual([5, 5, 5]);
  });

  it("200 (range ignored): the download restarts from byte 0", () => {
    const { h, file } = downloadSetup(null, "XXXXXXXXXXXXXXX");
    h.node.request("http://example.test/f", [], Method.METHOD_GET, "", { resume: true });
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(rangedHead("bytes=15-"));
    h.peer().pushIncoming(wire("HTTP/1.1 200 OK", ["Content-Length: 10"], "0123456789"));
    const done = h.untilDone();
    expect([resultName(done.result), done.code]).toEqual(["RESULT_SUCCESS", 200]);
    expect(read(file)).toBe("0123456789");
    expect(leftovers()).toEqual([]);
    expect(h.node.getResumedFrom()).toBe(0);
  });

  it("416 with bytes */held: already complete → RESULT_SUCCESS, code 416, empty body, partial file becomes the target", () => {
    const { h, file } = downloadSetup("old", "0123456789");
    h.node.request("http://example.test/f", [], Method.METHOD_GET, "", { resume: true });
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(rangedHead("bytes=10-"));
    h.peer().pushIncoming(wire("HTTP/1.1 416 Range Not Satisfiable", ["Content-Range: bytes */10", "Content-Length: 9"], "no range!"));
    const done = h.untilDone();
    expect([resultName(done.result), done.code, done.text]).toEqual(["RESULT_SUCCESS", 416, ""]);
    expect(read(file)).toBe("0123456789");
    expect(leftovers()).toEqual([]);
  });

  it.each([
    ["another start", "bytes 3-9/10", "3456789"],
    ["not the rest of the file", "bytes 5-7/10", "567"],
    ["multipart/byteranges (no Content-Range)", null, "56789"],
  ])("a mismatched 206 (%s) fails with a reason; target and partial file untouched", (_name, contentRange, body) => {
    const { h, file } = downloadSetup("old", "01234");
    h.node.request("http://example.test/f", [], Method.METHOD_GET, "", { resume: true });
    h.tick();
    const lines = contentRange === null ? ["Content-Type: multipart/byteranges; boundary=x"] : [`Content-Range: ${contentRange}`];
    h.peer().pushIncoming(wire("HTTP/1.1 206 Partial", [...lines, `Content-Length: ${body.length}`], body));
    const done = h.untilDone();
    expect(resultName(done.result)).toBe("RESULT_REQUEST_FAILED");
    expect(done.code).toBe(206);
    expect(done.reason).toMatch(/cannot resume/);
    expect(read(file)).toBe("old");
    expect(read(partialPathOf(file))).toBe("01234");
    expect(leftovers()).toEqual(["file.bin.partial"]);
  });

  it("an error status is delivered as usual; the files stay untouched", () => {
    const { h, file } = downloadSetup("old", "01234");
    h.node.request("http://example.test/f", [], Method.METHOD_GET, "", { resume: true });
    h.tick();
    h.peer().pushIncoming(wire("HTTP/1.1 404 Not Found", ["Content-Length: 4"], "gone"));
    expect(summary(h.untilDone())).toEqual(["RESULT_SUCCESS", 404, ["Content-Length: 4"], "gone"]);
    expect([read(file), read(partialPathOf(file))]).toEqual(["old", "01234"]);
  });

  it("an interrupted download keeps its bytes in <target>.partial (target untouched) and the next request resumes from them", () => {
    const { h, file } = downloadSetup("old", null);
    h.node.request("http://example.test/f", [], Method.METHOD_GET, "", { resume: true });
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(wire("GET /f HTTP/1.1", ["Host: example.test", UA, ACCEPT]));
    h.peer().pushIncoming(wire("HTTP/1.1 200 OK", ["Content-Length: 10"], "0123"));
    h.tick();
    h.peer().pushEnd();
    const cut = h.untilDone();
    expect(resultName(cut.result)).toBe("RESULT_CONNECTION_ERROR");
    expect([read(file), read(partialPathOf(file))]).toEqual(["old", "0123"]);

    h.node.request("http://example.test/f", [], Method.METHOD_GET, "", { resume: true });
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(rangedHead("bytes=4-"));
    h.peer().pushIncoming(partial(206, "bytes 4-9/10", "456789"));
    expect(resultName(h.untilDone().result)).toBe("RESULT_SUCCESS");
    expect(read(file)).toBe("0123456789");
    expect(leftovers()).toEqual([]);
  });

  it("cancelRequest keeps the partial bytes too", () => {
    const { h, file } = downloadSetup(null, "01");
    h.node.request("http://example.test/f", [], Method.METHOD_GET, "", { resume: true });
    h.tick();
    h.peer().pushIncoming(wire("HTTP/1.1 206 Partial", ["Content-Range: bytes 2-9/10", "Content-Length: 8"], "234"));
    h.tick();
    h.node.cancelRequest();
    expect([read(file), read(partialPathOf(file))]).toEqual([null, "01234"]);
    expect(h.completions).toEqual([]);
  });
});
