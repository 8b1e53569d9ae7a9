/**
 * Godot's own loops over a ThreadedNetwork (examples/never-yielding-loop.ts, shown in the guide):
 * each test body is synchronous — no `await`, no event-loop turn from the request's start to its
 * end — and the origin runs in a child process. On a NodeNetwork the same loops never see a byte.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Result } from "../../src/index.ts";
import { blockingGet, getWithThreads, godotHttpClientExample } from "../../examples/never-yielding-loop.ts";
import { startOriginProcess, type OriginProcess } from "../helpers/origin-process.ts";

let origin: OriginProcess;

beforeAll(async () => {
  origin = await startOriginProcess();
});

afterAll(async () => {
  await origin?.stop();
});

const CHUNKED_BODY = Array.from({ length: 10 }, (_, i) => `chunk-${i}\n`).join("");
/** The example's `OS.delay_msec(500)`, shortened to keep the suite fast. */
const EXAMPLE_DELAY_MS = 100;

describe("loops that never yield", () => {
  it("the Godot 4 HTTPClient example, line for line: resolves, connects and reads a chunked body", () => {
    const log: string[] = [];
    const text = godotHttpClientExample("localhost", origin.httpPort, "/chunked", (line) => log.push(line), EXAMPLE_DELAY_MS);
    expect(text).toBe(CHUNKED_BODY);
    expect(log[0]).toBe("Connecting...");
    expect(log).toContain("Requesting...");
    expect(log).toContain("response? true");
    expect(log).toContain("code: 200");
    expect(log).toContain("Response is Chunked!");
    expect(log).toContain(`bytes got: ${CHUNKED_BODY.length}`);
    expect(log.filter((line) => line === "Connecting...").length).toBeLessThan(20);
  });

  it("in blocking mode the same loops need no delay: each poll() waits for news", () => {
    const { text, polls } = blockingGet("127.0.0.1", origin.httpPort, "/chunked");
    expect(text).toBe(CHUNKED_BODY);
    expect(polls).toBeLessThan(50); // a handful of waits, not a spin
  });

  it("useThreads: a plain while over tree.process(1 / 60) completes a request", () => {
    const [result, code, , body] = getWithThreads(`http://127.0.0.1:${origin.httpPort}/chunked`);
    expect([result, code, new TextDecoder().decode(body)]).toEqual([Result.RESULT_SUCCESS, 200, CHUNKED_BODY]);
  });
});
