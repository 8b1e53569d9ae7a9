/**
 * Stepped (ScriptedNetwork, virtual time): the cookie jar, the HTTP cache and server logins
 * through an HTTPRequest. The tree's date is a fixed epoch plus the summed deltas, so cookie
 * expiry and cache freshness change on exactly the tick whose delta crosses the boundary, the
 * same on every run.
 */
import { describe, expect, it } from "vitest";
import {
  CookieJar,
  Err,
  HTTPCache,
  HTTPRequest,
  MAX_AUTH_LOGIN_ATTEMPTS,
  Method,
  SceneTree,
  ScriptedNetwork,
  resultName,
  type AuthLoginInfo,
  type CacheMode,
  type ScriptedPeer,
} from "../../src/index.ts";
import { ok, redirect, wire } from "../request/helpers.ts";

const EPOCH = Date.UTC(2026, 0, 1); // a whole second: cookie dates have second precision
const DELTA = 0.25; // exact in binary: the summed deltas carry no rounding

interface Done {
  readonly tick: number;
  readonly result: string;
  readonly code: number;
  readonly headers: string[];
  readonly text: string;
  readonly outcome: string;
}

/** A tree with a fixed epoch and one node over a ScriptedNetwork resolving a.test, b.test and c.test. */
function harness(): {
  tree: SceneTree;
  node: HTTPRequest;
  network: ScriptedNetwork;
  done: Done[];
  tick(): void;
  peer(): ScriptedPeer;
} {
  const network = new ScriptedNetwork();
  network.addHost("a.test", ["10.0.0.1"]);
  network.addHost("b.test", ["10.0.0.2"]);
  network.addHost("c.test", ["10.0.0.3"]);
  network.autoAccept = true;
  const tree = new SceneTree({ epoch: () => EPOCH });
  const node = new HTTPRequest({ network });
  tree.root.addChild(node);
  const done: Done[] = [];
  node.requestCompleted.connect((result, code, headers, body) => {
    done.push({
      tick: tree.getFrame(),
      result: resultName(result),
      code,
      headers: [...headers],
      text: Buffer.from(body).toString("latin1"),
      outcome: node.getCacheOutcome(),
    });
  });
  return {
    tree,
    node,
    network,
    done,
    tick: () => tree.process(DELTA),
    peer: () => {
      const last = network.connections.at(-1);
      if (last === undefined) throw new Error("no connection");
      return last;
    },
  };
}

type H = ReturnType<typeof harness>;

/** The request head the peer received since the last call, as lines (without the final empty line). */
function takeHead(peer: ScriptedPeer): string[] {
  const text = peer.takeOutgoingText();
  return text === "" ? [] : text.split("\r\n").filter((l) => l !== "");
}

/**
 * Starts a GET and ticks until it completes, answering whatever arrives on the last connection with
 * `answer`. The first tick is a step of {@link DELTA}, the others steps of 0, so each exchange moves
 * the tree's date by exactly {@link DELTA} and the request goes out on that first tick.
 */
function exchange(
  h: H,
  url: string,
  answer: (head: string[]) => string,
  headers: readonly string[] = [],
  mode?: CacheMode,
): {
  head: string[];
  done: Done;
} {
  const before = h.done.length;
  expect(h.node.request(url, headers, Method.METHOD_GET, "", mode === undefined ? {} : { cache: mode })).toBe(Err.OK);
  let head: string[] = [];
  for (let i = 0; i < 20 && h.done.length === before; i++) {
    h.tree.process(i === 0 ? DELTA : 0);
    const peer = h.network.connections.at(-1);
    if (peer === undefined || peer.isClosed()) continue;
    const got = takeHead(peer);
    if (got.length > 0) {
      head = got;
      peer.pushIncoming(answer(got));
    }
  }
  const done = h.done[before];
  if (done === undefined) throw new Error("no completion");
  return { head, done };
}

const cookieOf = (head: readonly string[]): string | undefined => head.find((l) => l.startsWith("Cookie: "))?.slice(8);

