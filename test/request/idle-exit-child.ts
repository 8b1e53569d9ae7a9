// Child script of idle-exit.test.ts, run as `node scripts/run-ts.mjs test/request/idle-exit-child.ts
// MODE PORT`. It makes keep-alive requests against the test's server, which never closes an idle
// connection, prints one line per completed request and then a `done` line, and then simply
// returns: no queueFree(), no close(). The test asserts that the process exits soon after `done`
// (an idle kept connection does not keep it alive) and that a request in flight is never cut off.
//
// Modes:
//   tree        one request by an HTTPRequest in a SceneTree, TreeRunner as-fast-as-possible,
//               stopped from requestCompleted
//   tree-https  the same over TLS (the test's fixture CA)
//   client      an HTTPClient driven only by its activity listener (no timer of its own): two
//               requests on one connection, the second sent from the first's completion, so the
//               only thing keeping the process alive while the server delays an answer is the
//               connection itself
import { readFileSync } from "node:fs";
import { Err, HTTPClient, HTTPRequest, Method, Result, SceneTree, Status, TLSOptions, TreeRunner } from "../../src/index.ts";

const [mode = "", portText = ""] = process.argv.slice(2);
const port = Number(portText);

function tree(https: boolean): void {
  const sceneTree = new SceneTree();
  const request = new HTTPRequest();
  sceneTree.root.addChild(request);
  if (https) request.setTlsOptions(TLSOptions.client(readFileSync("test/fixtures/tls/ca.pem", "utf8")));
  const runner = new TreeRunner(sceneTree, { mode: "as-fast-as-possible" });
  request.requestCompleted.connect((result, code, _headers, body) => {
    console.log(
      `completed ${result === Result.RESULT_SUCCESS ? "ok" : `result ${result}: ${request.getErrorReason()}`} ${code} ${Buffer.from(body).toString()}`,
    );
    console.log(`kept ${request.getHttpClientStatus() === Status.STATUS_CONNECTED ? "connected" : "closed"}`);
    runner.stop();
    console.log("done");
  });
  const url = `${https ? "https" : "http"}://localhost:${port}/`;
  if (request.request(url) !== Err.OK) throw new Error(request.getErrorReason());
  if (runner.start() !== Err.OK) throw new Error(runner.getLastError());
}

function client(): void {
  const c = new HTTPClient();
  let sent = 0;
  let body = "";
  const step = (): void => {
    c.poll();
    let status = c.getStatus();
    if (status === Status.STATUS_BODY) {
      for (let piece = c.readResponseBodyPiece(); piece.length > 0; piece = c.readResponseBodyPiece())
        body += Buffer.from(piece).toString();
      status = c.getStatus();
    }
    if (status === Status.STATUS_CONNECTED) {
      if (sent > 0) {
        console.log(`completed ok ${c.getResponseCode()} ${body}`);
        body = "";
      }
      if (sent === 2) {
        c.setActivityListener(null);
        console.log("kept connected");
        console.log("done");
        return;
      }
      sent++;
      if (c.request(Method.METHOD_GET, `/${sent}`, []) !== Err.OK) throw new Error(c.getErrorReason());
      c.poll(); // writes it
    } else if (
      status !== Status.STATUS_CONNECTING &&
      status !== Status.STATUS_RESOLVING &&
      status !== Status.STATUS_REQUESTING &&
      status !== Status.STATUS_BODY
    ) {
      console.log(`failed: status ${status}: ${c.getErrorReason()}`);
      c.setActivityListener(null);
    }
  };
  c.setActivityListener(() => queueMicrotask(step));
  if (c.connectToHost("127.0.0.1", port) !== Err.OK) throw new Error(c.getErrorReason());
}

if (mode === "tree") tree(false);
else if (mode === "tree-https") tree(true);
else if (mode === "client") client();
else throw new Error(`unknown mode ${mode}`);
