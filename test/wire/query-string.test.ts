import { describe, expect, it } from "vitest";
import { queryStringFromDict, uriEncode } from "../../src/client/wire/query-string.ts";

describe("queryStringFromDict", () => {
  it("follows Godot's documented example", () => {
    expect(queryStringFromDict({ key1: "value", key2: 123, key3: [1, 2, 3], key4: null })).toBe(
      "key1=value&key2=123&key3=1&key3=2&key3=3&key4",
    );
  });

  it("encodes keys and values, null as the key alone, arrays as repeated pairs", () => {
    expect(queryStringFromDict({ "a b": "c&d", n: null, l: [1, 2] })).toBe("a%20b=c%26d&n&l=1&l=2");
  });

  it("returns an empty string for an empty object", () => {
    expect(queryStringFromDict({})).toBe("");
  });

  it("writes booleans, numbers and bigints with String()", () => {
    expect(queryStringFromDict({ t: true, f: false, x: 1.5, y: -2, z: 10n, e: 1e21 })).toBe("t=true&f=false&x=1.5&y=-2&z=10&e=1e%2B21");
  });

  it("encodes unicode as upper-case UTF-8 percent escapes", () => {
    expect(queryStringFromDict({ "caf\u00e9": "\u4e2d\u6587", emoji: "\u{1f600}" })).toBe(
      "caf%C3%A9=%E4%B8%AD%E6%96%87&emoji=%F0%9F%98%80",
    );
  });

  it("keeps only A-Z a-z 0-9 _ . - ~ unencoded", () => {
    expect(uriEncode("AZaz09_.-~")).toBe("AZaz09_.-~");
    expect(uriEncode("!*'()+/:;=?@[]#$,% \t")).toBe("%21%2A%27%28%29%2B%2F%3A%3B%3D%3F%40%5B%5D%23%24%2C%25%20%09");
    expect(uriEncode("\ud800")).toBe("%EF%BF%BD");
  });

  it("handles arrays with null elements and empty arrays", () => {
    expect(queryStringFromDict({ a: ["x", null, "y"], b: [], c: "" })).toBe("a=x&a&a=y&c=");
  });
});