describe("cookie expiry in the tree's date", () => {
  /** Sets `Max-Age=1`, then sends a request on every tick; returns [seconds since the cookie was set, whether it went]. */
  function maxAgeRun(): Array<[number, boolean]> {
    const h = harness();
    h.node.cookieJar = new CookieJar();
    h.tick(); // the cookie is set at a date that is not the epoch
    exchange(h, "http://a.test/set", () => ok("", ["Set-Cookie: s=1; Max-Age=1"]));
    const setAt = h.tree.getElapsed(); // the head arrived on this date: the cookie expires 1 s later
    const seen: Array<[number, boolean]> = [];
    for (let i = 0; i < 6; i++) {
      const { head } = exchange(h, "http://a.test/x", () => ok("x"));
      seen.push([h.tree.getElapsed() - setAt, cookieOf(head) === "s=1"]); // sent on the exchange's only non-zero tick
    }
    return seen;
  }

  it("Max-Age=1: sent on every tick before the summed deltas reach the expiry, not from the tick that reaches it", () => {
    const seen = maxAgeRun();
    expect(seen).toEqual([
      [0.25, true],
      [0.5, true],
      [0.75, true],
      [1, false],
      [1.25, false],
      [1.5, false],
    ]);
    expect(maxAgeRun()).toEqual(seen); // the same ticks on another run
  });

  it("an absolute Expires date (10 s after the epoch) stops the cookie on the tick the tree's date reaches it", () => {
    const h = harness();
    const jar = new CookieJar();
    h.tree.cookieJar = jar; // attached to the tree: every node without its own jar uses it
    const expires = new Date(EPOCH + 10_000).toUTCString();
    exchange(h, "http://a.test/set", () => ok("", [`Set-Cookie: e=1; Expires=${expires}`]));
    while (h.tree.getElapsed() < 9.5) h.tick();
    const before = exchange(h, "http://a.test/x", () => ok("x")).head; // sent on the tick that reaches 9.75 s
    expect(h.tree.getDateMs()).toBe(EPOCH + 9750);
    expect(cookieOf(before)).toBe("e=1");
    const at = exchange(h, "http://a.test/x", () => ok("x")).head; // sent on the tick that reaches 10 s
    expect(h.tree.getDateMs()).toBe(EPOCH + 10_000);
    expect(cookieOf(at)).toBeUndefined();
  });

  it("nothing is stored without a jar", () => {
    const h = harness();
    exchange(h, "http://a.test/set", () => ok("", ["Set-Cookie: s=1"]));
    const { head } = exchange(h, "http://a.test/x", () => ok("x"));
    expect(cookieOf(head)).toBeUndefined();
  });

  it("the node's own jar wins over the tree's", () => {
    const h = harness();
    const treeJar = new CookieJar();
    const nodeJar = new CookieJar();
    h.tree.cookieJar = treeJar;
    h.node.cookieJar = nodeJar;
    exchange(h, "http://a.test/set", () => ok("", ["Set-Cookie: s=1"]));
    expect([treeJar.size, nodeJar.size]).toEqual([0, 1]);
  });
});

describe("cookies across redirects", () => {
  const setAll = [
    "Set-Cookie: strict=1; SameSite=Strict",
    "Set-Cookie: lax=1; SameSite=Lax",
    "Set-Cookie: none=1; SameSite=None; Secure",
    "Set-Cookie: plain=1",
  ];

  it("a chain started on another site carries a.test's Lax and default cookies, not its Strict ones; each hop's Set-Cookie is stored", () => {
    const h = harness();
    h.node.cookieJar = new CookieJar();
    exchange(h, "http://a.test/set", () => ok("", setAll));
    const heads: string[][] = [];
    // b.test (another site) redirects to a.test, setting a cookie of its own on the 302.
    exchange(h, "http://b.test/go", (head) => {
      heads.push(head);
      return head[0]?.startsWith("GET /go ") === true ? redirect(302, "http://a.test/landing", ["Set-Cookie: fromb=1"]) : ok("landed");
    });
    expect(cookieOf(heads[0] ?? [])).toBeUndefined(); // nothing of a.test's goes to b.test
    expect(cookieOf(heads[1] ?? [])).toBe("lax=1; plain=1"); // no Strict (cross-site chain), no Secure over http
    const again = exchange(h, "http://b.test/again", () => ok("b")).head;
    expect(cookieOf(again)).toBe("fromb=1"); // the 302's Set-Cookie was stored
  });

  it("a chain started on a.test (through b.test and back) is same-site for a.test: Strict cookies go too", () => {
    const h = harness();
    h.node.cookieJar = new CookieJar();
    exchange(h, "http://a.test/set", () => ok("", setAll));
    const heads: string[][] = [];
    exchange(h, "http://a.test/start", (head) => {
      heads.push(head);
      if (head[0]?.startsWith("GET /start ") === true) return redirect(302, "http://b.test/bounce");
      if (head[0]?.startsWith("GET /bounce ") === true) return redirect(302, "http://a.test/end");
      return ok("end");
    });
    expect(heads.map(cookieOf)).toEqual(["strict=1; lax=1; plain=1", undefined, "strict=1; lax=1; plain=1"]);
  });

  it("a POST redirected across sites with 307 does not carry Lax cookies", () => {
    const h = harness();
    h.node.cookieJar = new CookieJar();
    exchange(h, "http://a.test/set", () => ok("", setAll));
    const heads: string[][] = [];
    const before = h.done.length;
    h.node.request("http://b.test/post", [], Method.METHOD_POST, "data");
    for (let i = 0; i < 20 && h.done.length === before; i++) {
      h.tick();
      const peer = h.network.connections.at(-1);
      if (peer === undefined || peer.isClosed()) continue;
      const head = takeHead(peer);
      if (head.length === 0) continue;
      heads.push(head);
      peer.pushIncoming(head[0]?.includes("/post ") === true ? redirect(307, "http://a.test/post2") : ok("posted"));
    }
    expect(heads.map((hd) => hd[0])).toEqual(["POST /post HTTP/1.1", "POST /post2 HTTP/1.1"]);
    expect(cookieOf(heads[1] ?? [])).toBeUndefined(); // neither Lax nor default (Lax by default) cookies for an unsafe cross-site method
  });
});

