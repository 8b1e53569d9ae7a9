/**
 * Retries stepped in virtual time over a ScriptedNetwork: the wait counted in the ticks' deltas
 * (`Retry-After`, backoff with seeded jitter), the same trace for the same seed, which methods and
 * bodies are sent again, the budget, and what each attempt shows (`retrying`, timings, reason).
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BytesSource, Err, FileBodySource, Method, Result, RetryPolicy, StreamingBodySource, type ScriptedPeer } from "../../src/index.ts";
import { ok, setup, wire, type Harness } from "./helpers.ts";

const TIME_EPSILON = 1e-9;

/** The first tick k (1-based) with k × delta ≥ seconds. */
function firstTickReaching(seconds: number, delta: number): number {
  let sum = 0;
  for (let k = 1; ; k++) {
    sum += delta;
    if (sum >= seconds - TIME_EPSILON) return k;
  }
}

/** Records the `retrying` emissions with their tick. */
function recordRetries(h: Harness): [tick: number, attempt: number, delay: number, reason: string][] {
  const seen: [number, number, number, string][] = [];
  h.node.retrying.connect((attempt, delay, reason) => seen.push([h.tree.getFrame(), attempt, delay, reason]));
  return seen;
}

/** Answers every new connection's request with the next response of `script` (or leaves it silent past its end). */
function answerInTurn(h: Harness, script: readonly ((peer: ScriptedPeer) => void)[]): number[] {
  const opened: number[] = [];
  h.network.onConnection((peer) => {
    opened.push(h.tree.getFrame());
    const act = script[opened.length - 1];
    act?.(peer);
  });
  return opened;
}

const SERVICE_UNAVAILABLE = wire("HTTP/1.1 503 Service Unavailable", ["Retry-After: 2", "Content-Length: 4"], "busy");

