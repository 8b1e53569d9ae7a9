import { describe, expect, it } from "vitest";
import { getHeaderValue, getHeaderValues, hasHeader, headerFieldsToLines, headersToDictionary } from "../../src/client/wire/headers.ts";

const lines = [
  "Content-Type: text/html",
  "Set-Cookie: a=1",
  "set-cookie:  b=2 ",
  "X-Empty:",
  "garbage without colon",
  "Content-Length-X: 9",
];

describe("header helpers", () => {
  it("turns fields into lines", () => {
    expect(
      headerFieldsToLines([
        { name: "A", value: "1" },
        { name: "a", value: "" },
      ]),
    ).toEqual(["A: 1", "a: "]);
    expect(headerFieldsToLines([])).toEqual([]);
  });

  it("builds a dictionary with lower-cased keys and repeated names as arrays", () => {
    expect(headersToDictionary(lines)).toEqual({
      "content-type": "text/html",
      "set-cookie": ["a=1", "b=2"],
      "x-empty": "",
      "content-length-x": "9",
    });
    expect(headersToDictionary(["A: 1", "a: 2", "A: 3"])).toEqual({ a: ["1", "2", "3"] });
  });

  it("is safe with a __proto__ header", () => {
    const d = headersToDictionary(["__proto__: x", "constructor: y"]);
    expect(d["__proto__"]).toBe("x");
    expect(d["constructor"]).toBe("y");
    expect(Object.keys(d)).toEqual(["__proto__", "constructor"]);
  });

  it("looks values up case-insensitively", () => {
    expect(getHeaderValue(lines, "SET-COOKIE")).toBe("a=1");
    expect(getHeaderValue(lines, "x-empty")).toBe("");
    expect(getHeaderValue(lines, "missing")).toBeUndefined();
    expect(getHeaderValues(lines, "Set-Cookie")).toEqual(["a=1", "b=2"]);
    expect(getHeaderValues(lines, "missing")).toEqual([]);
    expect(getHeaderValue(["A: x: y"], "a")).toBe("x: y");
  });

  it("matches whole names only, skipping lines without a colon", () => {
    expect(hasHeader(lines, "content-type")).toBe(true);
    expect(hasHeader(lines, "Content-Length")).toBe(false);
    expect(hasHeader(lines, "Content")).toBe(false);
    expect(hasHeader(lines, "garbage without colon")).toBe(false);
  });
});