describe("credentials modes", () => {
  /** A GET of `url` with `credentials`; every hop's head is recorded; a.test/start redirects to b.test/end. */
  function chain(h: H, credentials: "omit" | "same-origin" | "include"): string[][] {
    const heads: string[][] = [];
    const before = h.done.length;
    expect(h.node.request("http://a.test/start", [], Method.METHOD_GET, "", { credentials })).toBe(Err.OK);
    for (let i = 0; i < 20 && h.done.length === before; i++) {
      h.tick();
      const peer = h.network.connections.at(-1);
      if (peer === undefined || peer.isClosed()) continue;
      const head = takeHead(peer);
      if (head.length === 0) continue;
      heads.push(head);
      peer.pushIncoming(
        head[0]?.includes("/start ") === true
          ? redirect(302, "http://b.test/end", ["Set-Cookie: froma=2"])
          : ok("end", ["Set-Cookie: fromb=2"]),
      );
    }
    return heads;
  }

  function seeded(): { h: H; jar: CookieJar } {
    const h = harness();
    const jar = new CookieJar();
    h.node.cookieJar = jar;
    exchange(h, "http://a.test/seed", () => ok("", ["Set-Cookie: a=1"]));
    exchange(h, "http://b.test/seed", () => ok("", ["Set-Cookie: b=1"]));
    return { h, jar };
  }

  const names = (jar: CookieJar): string[] =>
    jar
      .getAllCookies()
      .map((c) => c.name)
      .sort();

  it("include: every hop sends and stores cookies", () => {
    const { h, jar } = seeded();
    expect(chain(h, "include").map(cookieOf)).toEqual(["a=1", "b=1"]);
    expect(names(jar)).toEqual(["a", "b", "froma", "fromb"]);
  });

  it("same-origin: only hops to the first URL's origin", () => {
    const { h, jar } = seeded();
    expect(chain(h, "same-origin").map(cookieOf)).toEqual(["a=1", undefined]);
    expect(names(jar)).toEqual(["a", "b", "froma"]);
  });

  it("omit: no hop sends or stores cookies", () => {
    const { h, jar } = seeded();
    expect(chain(h, "omit").map(cookieOf)).toEqual([undefined, undefined]);
    expect(names(jar)).toEqual(["a", "b"]);
  });

  it("omit: a 401 is delivered without asking authLoginHandler", () => {
    const h = harness();
    let asked = 0;
    h.node.authLoginHandler = () => (asked++, { user: "u", password: "p" });
    const before = h.done.length;
    h.node.request("http://a.test/secret", [], Method.METHOD_GET, "", { credentials: "omit" });
    for (let i = 0; i < 10 && h.done.length === before; i++) {
      h.tick();
      const peer = h.network.connections.at(-1);
      if (peer !== undefined && takeHead(peer).length > 0) {
        peer.pushIncoming(wire("HTTP/1.1 401 Unauthorized", ['WWW-Authenticate: Basic realm="r"', "Content-Length: 0"]));
      }
    }
    expect([h.done.at(-1)?.code, asked]).toEqual([401, 0]);
  });
});

