// request() as users call it: headers as a record (a fetch habit), arguments of the wrong type
// refused with a reason instead of thrown, and a download path for one request only.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Err, Method, Result, type BodySource, type RequestOptions } from "../../src/index.ts";
import { ACCEPT, AE, UA, ok, setup, summary, wire } from "./helpers.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("request() headers given as a record", () => {
  it("sends each entry as a line in the record's order, an array value once per element", () => {
    const h = setup();
    const headers = { "Content-Type": "application/json", "X-Tag": ["a", "b"], Authorization: "Bearer t" };
    expect(h.node.request("http://example.test/api", headers, Method.METHOD_POST, "{}")).toBe(Err.OK);
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(
      wire(
        "POST /api HTTP/1.1",
        [
          "Content-Type: application/json",
          "X-Tag: a",
          "X-Tag: b",
          "Authorization: Bearer t",
          AE,
          "Host: example.test",
          "Content-Length: 2",
          UA,
          ACCEPT,
        ],
        "{}",
      ),
    );
    h.peer().pushIncoming(ok("done"));
    expect(summary(h.untilDone())).toEqual(["RESULT_SUCCESS", 200, ["Content-Length: 4"], "done"]);
  });

  it("sends the same bytes as the equivalent header lines", () => {
    const lines = setup();
    const record = setup();
    lines.node.request("http://example.test/", ["A: 1", "B: 2"]);
    record.node.request("http://example.test/", { A: "1", B: "2" });
    lines.tick();
    record.tick();
    expect(record.peer().takeOutgoingText()).toBe(lines.peer().takeOutgoingText());
  });

  it("refuses CR or LF in a record's value as in a line (nothing is sent)", () => {
    const h = setup();
    expect(h.node.request("http://example.test/", { "X-A": "1\r\nInjected: yes" })).toBe(Err.ERR_INVALID_PARAMETER);
    h.ticks(3);
    expect(h.network.connections).toHaveLength(0);
  });
});

describe("request() never throws: a wrong argument is ERR_INVALID_PARAMETER with a reason", () => {
  const cases: ReadonlyArray<[string, (h: ReturnType<typeof setup>) => Err, RegExp]> = [
    [
      "a plain object as the body",
      (h) => h.node.request("http://example.test/", [], Method.METHOD_POST, { score: 10 } as unknown as string),
      /^body is a plain object; expected a string, a Uint8Array or a BodySource \(to send JSON: JSON\.stringify\(value\) with a "Content-Type: application\/json" header\)$/,
    ],
    [
      "a number as the body of requestRaw",
      (h) => h.node.requestRaw("http://example.test/", [], Method.METHOD_POST, 5 as unknown as Uint8Array),
      /^body is a number; expected a string, a Uint8Array or a BodySource$/,
    ],
    [
      "an ArrayBuffer as the body",
      (h) => h.node.request("http://example.test/", [], Method.METHOD_PUT, new ArrayBuffer(4) as unknown as Uint8Array),
      /^body is an ArrayBuffer; expected/,
    ],
    [
      "a header line that is not a string",
      (h) => h.node.request("http://example.test/", ["A: 1", 7 as unknown as string]),
      /^customHeaders\[1\] is a number; expected header lines \["Name: value"\] or a record \{ Name: "value" \}$/,
    ],
    [
      "a record value that is not a string",
      (h) => h.node.request("http://example.test/", { A: 1 } as unknown as Record<string, string>),
      /^header "A" is a number; expected a string or an array of strings$/,
    ],
    [
      "a Map of headers",
      (h) => h.node.request("http://example.test/", new Map([["A", "1"]]) as unknown as string[]),
      /^customHeaders is a Map; expected header lines/,
    ],
    [
      "a URL that is not a string",
      (h) => h.node.request(new URL("http://example.test/") as unknown as string),
      /^url is a URL; expected an http:\/\/ or https:\/\/ URL string$/,
    ],
    [
      "null options",
      (h) => h.node.request("http://example.test/", [], Method.METHOD_GET, "", null as unknown as RequestOptions),
      /^options is null; expected an object$/,
    ],
    [
      "a downloadFile that is not a string",
      (h) => h.node.request("http://example.test/", [], Method.METHOD_GET, "", { downloadFile: 1 } as unknown as RequestOptions),
      /^options\.downloadFile must be a string/,
    ],
  ];
  for (const [name, call, reason] of cases) {
    it(name, () => {
      const h = setup();
      let err: Err | undefined;
      expect(() => (err = call(h))).not.toThrow();
      expect(err).toBe(Err.ERR_INVALID_PARAMETER);
      expect(h.node.getErrorReason()).toMatch(reason);
      h.ticks(3);
      expect(h.completions).toEqual([]);
      expect(h.network.lookups).toHaveLength(0);
      expect(h.node.request("http://example.test/")).toBe(Err.OK); // the node is not left busy
    });
  }

  it("still takes a BodySource of its own making", () => {
    const h = setup();
    let sent = false;
    const source: BodySource = {
      length: 2,
      read: () => (sent ? null : ((sent = true), new TextEncoder().encode("hi"))),
      getError: () => "",
      close: () => {},
    };
    expect(h.node.request("http://example.test/", [], Method.METHOD_POST, source)).toBe(Err.OK);
  });
});

