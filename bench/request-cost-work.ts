// The workloads of bench/request-cost.ts: what the request node costs per request and per tick,
// without sockets (ScriptedNetwork), so only the library's own CPU and allocations are measured.
// This file is bundled once per source tree (its `../src/index.ts` resolved in that tree), so each
// tree runs its own compiled copy; nothing here is shared between the trees at run time.
import { Err, HTTPClient, HTTPRequest, Method, SceneTree, ScriptedNetwork, ScriptedPeer, Status } from "../src/index.ts";

const RESPONSE = new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nhello, world\n");
const TICK = 1 / 60;

/** Microseconds of user CPU time of this process. */
function cpuMicros(): number {
  return process.cpuUsage().user;
}

/** The workloads over one source tree. */
export interface RequestCostWork {
  /**
   * Keep-alive GETs of a 13-byte body on `nodes` HTTPRequest nodes, one request per node and round
   * (request(), a tick that sends, the response pushed, a tick that completes).
   *
   * @returns User CPU µs per request: `request()`, the sending tick, the completing tick.
   */
  perRequest(rounds: number): [request: number, send: number, complete: number];
  /** Ticks of a tree of nodes that wait for a response head that never comes (W4): CPU ns per node and tick. */
  waiting(ticks: number): number;
  /** Ticks of a tree of nodes whose request has completed: CPU ns per node and tick. */
  finished(ticks: number): number;
  /**
   * The client alone (W1e): request, poll, the response pushed into a ScriptedPeer, poll, body read,
   * `cycles` times on one connection: user CPU µs per cycle.
   */
  engine(cycles: number): number;
}

/**
 * Builds the three trees (and completes a first request on each node).
 *
 * @param nodes - Nodes of the per-request tree.
 * @param idleNodes - Nodes of the waiting and of the finished tree.
 * @returns The workloads.
 */
export function makeRequestCostWork(nodes: number, idleNodes: number): RequestCostWork {
  const network = new ScriptedNetwork().addHost("a.test", ["10.0.0.1"]);
  network.autoAccept = true;
  const tree = new SceneTree();
  const requests: HTTPRequest[] = [];
  let completed = 0;
  for (let i = 0; i < nodes; i++) {
    const request = new HTTPRequest({ network });
    request.requestCompleted.connect(() => completed++);
    tree.root.addChild(request);
    requests.push(request);
  }
  const answer = (net: ScriptedNetwork): void => {
    for (const peer of net.connections) {
      if (!peer.isClosed()) {
        peer.takeOutgoing();
        peer.pushIncoming(RESPONSE);
      }
    }
  };

  // Nodes waiting for a head: their own network, never answered.
  const silent = new ScriptedNetwork().addHost("a.test", ["10.0.0.1"]);
  silent.autoAccept = true;
  const waitingTree = new SceneTree();
  for (let i = 0; i < idleNodes; i++) {
    const request = new HTTPRequest({ network: silent });
    request.timeout = 0;
    waitingTree.root.addChild(request);
    request.request(`http://a.test/hang/${i}`);
  }
  for (let i = 0; i < 3; i++) waitingTree.process(TICK);

  // Nodes whose request completed.
  const answered = new ScriptedNetwork().addHost("a.test", ["10.0.0.1"]);
  answered.autoAccept = true;
  const finishedTree = new SceneTree();
  let finishedCount = 0;
  for (let i = 0; i < idleNodes; i++) {
    const request = new HTTPRequest({ network: answered });
    request.requestCompleted.connect(() => finishedCount++);
    finishedTree.root.addChild(request);
    request.request("http://a.test/x");
  }
  finishedTree.process(TICK);
  answer(answered);
  finishedTree.process(TICK);
  finishedTree.process(TICK);
  if (finishedCount !== idleNodes) throw new Error(`request-cost: ${finishedCount} of ${idleNodes} requests completed`);

  const perTick = (ticked: SceneTree, ticks: number, count: number): number => {
    const start = cpuMicros();
    for (let i = 0; i < ticks; i++) ticked.process(TICK);
    return ((cpuMicros() - start) * 1000) / (ticks * count);
  };

  const peer = new ScriptedPeer({ open: true });
  const client = new HTTPClient();
  if (client.setConnection(peer, "127.0.0.1", 80) !== Err.OK) throw new Error(`setConnection: ${client.getErrorReason()}`);
  const noHeaders: string[] = [];

  return {
    engine(cycles) {
      const start = cpuMicros();
      for (let i = 0; i < cycles; i++) {
        if (client.request(Method.METHOD_GET, "/x", noHeaders) !== Err.OK) throw new Error(`request(): ${client.getErrorReason()}`);
        client.poll();
        peer.pushIncoming(RESPONSE);
        client.poll();
        while (client.readResponseBodyPiece().length > 0);
        if (client.getStatus() !== Status.STATUS_CONNECTED) throw new Error(`engine: status ${client.getStatus()}`);
        if ((i & 1023) === 1023) peer.takeOutgoing();
      }
      return (cpuMicros() - start) / cycles;
    },
    perRequest(rounds) {
      let request = 0;
      let send = 0;
      let complete = 0;
      const before = completed;
      for (let round = 0; round < rounds; round++) {
        const a = cpuMicros();
        for (const node of requests) node.request("http://a.test/x");
        const b = cpuMicros();
        tree.process(TICK);
        const c = cpuMicros();
        answer(network);
        const d = cpuMicros();
        tree.process(TICK);
        const e = cpuMicros();
        request += b - a;
        send += c - b;
        complete += e - d;
      }
      const done = completed - before;
      if (done !== rounds * nodes) throw new Error(`request-cost: ${done} of ${rounds * nodes} requests completed`);
      return [request / done, send / done, complete / done];
    },
    waiting: (ticks) => perTick(waitingTree, ticks, idleNodes),
    finished: (ticks) => perTick(finishedTree, ticks, idleNodes),
  };
}
