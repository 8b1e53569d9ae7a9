// Pacing: 500 requests started in one frame, run by a TreeRunner at a fixed 60 fps and as fast as
// possible, against a node:http server in the same process and in a child process; through 500
// bare HTTPRequest nodes ("nodes"), a pool with room for all of them ("pool") and a pool with every
// default, 6 connections per origin ("pool6"). Prints ticks, wall time, CPU time, time inside
// tree.process and, per tick, completions / connections the in-process server accepted / requests
// it served. Not part of the suite; run it when changing the runner:
//
//   HOW=nodes,pool,pool6 RUNS=3 node scripts/run-ts.mjs bench/pacing.ts
//
// It also shows why as-fast-as-possible is slow with the server in the same process: a listening
// node:net server there accepts one connection per event-loop iteration (500 client connects
// complete in one iteration; the server takes 500 iterations to accept them), and the runner ticks
// the tree once per iteration that brought news.
import { createServer } from "node:http";
import { fork } from "node:child_process";
import { HTTPRequest, HTTPRequestPool, Node, SceneTree, TreeRunner, type RunMode } from "../src/index.ts";
const N = Number(process.env.N ?? 500);
let conns = 0,
  reqs = 0;
const server = createServer({ keepAliveTimeout: 30_000 }, (_req, res) => {
  reqs++;
  res.end("hello, world!");
});
server.on("connection", () => conns++);
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const inProcessUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/small`;
const child = fork(new URL("./pacing-server.mjs", `file://${process.cwd()}/bench/`).pathname);
const childPort = await new Promise<number>((r) => child.once("message", (m) => r((m as { port: number }).port)));
const childUrl = `http://127.0.0.1:${childPort}/small`;
async function once(mode: RunMode, where: "same process" | "child process", how: "nodes" | "pool" | "pool6"): Promise<string> {
  const url = where === "same process" ? inProcessUrl : childUrl;
  const tree = new SceneTree();
  const runner = new TreeRunner(tree, { mode, fps: 60 });
  let left = N;
  let inTree = 0;
  let t0 = 0;
  const perTick: string[] = [];
  let doneBefore = N;
  class Before extends Node {
    override _process() {
      t0 = performance.now();
    }
  }
  class After extends Node {
    override _process() {
      inTree += performance.now() - t0;
      perTick.push(`${doneBefore - left}/${conns}/${reqs}`);
      conns = 0;
      reqs = 0;
      doneBefore = left;
      if (left === 0) runner.stop();
    }
  }
  tree.root.addChild(new Before("b"));
  const nodes: HTTPRequest[] = [];
  const pool = new HTTPRequestPool(how === "pool6" ? {} : { maxConnectionsPerOrigin: N, maxConnections: N });
  if (how !== "nodes") tree.root.addChild(pool);
  for (let i = 0; i < N && how === "nodes"; i++) {
    const r = new HTTPRequest();
    r.requestCompleted.connect(() => left--);
    tree.root.addChild(r);
    nodes.push(r);
  }
  tree.root.addChild(new After("a"));
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  for (const r of nodes) r.request(url);
  for (let i = 0; i < N && how !== "nodes"; i++) pool.request(url).requestCompleted.connect(() => left--);
  runner.start();
  await runner.whenStopped();
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  for (const r of nodes) tree.root.removeChild(r);
  if (how !== "nodes") tree.root.removeChild(pool);
  return `${how.padEnd(5)} ${where.padEnd(13)} ${mode.padEnd(20)} ticks ${String(runner.getFrames()).padStart(4)}  wall ${ms.toFixed(0).padStart(4)} ms  CPU ${((cpu.user + cpu.system) / 1000).toFixed(0).padStart(4)} ms  in tree.process ${inTree.toFixed(0).padStart(4)} ms  accepted/completed per tick (first 6): ${perTick.slice(0, 6).join(" ")}`;
}
const modes: RunMode[] = ["fixed", "as-fast-as-possible"];
const cases: Array<[RunMode, "same process" | "child process", "nodes" | "pool" | "pool6"]> = [];
for (const how of (process.env.HOW ?? "nodes,pool").split(",") as Array<"nodes" | "pool" | "pool6">)
  for (const where of ["same process", "child process"] as const) for (const m of modes) cases.push([m, where, how]);
for (const c of cases) await once(...c); // warm-up
const lines = new Map<string, string[]>();
for (let run = 0; run < Number(process.env.RUNS ?? 3); run++)
  for (const c of run % 2 ? [...cases].reverse() : cases) {
    const line = await once(...c);
    const key = c.join();
    lines.set(key, [...(lines.get(key) ?? []), line]);
  }
for (const l of lines.values()) for (const x of l) console.log(x);
child.disconnect();
{
  // The accept rate alone, with plain node:net on both sides.
  const { createServer: createNetServer, connect } = await import("node:net");
  let accepted = 0;
  let connected = 0;
  const plain = createNetServer((socket) => {
    accepted++;
    socket.on("error", () => {});
  });
  await new Promise<void>((r) => plain.listen({ port: 0, host: "127.0.0.1", backlog: 2048 }, r));
  const port = (plain.address() as { port: number }).port;
  const sockets = Array.from({ length: N }, () =>
    connect(port, "127.0.0.1")
      .on("connect", () => connected++)
      .on("error", () => {}),
  );
  const per: string[] = [];
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setImmediate(r));
    per.push(`${accepted}/${connected}`);
    accepted = 0;
    connected = 0;
  }
  console.log(`plain node:net, ${N} connects: server accepts / client connects per event-loop iteration: ${per.join(" ")}`);
  for (const socket of sockets) socket.destroy();
  plain.close();
}
server.closeAllConnections();
server.close();
