/**
 * Failures over a ThreadedNetwork in a loop that never yields end as on a NodeNetwork driven by
 * the event loop: same Result, same reason. Blocking mode waits without burning the CPU and
 * returns when the bytes arrive; on a NodeNetwork it explains why it cannot wait, and polls in a
 * loop that never yields are explained too, without touching the status.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Err,
  HTTPClient,
  HTTPRequest,
  Method,
  NodeNetwork,
  Result,
  SceneTree,
  Status,
  ThreadedNetwork,
  TLSOptions,
  type RequestCompletedArgs,
} from "../../src/index.ts";
import { BLOCKING_NEEDS_THREADS_REASON, NO_EVENT_LOOP_TURN_REASON } from "../../src/client/poll-wait.ts";
import { startOriginProcess, type OriginProcess } from "../helpers/origin-process.ts";
import { pickFreePorts } from "../helpers/real-process.ts";
import { fixtures } from "../helpers/tls-fixtures.ts";
import { tick } from "../helpers/wait.ts";

let origin: OriginProcess;
let closedPort: number;
const threaded = new ThreadedNetwork();

beforeAll(async () => {
  origin = await startOriginProcess();
  [closedPort = 0] = await pickFreePorts(1);
});

afterAll(async () => {
  await threaded.close();
  await origin?.stop();
});

interface Ending {
  readonly result: Result;
  readonly code: number;
  readonly reason: string;
}

type Setup = (req: HTTPRequest) => void;

function makeNode(network: ThreadedNetwork | NodeNetwork, setup: Setup): { tree: SceneTree; req: HTTPRequest; ended: () => Ending | null } {
  const tree = new SceneTree();
  const req = new HTTPRequest({ network });
  setup(req);
  tree.root.addChild(req);
  let ending: Ending | null = null;
  req.requestCompleted.connect((...[result, code]: RequestCompletedArgs) => {
    ending = { result, code, reason: req.getErrorReason() };
  });
  return { tree, req, ended: () => ending };
}

/** ThreadedNetwork: a plain synchronous loop of 1/60 s ticks. */
function runThreaded(url: string, setup: Setup): Ending {
  const { tree, req, ended } = makeNode(threaded, setup);
  expect(req.request(url)).toBe(Err.OK);
  for (let ticks = 0; ended() === null; ticks++) {
    if (ticks > 50_000_000) throw new Error(`no end: ${req.getErrorReason()}`);
    tree.process(1 / 60);
  }
  req.queueFree();
  tree.process(0);
  return ended() as Ending;
}

/** NodeNetwork: the same ticks with an event-loop turn after each. */
async function runOnEventLoop(url: string, setup: Setup): Promise<Ending> {
  const { tree, req, ended } = makeNode(new NodeNetwork(), setup);
  expect(req.request(url)).toBe(Err.OK);
  for (let ticks = 0; ended() === null; ticks++) {
    if (ticks > 1_000_000) throw new Error(`no end: ${req.getErrorReason()}`);
    tree.process(1 / 60);
    await tick();
  }
  req.queueFree();
  tree.process(0);
  return ended() as Ending;
}

describe("failures: the same Result and reason as on NodeNetwork", () => {
  const none: Setup = () => {};
  const cases: [string, () => string, Setup, Result, RegExp][] = [
    ["DNS failure", () => "http://nonexistent.invalid/", none, Result.RESULT_CANT_RESOLVE, /nonexistent\.invalid.*(ENOTFOUND|EAI_)/],
    ["refused connection", () => `http://127.0.0.1:${closedPort}/`, none, Result.RESULT_CANT_CONNECT, /ECONNREFUSED/],
    [
      "TLS failure (certificate from an unknown CA)",
      () => `https://localhost:${origin.httpsPort}/small/x`,
      none,
      Result.RESULT_TLS_HANDSHAKE_ERROR,
      /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|unable to verify/,
    ],
    [
      "TLS failure (host name not in the certificate)",
      () => `https://127.0.0.1:${origin.httpsPort}/small/x`,
      (req) => req.setTlsOptions(TLSOptions.client(fixtures.ca, "wrong.example")),
      Result.RESULT_TLS_HANDSHAKE_ERROR,
      /ERR_TLS_CERT_ALTNAME_INVALID/,
    ],
    [
      "timeout",
      () => `http://127.0.0.1:${origin.httpPort}/stall`,
      (req) => {
        req.timeout = 0.5;
      },
      Result.RESULT_TIMEOUT,
      /timed out after 0\.5 s/,
    ],
  ];
  for (const [name, url, setup, result, reason] of cases) {
    it(name, async () => {
      const onThread = runThreaded(url(), setup);
      const onLoop = await runOnEventLoop(url(), setup);
      expect(onThread).toEqual(onLoop);
      expect(onThread.result).toBe(result);
      expect(onThread.reason).toMatch(reason);
    });
  }
});

