// W1c, chained requests at a fixed frame rate: a game asks for the next thing as soon as the last
// answer is in. poll-http: an HTTPRequest node re-requesting from its requestCompleted listener
// under TreeRunner fixed 60 fps (the request goes out in the tick that completed the last one);
// undici: the next request started by the first frame that sees the last promise resolved. Both
// on one kept-alive connection to the bench server; the measure is frames per request (the floor
// is 1: send in a frame, read the answer in the next).
import type { Client as UndiciClient } from "undici";
import { Err, HTTPRequest, Node, Result, SceneTree, TreeRunner } from "../src/index.ts";
import { addSample, type Column, formatTable, newRow, type Row, withTimeout } from "./measure.ts";
import { loadUndici, undiciInstalled } from "./undici-peer.ts";

/** Settings of a W1c run. */
export interface W1cOptions {
  readonly port: number;
  /** Chained requests per run (after 10 unmeasured ones on the same connection). */
  readonly requests: number;
  readonly runs: number;
  readonly fps: number;
}

/** Frames of the 60 fps timeline that `requests` chained requests took, after a warm-up on the same connection. */
async function pollChained(port: number, requests: number, fps: number): Promise<number> {
  const tree = new SceneTree();
  const request = new HTTPRequest();
  tree.root.addChild(request);
  const runner = new TreeRunner(tree, { mode: "fixed", fps });
  const warmup = 10;
  let done = 0;
  let startFrame = 0;
  let failure = "";
  request.requestCompleted.connect((result, code) => {
    if (result !== Result.RESULT_SUCCESS || code !== 200) {
      failure = `result ${result}, code ${code}: ${request.getErrorReason()}`;
      runner.stop();
      return;
    }
    done++;
    if (done === warmup) startFrame = tree.getFrame();
    if (done === warmup + requests) runner.stop();
    else request.request(`http://127.0.0.1:${port}/small`);
  });
  if (request.request(`http://127.0.0.1:${port}/small`) !== Err.OK) throw new Error(request.getErrorReason());
  runner.start();
  await runner.whenStopped();
  const frames = tree.getFrame() - startFrame;
  request.queueFree();
  tree.process(0);
  if (failure !== "") throw new Error(failure);
  return frames;
}

/** A node that calls `onFrame` every frame. */
class FrameHook extends Node {
  onFrame: () => void = () => {};
  override _process(): void {
    this.onFrame();
  }
}

async function undiciChained(port: number, requests: number, fps: number): Promise<number> {
  const { Client } = await loadUndici();
  const client: UndiciClient = new Client(`http://127.0.0.1:${port}`);
  const tree = new SceneTree();
  const hook = new FrameHook();
  tree.root.addChild(hook);
  const runner = new TreeRunner(tree, { mode: "fixed", fps });
  const warmup = 10;
  let done = 0;
  let inFlight = false;
  let ready = false;
  let startFrame = 0;
  let failure: unknown = null;
  const get = (): void => {
    inFlight = true;
    ready = false;
    client
      .request({ path: "/small", method: "GET" })
      .then(async ({ statusCode, body }) => {
        await body.arrayBuffer();
        if (statusCode !== 200) throw new Error(`status ${statusCode}`);
        ready = true;
      })
      .catch((error: unknown) => {
        failure = error;
        ready = true;
      });
  };
  hook.onFrame = () => {
    if (failure !== null) return runner.stop();
    if (!inFlight) return get();
    if (!ready) return;
    done++;
    if (done === warmup) startFrame = tree.getFrame();
    if (done === warmup + requests) return runner.stop();
    get(); // the next request, from the frame that saw the answer
  };
  runner.start();
  await runner.whenStopped();
  await client.close();
  if (failure !== null) throw failure;
  return tree.getFrame() - startFrame;
}

const COLUMNS: readonly Column[] = [
  { title: "frames / request", key: "fpr", digits: 3, higherIsBetter: false, ratio: true },
  { title: "requests / s at 60 fps", key: "rps", digits: 1, higherIsBetter: true, ratio: false },
];

/**
 * Runs W1c: poll-http and undici alternately, `runs` times each.
 *
 * @returns The printed table and its rows.
 */
export async function runW1c(options: W1cOptions): Promise<{ text: string; rows: Row[] }> {
  const clients: Array<{ name: string; run: () => Promise<number> }> = [
    { name: "poll-http", run: () => pollChained(options.port, options.requests, options.fps) },
  ];
  if (undiciInstalled()) clients.push({ name: "undici", run: () => undiciChained(options.port, options.requests, options.fps) });
  const rows = clients.map((c) => newRow(c.name));
  for (let run = 0; run < options.runs; run++) {
    for (let k = 0; k < clients.length; k++) {
      const i = (k + run) % clients.length;
      const client = clients[i];
      const row = rows[i];
      if (client === undefined || row === undefined) continue;
      try {
        const frames = await withTimeout(client.run(), 60_000, `W1c ${client.name}`);
        addSample(row, "fpr", frames / options.requests);
        addSample(row, "rps", (options.requests * options.fps) / frames);
      } catch (error) {
        row.note = `FAILED: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
  }
  const title = `W1c chained (bench server): ${options.requests} sequential keep-alive GETs, each started from the frame that completed the last, TreeRunner fixed ${options.fps} fps (median of ${options.runs}; target: poll-http ≤ 1.05 frames per request)`;
  return { text: formatTable(title, COLUMNS, rows), rows };
}
