// writeRequestHead's `chunked` option: where Transfer-Encoding goes and what it refuses.
import { describe, expect, it } from "vitest";
import { writeRequestHead, type RequestHeadOptions } from "../../src/index.ts";

const base: RequestHeadOptions = {
  method: "POST",
  target: "/",
  host: "h.test",
  port: 80,
  tls: false,
  headers: [],
  bodyLength: -1,
  chunked: true,
};
const head = (options: Partial<RequestHeadOptions>): string => {
  const result = writeRequestHead({ ...base, ...options });
  return result.ok ? Buffer.from(result.bytes).toString("latin1") : `refused: ${result.reason}`;
};

describe("writeRequestHead with chunked", () => {
  it("adds Transfer-Encoding: chunked where Content-Length would go, and no Content-Length", () => {
    expect(head({})).toBe(
      "POST / HTTP/1.1\r\nHost: h.test\r\nTransfer-Encoding: chunked\r\nUser-Agent: poll-http/0.1.0\r\nAccept: */*\r\n\r\n",
    );
  });

  it("refuses the caller's Transfer-Encoding: the client frames the body", () => {
    expect(head({ headers: ["transfer-encoding: gzip, chunked"] })).toMatch(/^refused: a Transfer-Encoding header may not be given/);
  });

  it("refuses a length or a caller's Content-Length with a chunked body", () => {
    expect(head({ bodyLength: 5 })).toBe("refused: a chunked body needs bodyLength -1, got 5");
    expect(head({ headers: ["Content-Length: 5"] })).toBe("refused: a Content-Length header with a body of unknown length (sent chunked)");
  });
});
