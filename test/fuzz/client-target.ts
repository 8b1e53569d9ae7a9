/**
 * Fuzz target (b): {@link HTTPClient} over a {@link ScriptedNetwork}. One request (GET, or HEAD
 * when the case says so) on a fresh connection; the case's bytes arrive in the pieces of a split,
 * each followed by `poll()` and reads of every body byte there; then the server closes, resets or
 * stays open. Checks:
 * - `poll()` and the reads never throw, and no failure is an "internal error" (a caught exception);
 * - after a close or reset the client is in a terminal status (DISCONNECTED or CONNECTION_ERROR);
 *   while the server stays open it is terminal, idle (CONNECTED) or waiting in REQUESTING/BODY;
 * - every split gives the same status sequence, response (interim responses, code, headers,
 *   trailers), body bytes, final status, error reason and error code.
 *
 * Status sequences are compared with consecutive repeats removed and an idle `CONNECTED`
 * directly followed by `DISCONNECTED` folded into `DISCONNECTED`: when a response ends exactly at a
 * piece boundary the connection is idle (and reusable) until the next piece shows stray bytes or
 * the close, while with those bytes already there it is dropped at once. Both end the same way;
 * the fold keeps that timing out of the comparison. For the same reason the reason text of a
 * plain DISCONNECTED is not compared (it names which of the two was seen).
 */
import { HTTPClient } from "../../src/client/http-client.ts";
import { ScriptedNetwork } from "../../src/client/scripted-network.ts";
import { Err } from "../../src/status/err.ts";
import { Method } from "../../src/status/method.ts";
import { Status, statusName } from "../../src/status/status.ts";
import type { FuzzCase } from "./generate.ts";
import { PropertyFailure, sameOnEverySplit } from "./parser-target.ts";

/** How a client run ended: its final status name. */
export type ClientTerminal = string;

interface ClientRun {
  readonly lines: readonly string[];
  readonly terminal: ClientTerminal;
}

const WAITING: ReadonlySet<Status> = new Set<Status>([Status.STATUS_REQUESTING, Status.STATUS_BODY, Status.STATUS_CONNECTED]);
const ENDED: ReadonlySet<Status> = new Set<Status>([Status.STATUS_DISCONNECTED, Status.STATUS_CONNECTION_ERROR]);
const text = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");

/**
 * Runs one request over `pieces`.
 *
 * @throws PropertyFailure when an invariant breaks (exceptions of the client pass through).
 */
export function runClient(c: FuzzCase, pieces: readonly Uint8Array[]): ClientRun {
  const network = new ScriptedNetwork().addHost("fuzz.test", ["10.0.0.1"]);
  network.autoAccept = true;
  const client = new HTTPClient({ network, maxHeadBytes: c.maxHeadBytes, maxHeaderCount: c.maxHeaderCount });
  if (client.connectToHost("fuzz.test", 80) !== Err.OK) throw new PropertyFailure(`connectToHost: ${client.getErrorReason()}`);
  if (client.getStatus() !== Status.STATUS_CONNECTED) client.poll();
  const head = c.headRequests[0] === true;
  if (client.request(head ? Method.METHOD_HEAD : Method.METHOD_GET, "/fuzz", []) !== Err.OK) {
    throw new PropertyFailure(`request: ${client.getErrorReason()}`);
  }
  const peer = network.connections[0];
  if (peer === undefined) throw new PropertyFailure("no connection opened");
  const statuses: Status[] = [client.getStatus()];
  let body = "";
  const note = (): void => {
    const s = client.getStatus();
    if (statuses[statuses.length - 1] !== s) statuses.push(s);
  };
  // Each round polls once and reads until no byte is waiting; a few rounds settle every state.
  const guard = c.bytes.length + 64;
  const drive = (): void => {
    for (let round = 0; round < 4; round++) {
      const before = `${client.getStatus()} ${body.length}`;
      const err = client.poll();
      if (err !== Err.OK && !ENDED.has(client.getStatus()) && client.getStatus() !== Status.STATUS_DISCONNECTED) {
        throw new PropertyFailure(`poll() returned ${err} in status ${statusName(client.getStatus())}`);
      }
      note();
      for (let reads = 0; client.getStatus() === Status.STATUS_BODY; reads++) {
        if (reads > guard) throw new PropertyFailure(`more than ${guard} body reads for ${c.bytes.length} bytes`);
        const piece = client.readResponseBodyPiece(c.maxDataBytes);
        note();
        if (piece.length === 0) break;
        if (piece.length > c.maxDataBytes) throw new PropertyFailure(`read ${piece.length} bytes, asked at most ${c.maxDataBytes}`);
        body += text(piece);
      }
      if (`${client.getStatus()} ${body.length}` === before) break;
    }
  };
  drive();
  peer.takeOutgoing();
  for (const piece of pieces) {
    peer.pushIncoming(piece);
    drive();
  }
  if (c.ending === "end") peer.pushEnd();
  if (c.ending === "reset") peer.pushError("connection reset by peer", "ECONNRESET");
  drive();
  const status = client.getStatus();
  if (c.ending !== "open" && !ENDED.has(status)) throw new PropertyFailure(`server closed but the client is in ${statusName(status)}`);
  if (!ENDED.has(status) && !WAITING.has(status)) throw new PropertyFailure(`unexpected status ${statusName(status)}`);
  const reason = client.getErrorReason();
  if (/internal error/.test(reason)) throw new PropertyFailure(`caught exception: ${reason}`);
  if (ENDED.has(status) && !peer.isClosed() && status === Status.STATUS_CONNECTION_ERROR) {
    throw new PropertyFailure("CONNECTION_ERROR but the connection was not closed");
  }
  const folded: string[] = [];
  for (const s of statuses) {
    const name = statusName(s);
    if (name === "STATUS_DISCONNECTED" && folded[folded.length - 1] === "STATUS_CONNECTED") folded.pop();
    if (folded[folded.length - 1] !== name) folded.push(name);
  }
  const lines = [
    `statuses ${folded.join(" ")}`,
    `interim ${JSON.stringify(client.getInformationalResponses())}`,
    `response ${client.hasResponse()} ${client.getResponseCode()} ${JSON.stringify(client.getResponseHeaders())}`,
    `framing length=${client.getResponseBodyLength()} chunked=${client.isResponseChunked()}`,
    `body ${JSON.stringify(body)} read=${client.getResponseBodyBytesRead()}`,
    `trailers ${JSON.stringify(client.getResponseTrailers())}`,
    `final ${statusName(status)} code=${client.getResponseErrorCode()}`,
    status === Status.STATUS_CONNECTION_ERROR ? `reason ${reason}` : "reason -",
  ];
  client.close();
  if (!peer.isClosed()) throw new PropertyFailure("close() left the connection open");
  return { lines, terminal: statusName(status) };
}

/**
 * Checks one case on the client over the whole input, byte by byte and `randomSplits` random cuts.
 *
 * @returns The final status name of the whole-input run.
 * @throws PropertyFailure (or whatever escaped the client) when a property breaks.
 */
export function checkClientCase(c: FuzzCase, randomSplits = 2): ClientTerminal {
  return sameOnEverySplit(c, randomSplits, runClient)?.terminal ?? "";
}
