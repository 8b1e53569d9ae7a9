/**
 * fetch() with `pollHttp.retry` and phase timeouts over a ScriptedNetwork: a 503 is retried after
 * its Retry-After in tick time before the response reaches the application; an idleTimeout after
 * the response was handed out rejects the body and is not retried (the body was streamed).
 */
import { describe, expect, it } from "vitest";
import { createFetch, RetryPolicy, SceneTree, ScriptedNetwork } from "../../src/index.ts";

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

function rig(): { tree: SceneTree; network: ScriptedNetwork; fetch: ReturnType<typeof createFetch> } {
  const network = new ScriptedNetwork().addHost("example.test", ["10.0.0.1"]);
  network.autoAccept = true;
  const tree = new SceneTree();
  return { tree, network, fetch: createFetch({ tree, network }) };
}

async function ticks(tree: SceneTree, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    tree.process(0.1);
    await settle();
  }
}

describe("fetch: retries and phase timeouts", () => {
  it("a 503 with Retry-After: 1 is sent again after 1 s of ticks; the application sees only the 200", async () => {
    const { tree, network, fetch } = rig();
    let status = 0;
    let text = "";
    void fetch("http://example.test/api", { pollHttp: { retry: new RetryPolicy() } }).then(async (response) => {
      status = response.status;
      text = await response.text();
    });
    await settle();
    await ticks(tree, 1);
    network.connections[0]!.pushIncoming("HTTP/1.1 503 Busy\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n");
    await ticks(tree, 10);
    expect(network.connections).toHaveLength(1);
    expect(status).toBe(0);
    await ticks(tree, 1);
    expect(network.connections).toHaveLength(2);
    network.connections[1]!.pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh");
    await ticks(tree, 2);
    expect([status, text]).toEqual([200, "fresh"]);
  });

  it("idleTimeout once the body streams: the body rejects with the phase in the message, no second attempt", async () => {
    const { tree, network, fetch } = rig();
    let failure = "";
    void fetch("http://example.test/slow", { pollHttp: { retry: new RetryPolicy(), idleTimeout: 0.3 } }).then(async (response) => {
      await response.text().catch((error: unknown) => {
        failure = String(error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : error);
      });
    });
    await settle();
    await ticks(tree, 1);
    network.connections[0]!.pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    await ticks(tree, 6);
    expect(network.connections).toHaveLength(1);
    expect(failure).toMatch(/idleTimeout/);
  });
});
