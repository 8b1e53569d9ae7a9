import { describe, expect, it } from "vitest";
import { formatRangeHeader, parseContentRange, planResume } from "../../src/request-node/range.ts";

describe("formatRangeHeader", () => {
  it("formats open and closed ranges", () => {
    expect(formatRangeHeader(0)).toEqual({ ok: true, value: "bytes=0-" });
    expect(formatRangeHeader(1234)).toEqual({ ok: true, value: "bytes=1234-" });
    expect(formatRangeHeader(100, 199)).toEqual({ ok: true, value: "bytes=100-199" });
    expect(formatRangeHeader(5, 5)).toEqual({ ok: true, value: "bytes=5-5" });
    expect(formatRangeHeader(Number.MAX_SAFE_INTEGER)).toEqual({ ok: true, value: `bytes=${Number.MAX_SAFE_INTEGER}-` });
    expect(formatRangeHeader(2 ** 40, 2 ** 41)).toEqual({ ok: true, value: "bytes=1099511627776-2199023255552" });
  });

  it("refuses negative, fractional, non-finite and unsafe positions and reversed ranges", () => {
    for (const from of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      const result = formatRangeHeader(from);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toContain("invalid range start");
    }
    for (const to of [-1, 2.5, Number.NaN, 2 ** 53]) {
      const result = formatRangeHeader(0, to);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toContain("invalid range end");
    }
    expect(formatRangeHeader(10, 9)).toEqual({ ok: false, reason: "invalid range 10-9: the end is before the start" });
  });
});

describe("parseContentRange", () => {
  it("parses the three forms of RFC 9110 §14.4", () => {
    expect(parseContentRange("bytes 42-1233/1234")).toEqual({ start: 42, end: 1233, total: 1234 });
    expect(parseContentRange("bytes 42-1233/*")).toEqual({ start: 42, end: 1233, total: -1 });
    expect(parseContentRange("bytes */1234")).toEqual({ start: -1, end: -1, total: 1234 });
    expect(parseContentRange("bytes 0-0/1")).toEqual({ start: 0, end: 0, total: 1 });
    expect(parseContentRange("bytes */0")).toEqual({ start: -1, end: -1, total: 0 });
  });

  it("matches the unit case-insensitively, trims surrounding whitespace and allows leading zeros", () => {
    expect(parseContentRange("BYTES 1-2/3")).toEqual({ start: 1, end: 2, total: 3 });
    expect(parseContentRange(" \tbytes 1-2/3\t ")).toEqual({ start: 1, end: 2, total: 3 });
    expect(parseContentRange("bytes 007-009/010")).toEqual({ start: 7, end: 9, total: 10 });
  });

  it("refuses ranges RFC 9110 calls invalid", () => {
    expect(parseContentRange("bytes 5-4/10")).toBeNull();
    expect(parseContentRange("bytes 0-9/9")).toBeNull();
    expect(parseContentRange("bytes 0-9/5")).toBeNull();
  });

  it("refuses anything off the grammar", () => {
    for (const value of [
      "",
      "bytes",
      "bytes ",
      "bytes 1-2",
      "bytes 1-/3",
      "bytes -2/3",
      "bytes 1-2/",
      "bytes */*",
      "bytes */",
      "bytes  1-2/3",
      "bytes 1 -2/3",
      "bytes 1-2 /3",
      "bytes=1-2/3",
      "bytes 1-2/3,4-5/6",
      "bytes +1-2/3",
      "bytes 0x1-2/3",
      "bytes 1.0-2/3",
      "bytes 1-2/3 junk",
      "items 1-2/3",
      "bytes\t1-2/3",
      "1-2/3",
      "bytes ١-٢/٣",
    ]) {
      expect(parseContentRange(value), value).toBeNull();
    }
  });

  it("refuses numbers past Number.MAX_SAFE_INTEGER", () => {
    const max = Number.MAX_SAFE_INTEGER;
    expect(parseContentRange(`bytes 0-${max - 1}/${max}`)).toEqual({ start: 0, end: max - 1, total: max });
    expect(parseContentRange(`bytes 0-1/${max + 1}`)).toBeNull();
    expect(parseContentRange("bytes 0-1/99999999999999999999")).toBeNull();
    expect(parseContentRange("bytes */99999999999999999999")).toBeNull();
  });
});

