// Child script of leaks-and-exit.test.ts, run as `node scripts/run-ts.mjs test/threaded/exit-child.ts
// MODE PORT`. Its only work is one request through the threaded network (HTTPRequest.useThreads)
// against the test's server, which answers late with keep-alive and never closes the connection.
// It prints the result and `done`, then simply returns: no queueFree(), no close(). The test
// asserts that the process exits by itself soon after `done`.
//
// Modes:
//   sync     a plain `while` over tree.process(1 / 60): no event-loop turn until the end
//   runner   a TreeRunner as-fast-as-possible, woken by the network thread; stopped from
//            requestCompleted (while the answer is late, only the network thread keeps the
//            process alive)
import { HTTPRequest, SceneTree, TreeRunner, type RequestCompletedArgs } from "../../src/index.ts";

const [mode = "", portText = ""] = process.argv.slice(2);
const tree = new SceneTree();
const req = new HTTPRequest();
req.setUseThreads(true);
tree.root.addChild(req);
let completed: RequestCompletedArgs | null = null;
const report = (...args: RequestCompletedArgs): void => {
  completed = args;
  console.log(`completed ${args[0]} ${args[1]} ${new TextDecoder().decode(args[3])}`);
};
req.requestCompleted.connect(report);
if (req.request(`http://127.0.0.1:${portText}/only`) !== 0) throw new Error(req.getErrorReason());

if (mode === "sync") {
  while (completed === null) tree.process(1 / 60);
  console.log("done");
} else if (mode === "runner") {
  const runner = new TreeRunner(tree, { mode: "as-fast-as-possible" });
  req.requestCompleted.connect(() => {
    runner.stop();
    console.log("done");
  });
  runner.start();
} else {
  throw new Error(`unknown mode ${mode}`);
}
