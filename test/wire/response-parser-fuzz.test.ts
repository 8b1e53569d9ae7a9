import { describe, expect, it } from "vitest";
import { bytesOf, feed } from "./split-feed.ts";
import { prng } from "../helpers/prng.ts";

const samples = [
  "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\nhelloHTTP/1.1 204 No Content\r\n\r\n",
  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;e=1\r\nabc\r\n0\r\nT: 1\r\n\r\n\r\nHTTP/1.0 200 OK\r\n\r\nrest",
  "\r\nHTTP/1.0 404 Not Found\nConnection: keep-alive\nContent-Length: 3\n\nabc",
];
const ALPHABET = bytesOf("\r\n\0\t :;,0aF\x7f\x80HTP/1.2");

describe("ResponseParser: split independence under mutation", () => {
  it("gives the same events for every split of 300 mutated responses, with several limits", () => {
    const random = prng(42);
    let errors = 0;
    for (let n = 0; n < 300; n++) {
      const sample = bytesOf(samples[n % samples.length] as string).slice();
      const mutations = 1 + Math.floor(random() * 3);
      for (let m = 0; m < mutations; m++) {
        const at = Math.floor(random() * sample.length);
        sample[at] = ALPHABET[Math.floor(random() * ALPHABET.length)] as number;
      }
      const maxHeadBytes = [3, 7, 8, 20, 40, 65536][n % 6] as number;
      const r = feed(sample, {
        end: n % 2 === 0,
        responses: [{ headRequest: false }, { headRequest: false }, { headRequest: n % 5 === 0 }],
        parser: { maxHeadBytes, maxHeaderCount: 1 + (n % 3) },
        maxDataBytes: 1 + (n % 4),
      });
      if (r.events.at(-1)?.type === "error") errors++;
      expect(r.maxBuffered).toBeLessThanOrEqual(sample.length);
    }
    expect(errors).toBeGreaterThan(50);
  });
});