describe("blocking mode", () => {
  it("waits for a server that answers after 1 s using under 5 % of a core, and returns when the bytes arrive", () => {
    const client = new HTTPClient({ network: threaded });
    client.blockingModeEnabled = true;
    client.blockingWaitSeconds = 30; // far beyond the server's delay: an early return means the bytes came
    expect(client.connectToHost("127.0.0.1", origin.httpPort)).toBe(Err.OK);
    while (client.getStatus() === Status.STATUS_CONNECTING) client.poll();
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    expect(client.request(Method.METHOD_GET, "/slow", [])).toBe(Err.OK);

    const wallStart = performance.now();
    const cpuStart = process.cpuUsage();
    let polls = 0;
    while (client.getStatus() === Status.STATUS_REQUESTING) {
      client.poll();
      polls++;
    }
    const cpu = process.cpuUsage(cpuStart);
    const wallMs = performance.now() - wallStart;

    expect(client.getStatus()).toBe(Status.STATUS_BODY);
    expect(client.getResponseCode()).toBe(200);
    // The server answers after 1 s. The loop waited for it in a handful of polls (a spin would
    // count thousands), each returning on the bytes: one waiting out the 30 s bound would outlast
    // the test's own time limit…
    expect(polls).toBeLessThanOrEqual(3);
    // …and the whole process used under 5 % of one core while it waited.
    const cpuMs = (cpu.user + cpu.system) / 1000;
    expect(cpuMs / wallMs).toBeLessThan(0.05);

    let body = "";
    while (client.getStatus() === Status.STATUS_BODY) {
      client.poll();
      body += new TextDecoder().decode(client.readResponseBodyChunk());
    }
    expect(body).toBe("late");
    client.close();
  });

  it("returns at the wait bound when nothing comes, status unchanged", () => {
    const client = new HTTPClient({ network: threaded });
    client.setBlockingMode(true);
    client.blockingWaitSeconds = 0.05;
    expect(client.connectToHost("127.0.0.1", origin.httpPort)).toBe(Err.OK);
    while (client.getStatus() === Status.STATUS_CONNECTING) client.poll();
    expect(client.request(Method.METHOD_GET, "/stall", [])).toBe(Err.OK);
    for (let i = 0; i < 3; i++) expect(client.poll()).toBe(Err.OK);
    expect(client.getStatus()).toBe(Status.STATUS_REQUESTING);
    expect(client.getErrorReason()).toBe("");
    client.close();
  });

  it("on a NodeNetwork: poll() does not wait, and the reason says why", () => {
    const client = new HTTPClient({ network: new NodeNetwork() });
    client.setBlockingMode(true);
    expect(client.connectToHost("127.0.0.1", origin.httpPort)).toBe(Err.OK);
    expect(client.poll()).toBe(Err.OK);
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTING);
    expect(client.getErrorReason()).toBe(BLOCKING_NEEDS_THREADS_REASON);
    expect(client.getErrorReason()).toMatch(/ThreadedNetwork/);
    client.close();
  });
});

describe("a loop that never yields, on a NodeNetwork", () => {
  it("is explained in the reason, names both ways out, changes no status, and clears once the loop turns", async () => {
    const client = new HTTPClient({ network: new NodeNetwork() });
    expect(client.connectToHost("127.0.0.1", origin.httpPort)).toBe(Err.OK);
    for (let i = 0; i < 40; i++) expect(client.poll()).toBe(Err.OK);
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTING);
    expect(client.getErrorReason()).toBe(NO_EVENT_LOOP_TURN_REASON);
    expect(client.getErrorReason()).toMatch(/yield between polls/);
    expect(client.getErrorReason()).toMatch(/ThreadedNetwork/);
    // Yielding is the way out: the connection opens and the explanation goes away.
    while (client.getStatus() === Status.STATUS_CONNECTING) {
      await tick();
      client.poll();
    }
    expect(client.getStatus()).toBe(Status.STATUS_CONNECTED);
    expect(client.getErrorReason()).toBe("");
    client.close();
  });

  it("is not given to a loop that yields between polls", async () => {
    const client = new HTTPClient({ network: new NodeNetwork() });
    expect(client.connectToHost("127.0.0.1", origin.httpPort)).toBe(Err.OK);
    expect(client.request(Method.METHOD_GET, "/x", [])).not.toBe(Err.OK); // not connected yet: refused with a reason
    const refusal = client.getErrorReason();
    while (client.getStatus() !== Status.STATUS_CONNECTED) {
      client.poll();
      expect(client.getErrorReason()).toBe(refusal);
      await tick();
    }
    client.close();
  });
});