describe("retries in virtual time", () => {
  for (const delta of [0.1, 1 / 60, 0.25, 0.3, 0.7]) {
    it(`503 with Retry-After: 2, then 200: two attempts, the second on the first tick whose deltas sum to 2 s (ticks of ${delta.toFixed(4)} s)`, () => {
      const h = setup();
      const retries = recordRetries(h);
      h.node.retryPolicy = new RetryPolicy();
      expect(h.node.request("http://example.test/scores")).toBe(Err.OK);
      h.tick(delta);
      h.peer(0).pushIncoming(SERVICE_UNAVAILABLE);
      const answeredOn = h.tick(delta);
      expect(retries).toEqual([[answeredOn, 2, 2, "503 with Retry-After: 2"]]);
      expect(h.peer(0).isClosed()).toBe(true);
      const due = answeredOn + firstTickReaching(2, delta);
      while (h.tree.getFrame() < due - 1) {
        h.tick(delta);
        expect(h.network.connections, `tick ${h.tree.getFrame()}`).toHaveLength(1);
      }
      h.tick(delta);
      expect(h.network.connections).toHaveLength(2);
      expect(h.peer(1).takeOutgoingText()).toMatch(/^GET \/scores HTTP\/1\.1\r\n/); // sent in the same tick
      h.peer(1).pushIncoming(ok("top ten"));
      const done = h.untilDone(5, delta);
      expect([done.result, done.code, done.text, done.reason]).toEqual([Result.RESULT_SUCCESS, 200, "top ten", ""]);
      expect(h.completions).toHaveLength(1);
      expect(h.network.connections).toHaveLength(2);
      expect(h.node.getTimings().attempts).toBe(2);
    });
  }

  it("a sleeping runner learns when the retry is due: _nextDeadline counts down the wait", () => {
    const h = setup();
    h.node.retryPolicy = new RetryPolicy();
    h.node.request("http://example.test/");
    h.tick(0.5);
    h.peer().pushIncoming(SERVICE_UNAVAILABLE);
    h.tick(0.5);
    expect(h.node._nextDeadline()).toBe(2);
    h.tick(0.5);
    expect(h.node._nextDeadline()).toBeCloseTo(1.5, 9);
  });

  it("the same seed gives the identical attempt trace on 100 runs; another seed another trace", () => {
    const trace = (seed: number): string => {
      const h = setup({ autoAccept: false });
      const retries = recordRetries(h);
      const opened = answerInTurn(h, [(p) => p.refuse(), (p) => p.refuse(), (p) => p.refuse(), (p) => p.accept()]);
      h.node.retryPolicy = new RetryPolicy({ attempts: 5, baseDelay: 0.4, factor: 2, jitter: 0.5, seed });
      h.node.request("http://example.test/state");
      for (let i = 0; i < 200 && h.network.connections.length < 4; i++) h.tick(1 / 60);
      h.peer().pushIncoming(ok("ready"));
      const done = h.untilDone(5);
      expect(done.result).toBe(Result.RESULT_SUCCESS);
      expect(h.node.getTimings().attempts).toBe(4);
      return JSON.stringify({ opened, retries });
    };
    const first = trace(42);
    expect(JSON.parse(first).opened).toHaveLength(4);
    for (let run = 0; run < 100; run++) expect(trace(42)).toBe(first);
    expect(trace(43)).not.toBe(first);
  });

  it("POST is not retried unless the policy lists it", () => {
    const refused = setup();
    refused.node.retryPolicy = new RetryPolicy();
    const retries = recordRetries(refused);
    refused.node.request("http://example.test/buy", [], Method.METHOD_POST, "item=1");
    refused.tick();
    refused.peer().pushIncoming(SERVICE_UNAVAILABLE);
    const done = refused.untilDone();
    expect([done.result, done.code, done.text]).toEqual([Result.RESULT_SUCCESS, 503, "busy"]);
    expect(retries).toEqual([]);
    expect(refused.network.connections).toHaveLength(1);

    const allowed = setup();
    allowed.node.retryPolicy = new RetryPolicy({ methods: ["POST"] });
    const allowedRetries = recordRetries(allowed);
    allowed.node.request("http://example.test/buy", [], Method.METHOD_POST, "item=1");
    allowed.tick();
    allowed.peer().pushIncoming(SERVICE_UNAVAILABLE);
    allowed.ticks(25, 0.1);
    expect(allowedRetries.map((r) => r[1])).toEqual([2]);
    expect(allowed.peer(1).takeOutgoingText()).toMatch(/^POST \/buy HTTP\/1\.1\r\n[\s\S]*\r\n\r\nitem=1$/);
  });

  it("a streamed body is not sent again: the attempt's failure ends the request, saying why", () => {
    const h = setup();
    h.node.retryPolicy = new RetryPolicy({ methods: ["PUT"] });
    const source = new StreamingBodySource({ length: 3 });
    source.write("abc");
    source.end();
    h.node.request("http://example.test/upload", [], Method.METHOD_PUT, source);
    h.tick();
    h.peer().pushIncoming(SERVICE_UNAVAILABLE);
    const done = h.untilDone();
    expect([done.result, done.code]).toEqual([Result.RESULT_SUCCESS, 503]);
    expect(h.network.connections).toHaveLength(1);
  });

  it("a source that can be replayed (a file, bytes) is sent again whole", () => {
    const dir = mkdtempSync(join(tmpdir(), "poll-http-retry-"));
    try {
      const path = join(dir, "save.bin");
      writeFileSync(path, "level=7;coins=120");
      const opened = FileBodySource.open(path);
      if (!opened.ok) throw new Error(opened.reason);
      for (const source of [opened.source, new BytesSource("level=8")]) {
        const h = setup();
        h.node.retryPolicy = new RetryPolicy({ baseDelay: 0.1, jitter: 0 });
        h.node.request("http://example.test/save", [], Method.METHOD_PUT, source);
        h.tick();
        h.peer(0).pushIncoming(wire("HTTP/1.1 502 Bad Gateway", ["Content-Length: 0"]));
        h.ticks(3, 0.1);
        expect(h.network.connections).toHaveLength(2);
        const first = h.peer(0).takeOutgoingText();
        const second = h.peer(1).takeOutgoingText();
        expect(second).toBe(first);
        expect(second.endsWith(source === opened.source ? "\r\n\r\nlevel=7;coins=120" : "\r\n\r\nlevel=8")).toBe(true);
        h.peer(1).pushIncoming(ok("saved"));
        expect(h.untilDone(3).text).toBe("saved");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the budget stops retries: the last attempt's failure is the result, and the reason says why", () => {
    const h = setup({ autoAccept: false });
    const retries = recordRetries(h);
    answerInTurn(h, [(p) => p.refuse(), (p) => p.refuse("ECONNRESET"), (p) => p.accept()]);
    // Delays 0.8 then 1.6 s (no jitter): the second retry would start after the 2 s budget.
    h.node.retryPolicy = new RetryPolicy({ attempts: 5, baseDelay: 0.8, factor: 2, jitter: 0, budget: 2 });
    h.node.request("http://example.test/");
    const done = h.untilDone(100, 0.1);
    expect(retries.map((r) => [r[1], r[2]])).toEqual([[2, 0.8]]);
    expect(h.network.connections).toHaveLength(2);
    expect(done.result).toBe(Result.RESULT_CANT_CONNECT);
    expect(done.reason).toMatch(/ECONNRESET.*attempt 2; RESULT_CANT_CONNECT; the retry budget of 2 s would be exceeded/);
    expect(h.node.getTimings().attempts).toBe(2);
  });

  it("no attempts left: the last response is delivered, with its body", () => {
    const h = setup();
    h.node.retryPolicy = new RetryPolicy({ attempts: 2, maxRetryAfter: 0.5 });
    h.node.request("http://example.test/");
    h.tick();
    h.peer(0).pushIncoming(SERVICE_UNAVAILABLE);
    h.ticks(8, 0.1);
    expect(h.network.connections).toHaveLength(2);
    h.peer(1).pushIncoming(SERVICE_UNAVAILABLE);
    const done = h.untilDone();
    expect([done.result, done.code, done.text]).toEqual([Result.RESULT_SUCCESS, 503, "busy"]);
    expect(done.reason).toMatch(/no attempts left \(2 in all\)/);
  });

  it("an HTTP-date Retry-After is measured from the response's Date, not from a clock", () => {
    const h = setup();
    const retries = recordRetries(h);
    h.node.retryPolicy = new RetryPolicy();
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(
      wire("HTTP/1.1 429 Too Many Requests", [
        "Date: Wed, 21 Oct 2015 07:28:00 GMT",
        "Retry-After: Wed, 21 Oct 2015 07:28:03 GMT",
        "Content-Length: 0",
      ]),
    );
    h.tick();
    expect(retries.map((r) => [r[1], r[2]])).toEqual([[2, 3]]);
  });

  it("the overall timeout spans the attempts and is not retried; cancelling during the wait emits nothing", () => {
    const h = setup();
    h.node.retryPolicy = new RetryPolicy();
    h.node.timeout = 1;
    h.node.request("http://example.test/");
    h.tick(0.1);
    h.peer().pushIncoming(SERVICE_UNAVAILABLE);
    const done = h.untilDone(30, 0.1);
    expect([done.result, done.tick]).toEqual([Result.RESULT_TIMEOUT, 10]);
    expect(h.network.connections).toHaveLength(1);

    const c = setup();
    c.node.retryPolicy = new RetryPolicy();
    c.node.request("http://example.test/");
    c.tick();
    c.peer().pushIncoming(SERVICE_UNAVAILABLE);
    c.tick();
    c.node.cancelRequest();
    c.ticks(200, 0.1);
    expect(c.completions).toEqual([]);
    expect(c.network.connections).toHaveLength(1);
  });
});
