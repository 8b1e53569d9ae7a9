import { describe, expect, it } from "vitest";
import {
  fieldValue,
  fieldValues,
  getHeaderValue,
  getHeaderValues,
  hasField,
  hasHeader,
  headerFieldsToLines,
  headersToDictionary,
} from "../../src/client/wire/headers.ts";
import { prng } from "../helpers/prng.ts";

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

  it("looks lower-case names up as the case-insensitive helpers do", () => {
    for (const name of ["content-type", "set-cookie", "x-empty", "content-length", "content", "missing"]) {
      expect(fieldValue(lines, name), name).toBe(getHeaderValue(lines, name));
      expect(fieldValues(lines, name), name).toEqual(getHeaderValues(lines, name));
      expect(hasField(lines, name), name).toBe(hasHeader(lines, name));
    }
    expect(fieldValues(lines, "set-cookie")).toEqual(["a=1", "b=2"]);
    expect(fieldValue(["\u212Aeep-Alive: y"], "keep-alive")).toBe("y");
    expect(fieldValues([], "a")).toEqual([]);
    expect(hasField([], "a")).toBe(false);
  });
});

describe("header name matching", () => {
  /** The definition: the name before the first colon, SP and TAB trimmed, lower-cased by toLowerCase(). */
  const reference = (line: string, name: string): string | undefined => {
    const colon = line.indexOf(":");
    if (colon === -1) return undefined;
    const key = line.slice(0, colon).replace(/^[ \t]+|[ \t]+$/g, "");
    return key.toLowerCase() === name.toLowerCase() ? line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "") : undefined;
  };

  it("matches whole names in any case, trimmed, and follows toLowerCase() outside ASCII (the Kelvin sign is a k)", () => {
    expect(getHeaderValue([" \tKEEP-alive \t: x "], "keep-alive")).toBe("x");
    expect(hasHeader(["Keep-Alive2: x"], "keep-alive")).toBe(false);
    expect(hasHeader(["Keep: x"], "keep-alive")).toBe(false);
    expect(getHeaderValue(["\u212Aeep-Alive: y"], "keep-alive")).toBe("y");
    expect(hasHeader(["\u00e9: y"], "e")).toBe(false);
    expect(getHeaderValue([": empty name"], "")).toBe("empty name");
    expect(hasHeader(["[: x", "@: y"], "{")).toBe(false); // neighbours of A-Z are not letters
  });

  it("agrees with the definition on 20,000 seeded lines", () => {
    const random = prng(7);
    const alphabet = ["a", "A", "b", "K", "k", "\u212A", "-", " ", "\t", ":", "[", "@", "\u00e9", "Z", "z"];
    const names = ["a", "ab", "k", "kk", "a-b", "z", "", "[", "\u00e9"];
    for (let i = 0; i < 20_000; i++) {
      let line = "";
      const length = Math.floor(random() * 8);
      for (let j = 0; j < length; j++) line += alphabet[Math.floor(random() * alphabet.length)];
      const name = names[Math.floor(random() * names.length)] as string;
      expect(getHeaderValue([line], name), JSON.stringify([line, name])).toBe(reference(line, name));
    }
  });
});