describe("planResume", () => {
  it("appends a 206 that starts exactly where the bytes held end", () => {
    expect(planResume({ requestedFrom: 100, status: 206, contentRange: "bytes 100-999/1000", contentLength: 900 })).toEqual({
      mode: "append",
      offset: 100,
      total: 1000,
    });
    expect(planResume({ requestedFrom: 100, status: 206, contentRange: "bytes 100-999/*" })).toEqual({
      mode: "append",
      offset: 100,
      total: -1,
    });
    expect(planResume({ requestedFrom: 100, status: 206, contentRange: "bytes 100-499/1000", contentLength: -1 })).toEqual({
      mode: "append",
      offset: 100,
      total: 1000,
    });
    expect(planResume({ requestedFrom: 0, status: 206, contentRange: "bytes 0-9/10", contentLength: 10 })).toEqual({
      mode: "append",
      offset: 0,
      total: 10,
    });
  });

  it("fails a 206 that starts elsewhere, lacks a valid Content-Range or has the wrong length", () => {
    const before = planResume({ requestedFrom: 100, status: 206, contentRange: "bytes 0-999/1000" });
    expect(before).toEqual({ mode: "error", reason: "asked for bytes from 100, the server sent 0-999" });
    expect(planResume({ requestedFrom: 100, status: 206, contentRange: "bytes 150-999/1000" }).mode).toBe("error");
    expect(planResume({ requestedFrom: 100, status: 206 })).toEqual({ mode: "error", reason: "206 response without Content-Range" });
    expect(planResume({ requestedFrom: 100, status: 206, contentRange: null }).mode).toBe("error");
    expect(planResume({ requestedFrom: 100, status: 206, contentRange: "bytes 100-99/1000" })).toEqual({
      mode: "error",
      reason: '206 response with invalid Content-Range "bytes 100-99/1000"',
    });
    expect(planResume({ requestedFrom: 100, status: 206, contentRange: "bytes */1000" })).toEqual({
      mode: "error",
      reason: '206 response with an unsatisfied Content-Range "bytes */1000"',
    });
    expect(planResume({ requestedFrom: 100, status: 206, contentRange: "bytes 100-999/1000", contentLength: 899 })).toEqual({
      mode: "error",
      reason: "Content-Length 899 does not match Content-Range 100-999 (900 bytes)",
    });
  });

  it("restarts from zero on a 200: the server ignored the range", () => {
    expect(planResume({ requestedFrom: 100, status: 200, contentLength: 1000 })).toEqual({ mode: "restart" });
    expect(planResume({ requestedFrom: 100, status: 200, contentRange: "bytes 100-999/1000" })).toEqual({ mode: "restart" });
  });

  it("is complete on a 416 whose total is exactly the bytes held", () => {
    expect(planResume({ requestedFrom: 1000, status: 416, contentRange: "bytes */1000" })).toEqual({ mode: "complete", total: 1000 });
    expect(planResume({ requestedFrom: 0, status: 416, contentRange: "bytes */0" })).toEqual({ mode: "complete", total: 0 });
  });

  it("fails any other 416", () => {
    expect(planResume({ requestedFrom: 1200, status: 416, contentRange: "bytes */1000" })).toEqual({
      mode: "error",
      reason: "the range from byte 1200 is not satisfiable: the resource has 1000 bytes",
    });
    expect(planResume({ requestedFrom: 900, status: 416, contentRange: "bytes */1000" }).mode).toBe("error");
    expect(planResume({ requestedFrom: 1000, status: 416 })).toEqual({ mode: "error", reason: "416 response without Content-Range" });
    expect(planResume({ requestedFrom: 1000, status: 416, contentRange: "bytes 0-9/1000" }).mode).toBe("error");
    expect(planResume({ requestedFrom: 1000, status: 416, contentRange: "garbage" }).mode).toBe("error");
  });

  it("fails other statuses and invalid offsets", () => {
    for (const status of [201, 204, 304, 404, 500]) {
      expect(planResume({ requestedFrom: 10, status })).toEqual({
        mode: "error",
        reason: `status ${status} does not answer the range request from byte 10`,
      });
    }
    expect(planResume({ requestedFrom: -1, status: 206, contentRange: "bytes 0-1/2" })).toEqual({
      mode: "error",
      reason: "invalid resume offset -1",
    });
    expect(planResume({ requestedFrom: 0.5, status: 200 }).mode).toBe("error");
  });
});
