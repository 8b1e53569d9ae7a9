/**
 * Soak: 10,000 mixed requests (success, gzip, redirect, download, refused, reset, malformed,
 * cancel, tree exit, timeout, cancelled download) through one SceneTree of 32 HTTPRequest nodes
 * run by a TreeRunner against a loopback server. Afterwards nothing is held beyond the baseline:
 * file descriptors, libuv handles by type (sockets, timers), temporary download files; and the
 * heap after a full GC is back within a small margin of where it was after a warm-up.
 */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HTTPRequest, Node, Result, SceneTree, resultName } from "../../src/index.ts";
import { getRefusedPort } from "../helpers/loopback-server.ts";
import { prng } from "../helpers/prng.ts";
import { waitUntil } from "../helpers/wait.ts";
import { runTree } from "../request/loopback-helpers.ts";
import { grownResources, snapshot, type ResourceSnapshot } from "./resources.ts";
import { GZ_TEXT, startSoakServer, type SoakServer } from "./soak-server.ts";

const SLOTS = 32;
const REQUESTS = Number(process.env.SOAK_REQUESTS ?? 10_000);
const WARM_UP = Number(process.env.SOAK_WARM_UP ?? 500);
/** Heap after the soak may exceed the warmed-up baseline by at most this much. */
const HEAP_MARGIN = 2 * 1024 * 1024;

type Kind = "ok" | "gz" | "redirect" | "download" | "refused" | "reset" | "bad" | "timeout" | "cancel" | "exit" | "cancel-download";
const MIX: ReadonlyArray<[Kind, number]> = [
  ["ok", 30],
  ["gz", 8],
  ["redirect", 12],
  ["download", 6],
  ["refused", 5],
  ["reset", 5],
  ["bad", 5],
  ["timeout", 8],
  ["cancel", 8],
  ["exit", 7],
  ["cancel-download", 6],
];
const TOTAL_WEIGHT = MIX.reduce((sum, [, w]) => sum + w, 0);

/** One slot: a node, the op it runs and when it started. */
interface Slot {
  readonly node: HTTPRequest;
  readonly file: string;
  op: { kind: Kind; size: number; startFrame: number; cancelAfter: number } | null;
}

/** Starts, cancels and checks the ops; processed before the request nodes in each tick. */
class Driver extends Node {
  readonly counts: Record<string, number> = {};
  readonly problems: string[] = [];
  private readonly random = prng(7);
  private started = 0;
  private done = 0;
  private target = 0;
  readonly slots: Slot[] = [];
  /** Holds the request nodes, so one that leaves and re-enters stays before the test's probes. */
  readonly holder = new Node("slots");

  private readonly tree: SceneTree;
  private readonly port: number;
  private readonly refusedPort: number;
  private readonly dir: string;

  constructor(tree: SceneTree, port: number, refusedPort: number, dir: string) {
    super("driver");
    this.tree = tree;
    this.port = port;
    this.refusedPort = refusedPort;
    this.dir = dir;
  }

  addSlots(): void {
    this.tree.root.addChild(this.holder);
    for (let i = 0; i < SLOTS; i++) {
      const node = new HTTPRequest({ name: `slot${i}` });
      const slot: Slot = { node, file: join(this.dir, `slot${i}.bin`), op: null };
      node.requestCompleted.connect((result, code, _headers, body) => this.completed(slot, result, code, body));
      this.holder.addChild(node);
      this.slots.push(slot);
    }
  }

  /** Runs `count` more ops; true once they are all done. */
  plan(count: number): void {
    this.target += count;
  }

  isDone(): boolean {
    return this.done === this.target && this.slots.every((s) => s.op === null);
  }

  override _process(): void {
    const frame = this.tree.getFrame();
    for (const slot of this.slots) {
      const op = slot.op;
      if (op !== null && (op.kind === "cancel" || op.kind === "exit" || op.kind === "cancel-download")) {
        const due = op.kind === "cancel-download" ? slot.node.getDownloadedBytes() > 0 : frame >= op.startFrame + op.cancelAfter;
        if (due) this.stop(slot, op.kind);
      }
      if (slot.op === null && this.started < this.target) this.start(slot, frame);
    }
  }

  /** Wakes the runner for an op to start, or to stop one that waits for a tick count. */
  override _nextDeadline(): number | null {
    if (this.slots.some((s) => s.op === null) && this.started < this.target) return 0;
    return this.slots.some((s) => s.op !== null && (s.op.kind === "cancel" || s.op.kind === "exit")) ? 0.001 : null;
  }

  private pickKind(): Kind {
    let x = this.random() * TOTAL_WEIGHT;
    for (const [kind, weight] of MIX) {
      x -= weight;
      if (x < 0) return kind;
    }
    return "ok";
  }

  private start(slot: Slot, frame: number): void {
    const kind = this.pickKind();
    const size = Math.floor(this.random() * 4096);
    const node = slot.node;
    node.timeout = kind === "timeout" ? 0.02 : 10;
    node.downloadFile = kind === "download" || kind === "cancel-download" ? slot.file : "";
    const base = `http://127.0.0.1:${this.port}`;
    const url = {
      ok: `${base}/ok/${size}`,
      gz: `${base}/gz`,
      redirect: `${base}/redirect/${size}`,
      download: `${base}/ok/${size}`,
      refused: `http://127.0.0.1:${this.refusedPort}/`,
      reset: `${base}/reset`,
      bad: `${base}/bad`,
      timeout: `${base}/hang`,
      cancel: `${base}/hang`,
      exit: `${base}/partial/${size + 1}`,
      "cancel-download": `${base}/partial/${size + 1}`,
    }[kind];
    const err = node.request(url);
    if (err !== 0) {
      this.problems.push(`${kind}: request() returned ${err}: ${node.getErrorReason()}`);
      return;
    }
    this.started++;
    slot.op = { kind, size, startFrame: frame, cancelAfter: 1 + Math.floor(this.random() * 3) };
  }

