/**
 * The recorder wraps any Network. Over a ScriptedNetwork (no socket at all): the client behaves the
 * same with and without the recorder around it, and bytes that become available in the middle of
 * a tick — between two of the client's calls, as on a network whose sockets live on another
 * thread — replay at that same point of the tick, not at its start.
 */
import { describe, expect, it } from "vitest";
import { HTTPClient } from "../../src/client/http-client.ts";
import type { Network } from "../../src/client/network.ts";
import type { ScriptedPeer } from "../../src/client/peer/scripted-peer.ts";
import { ScriptedNetwork } from "../../src/client/scripted-network.ts";
import { RecordingNetwork } from "../../src/client/cassette/recording-network.ts";
import { ReplayNetwork } from "../../src/client/cassette/replay-network.ts";
import { Method } from "../../src/status/method.ts";

/**
 * Two polls per tick; between them (mid-tick) the scripted server delivers its next piece. Returns
 * the client's status and body after each poll.
 */
function run(network: Network & { tick(delta?: number): void }, server: { peer: () => ScriptedPeer | null } | null): string[] {
  const pieces = ["HTTP/1.1 200 OK\r\nContent-", "Length: 10\r\n\r\n0123", "456789"];
  const client = new HTTPClient({ network });
  const log: string[] = [];
  client.connectToHost("api.test", 80);
  let asked = false;
  for (let tick = 1; tick <= 8; tick++) {
    network.tick(1 / 60);
    for (const half of ["a", "b"]) {
      client.poll();
      if (client.getStatus() === 5 && !asked) {
        asked = true;
        client.request(Method.METHOD_GET, "/x", []);
        client.poll();
      }
      const body = client.readResponseBodyChunk();
      log.push(`${tick}${half} status ${client.getStatus()} code ${client.getResponseCode()} body "${new TextDecoder().decode(body)}"`);
      const peer = server?.peer() ?? null;
      if (half === "a" && peer !== null && asked && pieces.length > 0) peer.pushIncoming(pieces.shift() as string);
    }
  }
  client.close();
  return log;
}

function scripted(): { network: ScriptedNetwork; peer: () => ScriptedPeer | null } {
  const network = new ScriptedNetwork().addHost("api.test", ["10.0.0.1"]);
  network.autoAccept = true;
  return { network, peer: () => network.connections[0] ?? null };
}

describe("recording any network", () => {
  it("changes nothing the client sees, and replays mid-tick arrivals at the same call", () => {
    const plain = scripted();
    const bare = run(Object.assign(plain.network, { tick: () => {} }), plain);
    const inner = scripted();
    const recorder = new RecordingNetwork(inner.network);
    const recorded = run(recorder, inner);
    expect(recorded).toEqual(bare);
    // Within tick 2 the head arrived between the two polls: the first saw nothing, the second the head.
    expect(recorded).toContain('2a status 6 code 0 body ""');
    expect(recorded).toContain('2b status 7 code 200 body "0123"');
    const cassette = recorder.toCassette();
    expect(
      cassette.events
        .filter((event) => event.ev === "arrive")
        .map((event) => (event as { op: number }).op)
        .some((op) => op > 0),
    ).toBe(true);
    const replay = new ReplayNetwork(cassette);
    expect(run(replay, null)).toEqual(recorded);
    expect(replay.getFailures()).toEqual([]);
  });
});
