/**
 * Cancel and tree exit at every state of a request over real loopback sockets — resolving,
 * connecting, TLS handshake, requesting, body (with a download), redirect (draining its body, and
 * on the next hop) — release everything at once: the status is DISCONNECTED and no temporary file
 * is left when the call returns; without another tick of the tree the server sees the connection
 * closed and the process holds no socket, timer or descriptor beyond the baseline; nothing is
 * emitted and nothing reconnects afterwards.
 */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HTTPRequest, SceneTree, Status } from "../../src/index.ts";
import { startTcpServer, type LoopbackServer } from "../helpers/loopback-server.ts";
import { tick, waitUntil } from "../helpers/wait.ts";
import { grownResources, snapshot, type ResourceSnapshot } from "./resources.ts";
import { startSoakServer, type SoakServer } from "./soak-server.ts";

interface State {
  readonly name: string;
  /** The URL to request. */
  url(): string;
  /** True once the request is in the state. */
  reached(node: HTTPRequest): boolean;
  /** Whether the state has a connection the server must see closed. */
  readonly connection: boolean;
  /** Whether the download's temporary file exists in this state. */
  readonly tempFile: boolean;
}

let server: SoakServer;
/** Accepts TCP and never answers: a TLS handshake waits forever. */
let silent: LoopbackServer;
let silentOpen = 0;
let dir: string;

const http = (path: string): string => `http://127.0.0.1:${server.port}${path}`;
const clientStatus = (node: HTTPRequest): Status => node.getHttpClientStatus();

const STATES: readonly State[] = [
  {
    name: "resolving",
    url: () => `http://localhost:${server.port}/hang`,
    connection: false,
    tempFile: false,
    reached: (node) => clientStatus(node) === Status.STATUS_RESOLVING,
  },
  {
    // The socket exists and its connect() is under way: cancelled before the event loop turns.
    name: "connecting",
    url: () => http("/hang"),
    connection: false,
    tempFile: false,
    reached: (node) => clientStatus(node) === Status.STATUS_CONNECTING,
  },
  {
    name: "TLS handshake",
    url: () => `https://127.0.0.1:${silent.port}/`,
    connection: true,
    tempFile: false,
    reached: (node) => clientStatus(node) === Status.STATUS_CONNECTING && silentOpen > 0 && silent.connections.some((s) => s.bytesRead > 0),
  },
  {
    name: "requesting",
    url: () => http("/hang"),
    connection: true,
    tempFile: false,
    reached: (node) => clientStatus(node) === Status.STATUS_REQUESTING && server.requests() > 0,
  },
  {
    name: "body",
    url: () => http("/partial/100"),
    connection: true,
    tempFile: true,
    reached: (node) => clientStatus(node) === Status.STATUS_BODY && node.getDownloadedBytes() > 0,
  },
  {
    name: "redirect (draining the 3xx body)",
    url: () => http("/redirect-drain"),
    connection: true,
    tempFile: false,
    reached: (node) => clientStatus(node) === Status.STATUS_BODY && server.requests() > 0,
  },
  {
    name: "redirect (next hop sent)",
    url: () => http("/redirect-hang"),
    connection: true,
    tempFile: false,
    reached: (node) => server.requests() >= 2 && clientStatus(node) === Status.STATUS_REQUESTING,
  },
];

beforeAll(async () => {
  server = await startSoakServer();
  silent = await startTcpServer((socket) => {
    silentOpen++;
    socket.on("close", () => silentOpen--);
    socket.resume(); // read (and drop) the ClientHello, so the client's close is seen
  });
  dir = fs.mkdtempSync(join(tmpdir(), "poll-http-release-"));
});

afterAll(async () => {
  await server.close();
  await silent.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Ticks the tree (letting the event loop run between ticks) until `done()`, at most 3 s. */
async function tickUntil(tree: SceneTree, done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`never reached ${what}`);
    tree.process(1 / 60);
    if (done()) return;
    await tick();
  }
}

async function settled(before: ResourceSnapshot): Promise<void> {
  await waitUntil(
    () => {
      const now = snapshot(false);
      return Object.keys(grownResources(before, now)).length === 0 && now.fds <= before.fds;
    },
    "resources back to the baseline",
    2000,
  );
}

describe.each(["cancelRequest()", "leaving the tree"] as const)("%s releases everything at once", (how) => {
  it.each(STATES.map((s) => [s.name, s] as const))("while %s", async (_name, state) => {
    await waitUntil(() => server.open() === 0 && silentOpen === 0, "no connection left from an earlier case");
    const target = join(dir, "download.bin");
    fs.writeFileSync(target, "previous content");
    const before = snapshot(false);
    const requestsBefore = server.requests();
    const acceptedBefore = server.accepted() + silent.connections.length;
    const tree = new SceneTree();
    const node = new HTTPRequest({ name: "released" });
    tree.root.addChild(node);
    const emitted: number[] = [];
    node.requestCompleted.connect((result) => emitted.push(result));
    node.downloadFile = target;
    node.timeout = 10;
    const baseRequests = server.requests();
    const reached = (): boolean =>
      state.reached(node) &&
      (state.name !== "requesting" || server.requests() > baseRequests) &&
      (!state.name.startsWith("redirect") || server.requests() > baseRequests);
    expect(node.request(state.url())).toBe(0);
    if (state.name === "connecting" || state.name === "resolving") {
      expect(reached(), `status ${clientStatus(node)}`).toBe(true); // the first step ran inside request()
    } else {
      await tickUntil(tree, reached, state.name);
    }
    const temps = (): string[] => fs.readdirSync(dir).filter((f) => f.endsWith(".part"));
    expect(temps().length).toBe(state.tempFile ? 1 : 0);

    if (how === "cancelRequest()") node.cancelRequest();
    else tree.root.removeChild(node);

    // At once, inside the call:
    expect(clientStatus(node)).toBe(Status.STATUS_DISCONNECTED);
    expect(temps()).toEqual([]);
    expect(fs.readFileSync(target, "latin1")).toBe("previous content");
    // Without another tick: the server sees the close, and the process is back to its baseline.
    await waitUntil(() => server.open() === 0 && silentOpen === 0, "the server to see the connection closed", 2000);
    await settled(before);
    // Nothing afterwards: no emission, no new connection, no new request.
    if (how === "leaving the tree") tree.root.addChild(node);
    for (let i = 0; i < 20; i++) {
      tree.process(0.5);
      await tick();
    }
    expect(emitted).toEqual([]);
    // A connect() under way may or may not have completed in the kernel before it was closed.
    const opened = server.accepted() + silent.connections.length - acceptedBefore;
    if (state.name === "connecting") expect(opened).toBeLessThanOrEqual(1);
    else expect(opened).toBe(state.connection ? 1 : 0);
    expect(server.requests() - requestsBefore).toBeLessThanOrEqual(state.name.startsWith("redirect") ? 2 : 1);
    expect(temps()).toEqual([]);
    expect(Object.keys(grownResources(before, snapshot(false)))).toEqual([]);
  });
});
