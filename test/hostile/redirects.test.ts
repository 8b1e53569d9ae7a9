/**
 * Hostile servers, redirects: `Location` to `file:`, `data:`, `javascript:` and other schemes,
 * with CR, LF or NUL in it, and a redirect loop. Nothing but http/https is followed, no byte of a
 * `Location` reaches the next request head unencoded, and a loop ends at `maxRedirects`.
 */
import { describe, expect, it } from "vitest";
import { Result } from "../../src/status/result.ts";
import { startHostileServer } from "../helpers/hostile-server.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";
import { expectOutcome, KiB, PROMPT_TICKS, requester, urlOf } from "./hostile-kit.ts";

const track = cleanupAfterEach().track;

/**
 * A keep-alive server answering each request (no bodies) with `respond(target)`; the request
 * heads it received are kept in order.
 */
async function serve(respond: (target: string) => string) {
  const heads: string[] = [];
  const server = track(
    await startHostileServer(async (c) => {
      for (let i = 0; ; i++) {
        const head = await c.head(i);
        if (head === null) return;
        heads.push(head);
        c.send(respond(head.split(" ")[1] ?? ""));
      }
    }),
  );
  return Object.assign(server, { heads });
}

const redirect = (location: string, code = 302): string => `HTTP/1.1 ${code} Found\r\nLocation: ${location}\r\nContent-Length: 0\r\n\r\n`;
const ok = (body: string): string => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

describe("redirects to other schemes are not followed", () => {
  it.each([
    ["file:///etc/passwd", "file:"],
    ["file://localhost/c:/windows/win.ini", "file:"],
    ["data:text/html,<script>alert(1)</script>", "data:"],
    ["javascript:alert(document.cookie)", "javascript:"],
    ["JavaScript:alert(1)", "javascript:"],
    ["ftp://127.0.0.1/", "ftp:"],
  ])("Location: %s → REQUEST_FAILED, one request sent", async (location, scheme) => {
    const server = await serve(() => redirect(location));
    const outcome = await requester(track).run(urlOf(server));
    expectOutcome(outcome, {
      result: Result.RESULT_REQUEST_FAILED,
      reason: new RegExp(`cannot follow the redirect: .*unsupported scheme "${scheme}"; only http and https`, "i"),
      maxTicks: PROMPT_TICKS,
      maxBuffered: 4 * KiB,
      code: 302,
    });
    expect(server.heads.length).toBe(1);
  });
});

describe("a Location with CR, LF or NUL", () => {
  it.each([
    ["a bare CR", "/next\rSet-Cookie: a=b", /bare CR \(not followed by LF\) in the response head/],
    ["a NUL", "/next\0.evil", /NUL byte in the response head/],
  ])("with %s: the response is refused (CONNECTION_ERROR), nothing followed", async (_name, location, reason) => {
    const server = await serve(() => redirect(location));
    const outcome = await requester(track).run(urlOf(server));
    expectOutcome(outcome, { result: Result.RESULT_CONNECTION_ERROR, reason, maxTicks: PROMPT_TICKS, maxBuffered: 4 * KiB });
    expect(server.heads.length).toBe(1);
  });

  it("with percent-encoded CR LF: followed, the bytes stay encoded; no header is injected", async () => {
    const server = await serve((target) => (target === "/" ? redirect("/next%0D%0AX-Injected:%201%0D%0A") : ok("landed")));
    const outcome = await requester(track).run(urlOf(server));
    expectOutcome(outcome, { result: Result.RESULT_SUCCESS, reason: /^$/, maxTicks: PROMPT_TICKS, maxBuffered: 4 * KiB, code: 200 });
    expect(Buffer.from(outcome.body).toString()).toBe("landed");
    const second = server.heads[1] ?? "";
    expect(second.split("\r\n")[0]).toBe("GET /next%0D%0AX-Injected:%201%0D%0A HTTP/1.1");
    expect(second).not.toMatch(/^X-Injected/im);
  });

  it("split by a bare LF: the line ends there; the next request head holds only its own lines", async () => {
    const server = await serve((target) => (target === "/" ? redirect("/next\nX-Injected: 1") : ok("landed")));
    const outcome = await requester(track).run(urlOf(server));
    expectOutcome(outcome, { result: Result.RESULT_SUCCESS, reason: /^$/, maxTicks: PROMPT_TICKS, maxBuffered: 4 * KiB, code: 200 });
    const second = server.heads[1] ?? "";
    expect(second.split("\r\n")[0]).toBe("GET /next HTTP/1.1");
    expect(second).not.toMatch(/X-Injected/i);
  });

  it("a control character in an absolute Location → REQUEST_FAILED", async () => {
    const server = await serve(() => redirect("http://127.0.0.1/x\ty"));
    const outcome = await requester(track).run(urlOf(server));
    expectOutcome(outcome, {
      result: Result.RESULT_REQUEST_FAILED,
      reason: /cannot follow the redirect: .*control character U\+0009/,
      maxTicks: PROMPT_TICKS,
      maxBuffered: 4 * KiB,
      code: 302,
    });
  });
});

describe("a redirect loop", () => {
  it.each([
    ["between two paths", (target: string) => redirect(target === "/a" ? "/b" : "/a"), 302],
    ["to itself", () => redirect("/a", 307), 307],
  ])("%s: REDIRECT_LIMIT_REACHED after maxRedirects (8) hops, on one connection", async (_name, respond, code) => {
    const server = await serve(respond);
    const outcome = await requester(track).run(urlOf(server, "/a"));
    expectOutcome(outcome, {
      result: Result.RESULT_REDIRECT_LIMIT_REACHED,
      reason: /^more than 8 redirects$/,
      maxTicks: PROMPT_TICKS * 3,
      maxBuffered: 4 * KiB,
      code,
    });
    expect(server.heads.length).toBe(9);
    expect(server.log.length).toBe(1);
  });

  it("with maxRedirects = 0 the first redirect ends it", async () => {
    const server = await serve(() => redirect("/a"));
    const { node, run } = requester(track);
    node.maxRedirects = 0;
    const outcome = await run(urlOf(server, "/a"));
    expectOutcome(outcome, {
      result: Result.RESULT_REDIRECT_LIMIT_REACHED,
      reason: /^more than 0 redirects$/,
      maxTicks: PROMPT_TICKS,
      maxBuffered: 4 * KiB,
      code: 302,
    });
    expect(server.heads.length).toBe(1);
  });
});
