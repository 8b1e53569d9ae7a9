import { describe, expect, it } from "vitest";
import { RequestTimings, type TimingEvent, type TimingSnapshot } from "../../src/request-node/timings.ts";

/** A fake clock the test moves by hand, in milliseconds. */
function fakeClock(start = 1000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

const NOTHING: TimingSnapshot = {
  dns: -1,
  tcp: -1,
  tls: -1,
  firstSend: -1,
  firstReceive: -1,
  headers: -1,
  body: -1,
  redirect: -1,
  total: -1,
  redirects: 0,
  attempts: 1,
};

/** Marks `steps` in order, advancing the clock before each mark. */
function play(timings: RequestTimings, clock: ReturnType<typeof fakeClock>, steps: readonly [number, TimingEvent][]): void {
  for (const [advance, event] of steps) {
    clock.advance(advance);
    timings.mark(event, clock.now());
  }
}

const FULL_HOP: readonly [number, TimingEvent][] = [
  [0, "start"],
  [2, "dnsStart"],
  [5, "dnsEnd"],
  [1, "tcpStart"],
  [10, "tcpEnd"],
  [0, "tlsStart"],
  [20, "tlsEnd"],
  [1, "firstByteSent"],
  [40, "firstByteReceived"],
  [3, "headersReceived"],
  [100, "bodyEnd"],
  [1, "end"],
];

describe("RequestTimings", () => {
  it("reads -1 everywhere before any mark", () => {
    expect(new RequestTimings().snapshot()).toEqual(NOTHING);
  });

  it("measures each phase of a fresh HTTPS request exactly", () => {
    const clock = fakeClock();
    const timings = new RequestTimings();
    play(timings, clock, FULL_HOP);
    expect(timings.snapshot()).toEqual({
      dns: 5,
      tcp: 10,
      tls: 20,
      firstSend: 39,
      firstReceive: 40,
      headers: 3,
      body: 100,
      redirect: 0,
      total: 183,
      redirects: 0,
      attempts: 1,
    });
    expect(timings.timeOf("start")).toBe(1000);
    expect(timings.timeOf("end")).toBe(1183);
  });

  it("leaves the phases a request skipped at -1 (plain HTTP, reused connection)", () => {
    const clock = fakeClock(0);
    const timings = new RequestTimings();
    play(timings, clock, [
      [0, "start"],
      [1, "firstByteSent"],
      [7, "firstByteReceived"],
      [1, "headersReceived"],
    ]);
    expect(timings.snapshot()).toEqual({ ...NOTHING, firstSend: 1, firstReceive: 7, headers: 1, redirect: 0 });
  });

  it("describes a request still in flight with what has happened so far", () => {
    const clock = fakeClock(0);
    const timings = new RequestTimings();
    play(timings, clock, [
      [0, "start"],
      [3, "dnsStart"],
    ]);
    expect(timings.snapshot()).toEqual({ ...NOTHING, redirect: 0 });
    play(timings, clock, [
      [4, "dnsEnd"],
      [0, "tcpStart"],
    ]);
    expect(timings.snapshot()).toEqual({ ...NOTHING, dns: 4, redirect: 0 });
  });

  it("keeps the first start and the last end", () => {
    const timings = new RequestTimings();
    expect(timings.mark("start", 10)).toBe(true);
    expect(timings.mark("start", 20)).toBe(false);
    expect(timings.mark("end", 50)).toBe(true);
    expect(timings.mark("end", 70)).toBe(true);
    expect(timings.snapshot().total).toBe(60);
  });

  it("keeps the first phase start and the last phase end within a hop", () => {
    const timings = new RequestTimings();
    timings.mark("start", 0);
    // Three addresses tried: the connect phase spans all of them.
    timings.mark("tcpStart", 10);
    timings.mark("tcpStart", 40);
    timings.mark("tcpStart", 70);
    timings.mark("tcpEnd", 75);
    // 100 Continue, then the final head.
    timings.mark("firstByteSent", 80);
    timings.mark("firstByteReceived", 90);
    timings.mark("headersReceived", 91);
    timings.mark("firstByteReceived", 120);
    timings.mark("headersReceived", 125);
    timings.mark("bodyEnd", 130);
    timings.mark("bodyEnd", 135);
    const s = timings.snapshot();
    expect(s.tcp).toBe(65);
    expect(s.firstSend).toBe(80);
    expect(s.firstReceive).toBe(10);
    expect(s.headers).toBe(35);
    expect(s.body).toBe(10);
    expect(timings.mark("dnsStart", 1)).toBe(true);
    expect(timings.mark("dnsStart", 2)).toBe(false);
  });

  it("describes the final hop after redirects, with the earlier hops in redirect", () => {
    const clock = fakeClock(0);
    const timings = new RequestTimings();
    // Hop 1: fresh HTTPS connection, 301 after 100 ms.
    play(timings, clock, FULL_HOP.slice(0, 10));
    expect(clock.now()).toBe(82);
    // Hop 2 starts at 90 and is answered 302 from a reused connection.
    play(timings, clock, [
      [8, "redirectStart"],
      [1, "firstByteSent"],
      [30, "firstByteReceived"],
      [1, "headersReceived"],
      [0, "bodyEnd"],
    ]);
    // Hop 3 starts at 130 on a new plain connection to another host.
    play(timings, clock, [
      [8, "redirectStart"],
      [0, "dnsStart"],
      [6, "dnsEnd"],
      [0, "tcpStart"],
      [4, "tcpEnd"],
      [1, "firstByteSent"],
      [20, "firstByteReceived"],
      [2, "headersReceived"],
      [50, "bodyEnd"],
      [0, "end"],
    ]);
    expect(timings.snapshot()).toEqual({
      dns: 6,
      tcp: 4,
      tls: -1,
      firstSend: 11,
      firstReceive: 20,
      headers: 2,
      body: 50,
      redirect: 130,
      total: 213,
      redirects: 2,
      attempts: 1,
    });
    expect(timings.timeOf("redirectStart")).toBe(130);
    expect(timings.timeOf("start")).toBe(0);
  });

  it("forgets the earlier hop's marks when a redirect starts", () => {
    const timings = new RequestTimings();
    timings.mark("start", 0);
    timings.mark("dnsStart", 1);
    timings.mark("dnsEnd", 2);
    timings.mark("firstByteSent", 3);
    timings.mark("redirectStart", 10);
    expect(timings.snapshot()).toEqual({ ...NOTHING, redirect: 10, redirects: 1 });
    expect(timings.timeOf("dnsStart")).toBe(-1);
    expect(timings.mark("firstByteSent", 12)).toBe(true);
    expect(timings.snapshot().firstSend).toBe(2);
  });

  it("reads redirect as -1 without start, and measures phases anyway", () => {
    const timings = new RequestTimings();
    timings.mark("dnsStart", 5);
    timings.mark("dnsEnd", 9);
    timings.mark("end", 20);
    expect(timings.snapshot()).toEqual({ ...NOTHING, dns: 4 });
  });

  it("ignores non-finite times and clamps a clock that went backwards to 0", () => {
    const timings = new RequestTimings();
    expect(timings.mark("start", Number.NaN)).toBe(false);
    expect(timings.mark("start", Number.POSITIVE_INFINITY)).toBe(false);
    expect(timings.timeOf("start")).toBe(-1);
    timings.mark("start", 100);
    timings.mark("end", 90);
    expect(timings.snapshot().total).toBe(0);
  });

  it("returns independent snapshots and resets", () => {
    const timings = new RequestTimings();
    timings.mark("start", 0);
    const before = timings.snapshot();
    timings.mark("end", 5);
    expect(before.total).toBe(-1);
    expect(timings.snapshot().total).toBe(5);
    timings.mark("redirectStart", 1);
    timings.reset();
    expect(timings.snapshot()).toEqual(NOTHING);
    expect(timings.mark("start", 7)).toBe(true);
  });

  it("gives the same snapshot for the same marks (determinism)", () => {
    const run = (): TimingSnapshot => {
      const clock = fakeClock(12.5);
      const timings = new RequestTimings();
      play(timings, clock, FULL_HOP);
      return timings.snapshot();
    };
    expect(run()).toEqual(run());
  });
});