describe("cache freshness in the tree's date", () => {
  /** Stores a max-age=2 response, then asks on every tick; returns [seconds since the first request, outcome, head lines sent]. */
  function freshnessRun(): Array<[number, string, number]> {
    const h = harness();
    h.node.httpCache = new HTTPCache();
    h.tick();
    const startedAt = h.tree.getElapsed(); // the first request starts now: its age counts from here
    const first = exchange(h, "http://a.test/data", () => ok("v1", ["Cache-Control: max-age=2", 'ETag: "1"']));
    expect([first.done.outcome, first.done.text]).toEqual(["miss", "v1"]);
    const seen: Array<[number, string, number]> = [];
    for (let i = 0; i < 10; i++) {
      const askedAt = h.tree.getElapsed() - startedAt;
      const { head, done } = exchange(h, "http://a.test/data", () =>
        wire("HTTP/1.1 304 Not Modified", ['ETag: "1"', "Cache-Control: max-age=2"]),
      );
      expect([done.result, done.code, done.text]).toEqual(["RESULT_SUCCESS", 200, "v1"]);
      seen.push([askedAt, done.outcome, head.length]);
    }
    return seen;
  }

  it("a max-age=2 response is served without a request until 2 s of summed deltas since it was asked for, then validated", () => {
    const seen = freshnessRun();
    // The request made when the summed deltas reach exactly 2 s validates (a 304 resets the age to 0 then).
    expect(seen.map(([at, outcome, sent]) => [at, outcome, sent > 0])).toEqual([
      [0.25, "hit", false],
      [0.5, "hit", false],
      [0.75, "hit", false],
      [1, "hit", false],
      [1.25, "hit", false],
      [1.5, "hit", false],
      [1.75, "hit", false],
      [2, "validated", true],
      [2.25, "hit", false],
      [2.5, "hit", false],
    ]);
    expect(freshnessRun()).toEqual(seen);
  });

  it("a hit is delivered through headersReceived and requestCompleted with an Age header, on the next tick, without a connection", () => {
    const h = harness();
    h.tree.httpCache = new HTTPCache();
    exchange(h, "http://a.test/data", () => ok("v1", ["Cache-Control: max-age=60"]));
    const connections = h.network.connections.length;
    const headers: Array<[number, string[]]> = [];
    h.node.headersReceived.connect((code, lines) => headers.push([code, [...lines]]));
    for (let i = 0; i < 4; i++) h.tick(); // 1 s later
    expect(h.node.request("http://a.test/data")).toBe(Err.OK);
    h.tick();
    const done = h.done.at(-1);
    expect([done?.result, done?.code, done?.text, done?.outcome]).toEqual(["RESULT_SUCCESS", 200, "v1", "hit"]);
    expect(done?.headers).toContain("Age: 1");
    expect(headers).toEqual([[200, done?.headers]]);
    expect(h.network.connections.length).toBe(connections);
    expect(h.peer().takeOutgoingText()).toBe("");
  });

  it("with bodyData listeners: a streamed answer is stored whole, and a hit streams the stored body through bodyData", () => {
    const h = harness();
    h.node.httpCache = new HTTPCache();
    const pieces: string[] = [];
    h.node.bodyData.connect((chunk) => pieces.push(Buffer.from(chunk).toString("latin1")));
    const body = "x".repeat(5000);
    const before = h.done.length;
    h.node.request("http://a.test/streamed");
    h.tick();
    const peer = h.peer();
    takeHead(peer);
    const response = ok(body, ["Cache-Control: max-age=60"]);
    for (let at = 0; at < response.length; at += 1000) {
      // the body arrives over several ticks
      peer.pushIncoming(response.slice(at, at + 1000));
      h.tick();
    }
    for (let i = 0; i < 5 && h.done.length === before; i++) h.tick();
    expect([h.done.at(-1)?.outcome, h.done.at(-1)?.text, pieces.join("")]).toEqual(["miss", "", body]);
    expect(pieces.length).toBeGreaterThan(1);
    pieces.length = 0;
    h.node.request("http://a.test/streamed");
    h.tick();
    expect([h.done.at(-1)?.outcome, h.done.at(-1)?.text, pieces]).toEqual(["hit", "", [body]]);
  });

  it("a streamed answer larger than maxEntryBytes is delivered and not stored; a POST answered 303 invalidates its URL", () => {
    const h = harness();
    const cache = new HTTPCache({ maxEntryBytes: 3000 });
    h.node.httpCache = cache;
    const pieces: number[] = [];
    h.node.bodyData.connect((chunk) => pieces.push(chunk.length));
    const big = exchange(h, "http://a.test/big", () => ok("y".repeat(5000), ["Cache-Control: max-age=60"]));
    expect([big.done.outcome, pieces.reduce((a, b) => a + b, 0)]).toEqual(["miss", 5000]);
    expect(cache.getStore().keys()).toEqual([]);
    exchange(h, "http://a.test/small", () => ok("s", ["Cache-Control: max-age=60"]));
    expect(cache.getStore().keys()).toEqual(["http://a.test/small"]);
    const before = h.done.length;
    h.node.request("http://a.test/small", [], Method.METHOD_POST, "data");
    for (let i = 0; i < 20 && h.done.length === before; i++) {
      h.tick();
      const peer = h.network.connections.at(-1);
      if (peer === undefined || peer.isClosed()) continue;
      const head = takeHead(peer);
      if (head.length > 0) peer.pushIncoming(head[0]?.startsWith("POST ") === true ? redirect(303, "http://a.test/done") : ok("done"));
    }
    expect([h.done.at(-1)?.result, h.done.at(-1)?.code]).toEqual(["RESULT_SUCCESS", 200]);
    expect(cache.getStore().keys()).toEqual([]); // the 303 to the POST removed it, before the GET that followed
  });

  it("only-if-cached with nothing stored ends with RESULT_REQUEST_FAILED and opens no connection", () => {
    const h = harness();
    h.node.httpCache = new HTTPCache();
    expect(h.node.request("http://a.test/none", [], Method.METHOD_GET, "", { cache: "only-if-cached" })).toBe(Err.OK);
    h.tick();
    expect(h.done.map((d) => [d.result, d.outcome])).toEqual([["RESULT_REQUEST_FAILED", "miss"]]);
    expect(h.node.getErrorReason()).toMatch(/only-if-cached/);
    expect(h.network.connections).toHaveLength(0);
  });

  it("an unknown cache mode is refused", () => {
    const h = harness();
    expect(h.node.request("http://a.test/", [], Method.METHOD_GET, "", { cache: "sometimes" as CacheMode })).toBe(
      Err.ERR_INVALID_PARAMETER,
    );
  });
});

