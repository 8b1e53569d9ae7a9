import { describe, expect, it } from "vitest";
import { PlainChunkSizeLine, parseChunkSizeLine } from "../../src/client/wire/chunk-size.ts";
import { prng } from "../helpers/prng.ts";
import { bytesOf, runPieces } from "./split-feed.ts";

describe("PlainChunkSizeLine (the one-chunk chunk-size path)", () => {
  it.each([
    ["a\r\n", 10, 3],
    ["00Ff\r\nxx", 255, 6],
    ["0\r\n", 0, 3],
    ["1fffffffffffff\r\n", Number.MAX_SAFE_INTEGER, 16],
  ])("reads %j", (line, size, length) => {
    const reader = new PlainChunkSizeLine();
    expect(reader.read(bytesOf(line), 0)).toBe(true);
    expect(reader.size).toBe(size);
    expect(reader.length).toBe(length);
  });

  it.each([
    "",
    "\r\n",
    "a\n",
    "a\r",
    "a;x=1\r\n",
    "a \r\n",
    " a\r\n",
    "-1\r\n",
    "g\r\n",
    "@\r\n",
    "`\r\n",
    "20000000000000\r\n",
    "00000000000000001\r\n",
  ])("leaves %j to the full line parser", (line) => {
    expect(new PlainChunkSizeLine().read(bytesOf(line), 0)).toBe(false);
  });

  it("agrees with parseChunkSizeLine on every line it reads", () => {
    const random = prng(11);
    const alphabet = bytesOf("0123456789abcdefABCDEF@`gG;= \t\r\n");
    const reader = new PlainChunkSizeLine();
    for (let n = 0; n < 5000; n++) {
      const line = Uint8Array.from(
        { length: 1 + Math.floor(random() * 20) },
        () => alphabet[Math.floor(random() * alphabet.length)] as number,
      );
      if (!reader.read(line, 0)) continue;
      expect(parseChunkSizeLine(line, 0, reader.length - 1)).toBe(reader.size);
    }
  });
});

describe("ResponseParser: chunked framing read in one chunk agrees with byte-by-byte", () => {
  it("gives the same events for 1,500 mutated chunked bodies", () => {
    const random = prng(3);
    const head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    const base = bytesOf(`${head}5\r\nhello\r\n1A\r\n${"x".repeat(26)}\r\n0\r\nT: 1\r\n\r\n`);
    const alphabet = bytesOf("\r\n0aF;= g\x00");
    for (let n = 0; n < 1500; n++) {
      const sample = base.slice();
      const at = head.length + Math.floor(random() * (sample.length - head.length));
      sample[at] = alphabet[Math.floor(random() * alphabet.length)] as number;
      const options = { end: n % 2 === 0 };
      const whole = runPieces([sample], options);
      const single = runPieces(
        Array.from(sample, (_, i) => sample.subarray(i, i + 1)),
        options,
      );
      expect(single.events, `sample ${n}`).toEqual(whole.events);
    }
  });
});
