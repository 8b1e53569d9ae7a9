// A headless simulation: 1,000 agents, each a Node with its own HTTPRequest child, ask an embedded
// local server for their next move every 2 s of virtual time, for 10 s of virtual time.
//
// The loop owns time. It steps the SceneTree with a fixed delta of 0.05 s as fast as the machine
// allows (no frame pacing), and between two time steps it lets the network settle with zero-delta
// steps until every request started in that step has completed: in this simulation, the network
// takes no virtual time. So each agent polls at exactly the same virtual instants on every run, and
// the summary (virtual time, requests, final positions) is the same on every run and machine;
// only the wall-clock time and the number of settle steps vary.
// Run with `node scripts/run-ts.mjs examples/agents-simulation.ts [agents]`.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { HTTPRequest, Node, Result, SceneTree, resultName } from "../src/index.ts";

const AGENTS = Number(process.argv[2] ?? 1000);
const DELTA = 0.05; // seconds of virtual time per step
const POLL_EVERY = 2; // seconds of virtual time between two polls of an agent
const DURATION = 10; // seconds of virtual time simulated
const STEPS = Math.round(DURATION / DELTA);
const POLLS = Math.round(DURATION / POLL_EVERY); // per agent

/** The server's rule: a move derived from the agent and its turn only. */
function moveFor(agent: number, turn: number): { dx: number; dy: number } {
  let h = Math.imul(agent ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(turn + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x27d4eb2d);
  h = (h ^ (h >>> 15)) >>> 0;
  return { dx: (h % 5) - 2, dy: ((h >>> 8) % 5) - 2 };
}

let served = 0;
const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://sim");
  const body = JSON.stringify(moveFor(Number(url.searchParams.get("agent")), Number(url.searchParams.get("turn"))));
  served++;
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
});
server.maxConnections = AGENTS + 16;
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// #region agent
let inFlight = 0;
let failed = 0;

/** An agent: polls the server every POLL_EVERY seconds of its own (virtual) time and walks. */
class Agent extends Node {
  x = 0;
  y = 0;
  turn = 0;
  private clock: number;
  private readonly http = new HTTPRequest();

  readonly id: number;

  constructor(id: number) {
    super(`agent-${id}`);
    this.id = id;
    this.clock = -(id % 40) * DELTA; // spread the agents over the 40 steps of a poll period
    this.addChild(this.http); // a child: ticked right after its agent, in the same step
    this.http.requestCompleted.connect((result, code, _headers, body) => {
      inFlight--;
      if (result !== Result.RESULT_SUCCESS || code !== 200) {
        failed++;
        console.error(`${this.name}: ${resultName(result)} ${code} ${this.http.getErrorReason()}`);
        return;
      }
      const move = JSON.parse(new TextDecoder().decode(body)) as { dx: number; dy: number };
      this.x += move.dx;
      this.y += move.dy;
    });
  }

  override _process(delta: number): void {
    this.clock += delta;
    if (this.turn < POLLS && this.turn * POLL_EVERY <= this.clock + 1e-9) {
      this.http.request(`${origin}/move?agent=${this.id}&turn=${this.turn}`);
      this.turn++;
      inFlight++;
    }
  }
}
// #endregion agent

// #region loop
const tree = new SceneTree();
const agents = Array.from({ length: AGENTS }, (_, id) => new Agent(id));
for (const agent of agents) tree.root.addChild(agent);

/**
 * Waits until a peer wakes the tree (bytes arrived, a connection opened), then for the end of that
 * event-loop turn, so every socket with news in the same turn has delivered it before the next step.
 */
function networkTurn(): Promise<void> {
  return new Promise((resolve) => {
    if (tree.isWakePending()) setImmediate(resolve);
    else tree.woken.connect(() => setImmediate(resolve), { oneShot: true });
  });
}

const wallStart = performance.now();
let settleSteps = 0;
for (let step = 0; step < STEPS; step++) {
  tree.process(DELTA); // virtual time moves on; agents whose poll is due start it
  while (inFlight > 0) {
    await networkTurn(); // let Node's event loop deliver bytes to the peers
    tree.process(0); // the network takes no virtual time
    settleSteps++;
  }
}
// #endregion loop

const wallSeconds = (performance.now() - wallStart) / 1000;
const positions = agents.map((a) => `${a.x},${a.y}`).join(";");
const checksum = createHash("sha256").update(positions).digest("hex").slice(0, 16);
const far = agents.reduce((best, a) => (Math.abs(a.x) + Math.abs(a.y) > Math.abs(best.x) + Math.abs(best.y) ? a : best));
const requests = agents.reduce((sum, a) => sum + a.turn, 0);
console.log(`agents: ${AGENTS}, virtual time: ${tree.getElapsed().toFixed(2)} s in ${STEPS} steps of ${DELTA} s`);
console.log(`requests: ${requests} sent, ${served} served, ${requests - failed} succeeded, ${failed} failed`);
console.log(`farthest: ${far.name} at (${far.x}, ${far.y}); positions checksum ${checksum}`);
console.log(`(wall clock ${wallSeconds.toFixed(2)} s, ${settleSteps} zero-delta settle steps: these vary from run to run)`);
for (const agent of agents) tree.root.removeChild(agent); // leaving the tree closes each agent's connection
await new Promise<void>((resolve) => {
  server.closeAllConnections();
  server.close(() => resolve());
});
if (failed > 0 || served !== requests) process.exitCode = 1;