describe("authLoginHandler (stepped)", () => {
  const challenge = wire("HTTP/1.1 401 Unauthorized", ['WWW-Authenticate: Basic realm="area"', "Content-Length: 4"], "nope");
  const basicOf = (user: string, password: string): string =>
    `Authorization: Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

  it("a 401 asks the handler; the request goes again with Basic credentials on the same connection", () => {
    const h = harness();
    const calls: AuthLoginInfo[] = [];
    h.node.authLoginHandler = (info) => (calls.push(info), { user: "u", password: "p" });
    const heads: string[][] = [];
    const { done } = exchange(
      h,
      "http://a.test/secret",
      (head) => (heads.push(head), head.includes(basicOf("u", "p")) ? ok("in") : challenge),
    );
    expect([done.result, done.code, done.text]).toEqual(["RESULT_SUCCESS", 200, "in"]);
    expect(calls).toEqual([{ url: "http://a.test/secret", host: "a.test", port: 80, scheme: "basic", realm: "area", attempt: 1 }]);
    expect(heads).toHaveLength(2);
    expect(h.network.connections).toHaveLength(1); // the 401's body was drained and the connection kept
  });

  it("credentials never follow a redirect to another origin", () => {
    const h = harness();
    h.node.authLoginHandler = () => ({ user: "u", password: "p" });
    const heads: string[][] = [];
    exchange(h, "http://a.test/secret", (head) => {
      heads.push(head);
      if (head[0]?.includes("b.test") === true || head.includes("Host: b.test")) return ok("elsewhere");
      return head.includes(basicOf("u", "p")) ? redirect(302, "http://b.test/next") : challenge;
    });
    expect(heads).toHaveLength(3);
    expect(heads[2]).toContain("Host: b.test");
    expect(heads[2]?.some((l) => /^authorization:/i.test(l))).toBe(false);
  });

  it(`a server that keeps refusing: the handler is asked ${MAX_AUTH_LOGIN_ATTEMPTS} times, then the 401 is delivered`, () => {
    const h = harness();
    let asked = 0;
    h.node.authLoginHandler = () => (asked++, { user: "u", password: "wrong" });
    const { done } = exchange(h, "http://a.test/secret", () => challenge);
    expect([done.result, done.code, done.text, asked]).toEqual(["RESULT_SUCCESS", 401, "nope", MAX_AUTH_LOGIN_ATTEMPTS]);
  });

  it("a handler that declines (or throws) gets the 401 delivered", () => {
    const h = harness();
    h.node.authLoginHandler = () => {
      throw new Error("no");
    };
    expect(exchange(h, "http://a.test/secret", () => challenge).done.code).toBe(401);
    h.node.authLoginHandler = () => null;
    expect(exchange(h, "http://a.test/secret", () => challenge).done.code).toBe(401);
  });
});