describe("RequestOptions.downloadFile: a download path for one request", () => {
  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "poll-http-per-request-"));
    dirs.push(dir);
    return dir;
  }

  it("writes that request's body to the path; the next request on the node keeps its body in memory", () => {
    const dir = tempDir();
    const file = join(dir, "level.pak");
    const h = setup();
    expect(h.node.request("http://example.test/level.pak", [], Method.METHOD_GET, "", { downloadFile: file })).toBe(Err.OK);
    h.tick();
    h.peer().pushIncoming(ok("level bytes"));
    expect(summary(h.untilDone())).toEqual(["RESULT_SUCCESS", 200, ["Content-Length: 11"], ""]);
    expect(readFileSync(file, "utf8")).toBe("level bytes");
    expect(h.node.downloadFile).toBe("");

    expect(h.node.request("http://example.test/scores.json")).toBe(Err.OK);
    h.tick();
    h.peer().pushIncoming(ok('{"top":1}'));
    expect(summary(h.untilDone())).toEqual(["RESULT_SUCCESS", 200, ["Content-Length: 9"], '{"top":1}']);
    expect(readFileSync(file, "utf8")).toBe("level bytes");
  });

  it('takes the place of the node\'s downloadFile for that request, and "" keeps that body in memory', () => {
    const dir = tempDir();
    const nodeFile = join(dir, "node.bin");
    const own = join(dir, "own.bin");
    writeFileSync(nodeFile, "untouched");
    const h = setup();
    h.node.downloadFile = nodeFile;
    h.node.request("http://example.test/a", [], Method.METHOD_GET, "", { downloadFile: own });
    h.tick();
    h.peer().pushIncoming(ok("first"));
    expect(h.untilDone().result).toBe(Result.RESULT_SUCCESS);
    expect(readFileSync(own, "utf8")).toBe("first");
    h.node.request("http://example.test/b", [], Method.METHOD_GET, "", { downloadFile: "" });
    h.tick();
    h.peer().pushIncoming(ok("second"));
    expect(h.untilDone().text).toBe("second");
    expect(readFileSync(nodeFile, "utf8")).toBe("untouched");
    expect(h.node.downloadFile).toBe(nodeFile);
  });

  it("the node's downloadFile stays set for later requests (its documented lifetime)", () => {
    const dir = tempDir();
    const file = join(dir, "kept.bin");
    const h = setup();
    h.node.downloadFile = file;
    h.node.request("http://example.test/one");
    h.tick();
    h.peer().pushIncoming(ok("one"));
    h.untilDone();
    h.node.request("http://example.test/two");
    h.tick();
    h.peer().pushIncoming(ok("two"));
    expect(h.untilDone().text).toBe("");
    expect(readFileSync(file, "utf8")).toBe("two");
    expect(existsSync(file)).toBe(true);
  });
});
