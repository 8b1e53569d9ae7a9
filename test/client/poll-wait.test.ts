/**
 * The never-yielding-loop diagnosis of `HTTPClient.poll()` (PollWait.diagnose), against a fake
 * connection and a fake network whose event-loop turn count the test moves: what it asks of the
 * network and of the connection, and after how many polls it explains a hang.
 */
import { describe, expect, it } from "vitest";
import type { Network } from "../../src/client/network.ts";
import { NO_EVENT_LOOP_TURN_REASON, type PolledConnection, PollWait } from "../../src/client/poll-wait.ts";
import { Err } from "../../src/status/err.ts";
import { Status, statusName } from "../../src/status/status.ts";

class FakeLoop {
  turns = 0;
  reads = 0;
  readonly network = {
    eventLoopTurns: (): number => {
      this.reads++;
      return this.turns;
    },
  } as unknown as Network;
}

class FakeConnection implements PolledConnection {
  current: Status = Status.STATUS_CONNECTING;
  buffered = false;
  bufferQuestions = 0;
  /** Questions that reach the peer: the diagnosis asks none. */
  peerQuestions = 0;
  why = "";
  step(): Err {
    return Err.OK;
  }
  status(): Status {
    return this.current;
  }
  hasBufferedBytes(): boolean {
    this.peerQuestions++;
    return this.buffered;
  }
  mayHaveUnreadBytes(): boolean {
    this.bufferQuestions++;
    return this.buffered;
  }
  reason(): string {
    return this.why;
  }
  explain(reason: string): void {
    this.why = reason;
  }
}

/** One non-blocking poll as HTTPClient.poll() makes it: the step may move the status to `after`. */
function poll(wait: PollWait, conn: FakeConnection, after: Status = conn.current): void {
  const before = conn.current;
  conn.current = after;
  wait.diagnose(conn, before);
}

describe("the diagnosis of a loop that never yields", () => {
  it("reads no turn count and asks the connection nothing while every poll moves the status", () => {
    const loop = new FakeLoop();
    const conn = new FakeConnection();
    const wait = new PollWait(loop.network);
    const path = [Status.STATUS_CONNECTED, Status.STATUS_REQUESTING, Status.STATUS_BODY, Status.STATUS_CONNECTED];
    for (let round = 0; round < 50; round++) for (const next of path) poll(wait, conn, next);
    expect(loop.reads).toBe(0);
    expect(conn.bufferQuestions).toBe(0);
    expect(conn.why).toBe("");
  });

  for (const status of [Status.STATUS_RESOLVING, Status.STATUS_CONNECTING, Status.STATUS_REQUESTING, Status.STATUS_BODY]) {
    it(`explains a wait in ${statusName(status)} at the fourth waiting poll without a turn, and restores the reason once the loop turns`, () => {
      const loop = new FakeLoop();
      const conn = new FakeConnection();
      conn.current = status;
      conn.why = "an earlier reason";
      const wait = new PollWait(loop.network);
      for (let i = 1; i <= 3; i++) {
        poll(wait, conn);
        expect(conn.why, `poll ${i}`).toBe("an earlier reason");
      }
      poll(wait, conn);
      expect(conn.why).toBe(NO_EVENT_LOOP_TURN_REASON);
      for (let i = 0; i < 10; i++) poll(wait, conn);
      expect(conn.why).toBe(NO_EVENT_LOOP_TURN_REASON);
      expect(conn.current).toBe(status);
      loop.turns++;
      poll(wait, conn);
      expect(conn.why).toBe("an earlier reason");
    });
  }

  it("asks for buffered bytes only when the loop has not turned, and a body with bytes waiting is not stuck", () => {
    const loop = new FakeLoop();
    const conn = new FakeConnection();
    conn.current = Status.STATUS_BODY;
    const wait = new PollWait(loop.network);
    for (let i = 0; i < 20; i++) {
      loop.turns++;
      poll(wait, conn);
    }
    expect(conn.bufferQuestions).toBe(0);
    conn.buffered = true;
    for (let i = 0; i < 20; i++) poll(wait, conn);
    expect(conn.bufferQuestions).toBe(20);
    expect(conn.why).toBe("");
    conn.buffered = false;
    for (let i = 0; i < 3; i++) poll(wait, conn);
    expect(conn.why).toBe(NO_EVENT_LOOP_TURN_REASON);
    expect(conn.peerQuestions).toBe(0);
  });

  it("does nothing on a network without an event loop to count (a threaded or scripted one)", () => {
    const conn = new FakeConnection();
    const wait = new PollWait({} as unknown as Network);
    for (let i = 0; i < 20; i++) poll(wait, conn);
    expect(conn.why).toBe("");
    expect(conn.bufferQuestions).toBe(0);
  });
});
