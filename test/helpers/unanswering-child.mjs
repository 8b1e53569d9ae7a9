// A listening socket that never accepts, for tests of a connect that is never answered. It listens
// on 127.0.0.1 port 0 with a backlog of 1, prints the port, then blocks its only thread forever
// (Atomics.wait), so nothing ever accepts. Once the kernel's accept queue holds its two connections
// (backlog + 1 on Linux), the SYN of any further connect is dropped: that connect stays pending.
// The parent stops it by its pid.
import { createServer } from "node:net";
import { writeSync } from "node:fs";

const server = createServer(() => undefined);
server.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => {
  writeSync(1, `${server.address().port}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
});