  private stop(slot: Slot, kind: Kind): void {
    if (kind === "exit") {
      this.holder.removeChild(slot.node);
      this.holder.addChild(slot.node);
    } else {
      slot.node.cancelRequest();
    }
    // Released at once: no temporary file of this slot is left, before any further tick.
    const name = `.slot${this.slots.indexOf(slot)}.bin.`;
    const left = fs.readdirSync(this.dir).filter((f) => f.startsWith(name) && f.endsWith(".part"));
    if (left.length > 0) this.problems.push(`${kind}: temporary file left after cancel: ${left.join(", ")}`);
    this.finish(slot, `${kind} stopped`);
  }

  private completed(slot: Slot, result: Result, code: number, body: Uint8Array): void {
    const op = slot.op;
    if (op === null) {
      this.problems.push(`completion ${resultName(result)} with no op running (after a cancel?)`);
      return;
    }
    const name = resultName(result);
    const expectOk = (bodyLength: number): void => {
      if (result !== Result.RESULT_SUCCESS || code !== 200 || body.length !== bodyLength) {
        this.problems.push(`${op.kind}: ${name} ${code} ${body.length} bytes, reason ${slot.node.getErrorReason()}`);
      }
    };
    switch (op.kind) {
      case "ok":
      case "redirect":
        expectOk(op.size);
        break;
      case "gz":
        expectOk(GZ_TEXT.length);
        break;
      case "download":
        expectOk(0);
        if (fs.statSync(slot.file).size !== op.size)
          this.problems.push(`download: file has ${fs.statSync(slot.file).size} bytes, not ${op.size}`);
        break;
      case "refused":
        if (result !== Result.RESULT_CANT_CONNECT) this.problems.push(`refused: ${name}`);
        break;
      case "reset":
        if (result !== Result.RESULT_NO_RESPONSE && result !== Result.RESULT_CONNECTION_ERROR) this.problems.push(`reset: ${name}`);
        break;
      case "bad":
      case "timeout":
        if (result !== (op.kind === "timeout" ? Result.RESULT_TIMEOUT : Result.RESULT_CONNECTION_ERROR)) {
          this.problems.push(`${op.kind}: ${name} ${slot.node.getErrorReason()}`);
        }
        break;
      default:
        this.problems.push(`${op.kind}: completed with ${name} although it was to be stopped`);
    }
    this.finish(slot, `${op.kind} ${name}`);
  }

  private finish(slot: Slot, outcome: string): void {
    slot.op = null;
    this.done++;
    this.counts[outcome] = (this.counts[outcome] ?? 0) + 1;
  }
}

describe("soak: 10,000 mixed requests through one tree", () => {
  let server: SoakServer;
  let dir: string;
  beforeAll(async () => {
    server = await startSoakServer();
    dir = fs.mkdtempSync(join(tmpdir(), "poll-http-soak-"));
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("leaves no socket, timer, file descriptor or temporary file, and the heap returns to its level", async () => {
    const refusedPort = await getRefusedPort();
    const before: ResourceSnapshot = snapshot();
    const tree = new SceneTree();
    const driver = new Driver(tree, server.port, refusedPort, dir);
    tree.root.addChild(driver);
    driver.addSlots();
    const run = async (count: number): Promise<number> => {
      driver.plan(count);
      const started = performance.now();
      await runTree(
        tree,
        () => driver.isDone(),
        { mode: "fast", maxTicks: 10_000_000, maxMs: 90_000 },
        () => JSON.stringify(driver.counts),
      );
      return performance.now() - started;
    };
    await run(WARM_UP);
    const warm = snapshot();
    const ms = await run(REQUESTS);
    const after = snapshot();
    expect(driver.problems.slice(0, 20)).toEqual([]);
    // Every node leaves the tree: kept-alive connections close; then the server sees them all closed.
    tree.root.removeChild(driver.holder);
    tree.root.removeChild(driver);
    await waitUntil(() => server.open() === 0, "the server to see every connection closed", 5000);
    const end = snapshot();
    const leftFiles = fs.readdirSync(dir).filter((f) => !/^slot\d+\.bin$/.test(f));
    const figures = {
      requests: REQUESTS + WARM_UP,
      ms: Math.round(ms),
      connections: server.accepted(),
      fds: [before.fds, end.fds],
      heapMiB: [warm.heapUsed, after.heapUsed].map((b) => +(b / 2 ** 20).toFixed(2)),
      active: end.active,
      counts: driver.counts,
    };
    console.log(`soak figures: ${JSON.stringify(figures)}`);
    expect(leftFiles).toEqual([]);
    expect(grownResources(before, end)).toEqual({});
    expect(end.fds).toBeLessThanOrEqual(before.fds);
    expect(after.heapUsed - warm.heapUsed).toBeLessThan(HEAP_MARGIN);
    expect(Object.keys(driver.counts).length).toBeGreaterThanOrEqual(MIX.length);
  }, 120_000);
});
