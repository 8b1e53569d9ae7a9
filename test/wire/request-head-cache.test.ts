import { describe, expect, it } from "vitest";
import { RequestHeadCache } from "../../src/client/wire/request-head-cache.ts";
import { type RequestHeadOptions, writeRequestHead } from "../../src/client/wire/request-writer.ts";

const BASE: RequestHeadOptions = {
  method: "GET",
  target: "/a",
  host: "example.com",
  port: 80,
  tls: false,
  headers: ["X-A: 1"],
  bodyLength: 0,
};

function text(result: ReturnType<RequestHeadCache["write"]>): string {
  if (!result.ok) throw new Error(result.reason);
  return Buffer.from(result.bytes).toString("latin1");
}

describe("RequestHeadCache", () => {
  it("gives the same bytes as writeRequestHead, and the same array again for an identical request", () => {
    const cache = new RequestHeadCache();
    const first = cache.write(BASE);
    expect(text(first)).toBe(text(writeRequestHead(BASE)));
    const again = cache.write({ ...BASE, headers: ["X-A: 1"] });
    expect(again).toBe(first);
  });

  it.each<[string, Partial<RequestHeadOptions>]>([
    ["method", { method: "HEAD" }],
    ["target", { target: "/b" }],
    ["host", { host: "example.org" }],
    ["port", { port: 8080 }],
    ["tls", { tls: true }],
    ["body length", { bodyLength: 5 }],
    ["chunked", { bodyLength: -1, chunked: true }],
    ["a header value", { headers: ["X-A: 2"] }],
    ["the header count", { headers: ["X-A: 1", "X-B: 2"] }],
  ])("writes a new head when the %s changes", (_name, change) => {
    const cache = new RequestHeadCache();
    cache.write(BASE);
    const options = { ...BASE, ...change };
    expect(text(cache.write(options))).toBe(text(writeRequestHead(options)));
  });

  it("notices a header array changed in place between requests", () => {
    const cache = new RequestHeadCache();
    const headers = ["X-A: 1"];
    const first = text(cache.write({ ...BASE, headers }));
    headers[0] = "X-A: 2";
    const second = text(cache.write({ ...BASE, headers }));
    expect(first).toContain("X-A: 1\r\n");
    expect(second).toContain("X-A: 2\r\n");
  });

  it("never remembers a refusal, and still refuses after a good request", () => {
    const cache = new RequestHeadCache();
    cache.write(BASE);
    const bad = { ...BASE, headers: ["X-A: 1\r\nInjected: yes"] };
    expect(cache.write(bad).ok).toBe(false);
    expect(cache.write(bad).ok).toBe(false);
    expect(text(cache.write(BASE))).toBe(text(writeRequestHead(BASE)));
  });
});
