import { afterEach, describe, expect, it } from "vitest";
import { Err } from "../../src/status/err.ts";
import { Signal } from "../../src/request-node/signal.ts";

const defaultHandler = Signal.onListenerError;
afterEach(() => {
  Signal.onListenerError = defaultHandler;
});

describe("Signal", () => {
  it("calls listeners in connection order with the emitted arguments", () => {
    const signal = new Signal<[code: number, text: string]>("done");
    const calls: string[] = [];
    expect(signal.connect((code, text) => calls.push(`a${code}${text}`))).toBe(Err.OK);
    expect(signal.connect((code, text) => calls.push(`b${code}${text}`))).toBe(Err.OK);
    signal.emit(1, "x");
    signal.emit(2, "y");
    expect(calls).toEqual(["a1x", "b1x", "a2y", "b2y"]);
    expect(signal.getConnectionCount()).toBe(2);
    expect(signal.name).toBe("done");
  });

  it("refuses to connect the same function twice and keeps the first connection", () => {
    const signal = new Signal();
    let count = 0;
    const fn = (): void => {
      count++;
    };
    expect(signal.connect(fn)).toBe(Err.OK);
    expect(signal.connect(fn, { oneShot: true })).toBe(Err.ERR_INVALID_PARAMETER);
    expect(signal.getConnectionCount()).toBe(1);
    signal.emit();
    signal.emit();
    expect(count).toBe(2); // still the persistent first connection
  });

  it("disconnects, reports connection state, and refuses unknown listeners", () => {
    const signal = new Signal<[number]>();
    const seen: number[] = [];
    const fn = (n: number): void => {
      seen.push(n);
    };
    expect(signal.isConnected(fn)).toBe(false);
    expect(signal.disconnect(fn)).toBe(Err.ERR_INVALID_PARAMETER);
    signal.connect(fn);
    expect(signal.isConnected(fn)).toBe(true);
    signal.emit(1);
    expect(signal.disconnect(fn)).toBe(Err.OK);
    expect(signal.isConnected(fn)).toBe(false);
    signal.emit(2);
    expect(seen).toEqual([1]);
    expect(signal.connect(fn)).toBe(Err.OK); // may connect again after disconnecting
    signal.emit(3);
    expect(seen).toEqual([1, 3]);
  });

  it("refuses a non-function listener", () => {
    const signal = new Signal();
    expect(signal.connect(null as unknown as () => void)).toBe(Err.ERR_INVALID_PARAMETER);
    expect(signal.getConnectionCount()).toBe(0);
  });

  it("calls a one-shot listener once, disconnecting it before the call", () => {
    const signal = new Signal();
    const calls: string[] = [];
    const once = (): void => {
      calls.push(`once connected=${String(signal.isConnected(once))}`);
      signal.emit(); // re-entrant emission does not call it again
    };
    signal.connect(once, { oneShot: true });
    signal.emit();
    signal.emit();
    expect(calls).toEqual(["once connected=false"]);
    expect(signal.getConnectionCount()).toBe(0);
  });

  it("does not call a listener connected during the emission until the next one", () => {
    const signal = new Signal();
    const calls: string[] = [];
    const late = (): void => {
      calls.push("late");
    };
    signal.connect(() => {
      calls.push("first");
      signal.connect(late);
    });
    signal.emit();
    expect(calls).toEqual(["first"]);
    signal.emit();
    expect(calls).toEqual(["first", "first", "late"]);
  });

  it("does not call a listener disconnected during the emission before its turn", () => {
    const signal = new Signal();
    const calls: string[] = [];
    const second = (): void => {
      calls.push("second");
    };
    const third = (): void => {
      calls.push("third");
    };
    signal.connect(() => {
      calls.push("first");
      signal.disconnect(second);
    });
    signal.connect(second);
    signal.connect(third);
    signal.emit();
    expect(calls).toEqual(["first", "third"]);
  });

  it("does not call a listener disconnected and reconnected during the emission", () => {
    const signal = new Signal();
    const calls: string[] = [];
    const second = (): void => {
      calls.push("second");
    };
    let juggle = true;
    signal.connect(() => {
      if (juggle) {
        juggle = false;
        signal.disconnect(second);
        signal.connect(second);
      }
    });
    signal.connect(second);
    signal.emit();
    expect(calls).toEqual([]);
    signal.emit();
    expect(calls).toEqual(["second"]);
  });

  it("disconnectAll stops pending calls of an emission in progress", () => {
    const signal = new Signal();
    const calls: string[] = [];
    signal.connect(() => {
      calls.push("first");
      signal.disconnectAll();
    });
    signal.connect(() => calls.push("second"));
    signal.emit();
    expect(calls).toEqual(["first"]);
    expect(signal.getConnectionCount()).toBe(0);
  });

  it("keeps calling the others when a listener throws, reports it, and never throws", () => {
    const reported: [unknown, string][] = [];
    Signal.onListenerError = (error, name): void => {
      reported.push([error, name]);
    };
    const signal = new Signal<[number]>("progress");
    const calls: number[] = [];
    const boom = new Error("boom");
    signal.connect(() => {
      throw boom;
    });
    signal.connect((n) => calls.push(n));
    expect(() => signal.emit(7)).not.toThrow();
    expect(calls).toEqual([7]);
    expect(reported).toEqual([[boom, "progress"]]);
  });

  it("survives a throwing error handler", () => {
    Signal.onListenerError = (): void => {
      throw new Error("handler");
    };
    const signal = new Signal();
    let after = false;
    signal.connect(() => {
      throw new Error("listener");
    });
    signal.connect(() => {
      after = true;
    });
    expect(() => signal.emit()).not.toThrow();
    expect(after).toBe(true);
  });

  it("logs to console.error by default", () => {
    const logged: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]): void => {
      logged.push(args);
    };
    try {
      const signal = new Signal("named");
      signal.connect(() => {
        throw new Error("x");
      });
      signal.emit();
    } finally {
      console.error = original;
    }
    expect(logged).toHaveLength(1);
    expect(String(logged[0]?.[0])).toContain('signal "named"');
  });
});
