// What the client loopback tests share: a scripted answering server and a tracked client.
import { HTTPClient } from "../../src/index.ts";
import { serveRequests } from "../helpers/client-driver.ts";
import { startTcpServer, type LoopbackServer } from "../helpers/loopback-server.ts";
import type { Closable } from "../helpers/cleanup.ts";

/**
 * Returns `server(answer)` (a loopback server answering each request with `answer`) and
 * `newClient()`, both closed after the test by `track`.
 */
export function loopbackKit(track: <T extends Closable>(thing: T) => T): {
  server: (answer: Parameters<typeof serveRequests>[1]) => Promise<LoopbackServer>;
  newClient: () => HTTPClient;
} {
  return {
    server: async (answer) => track(await startTcpServer((socket) => serveRequests(socket, answer))),
    newClient: () => track(new HTTPClient()),
  };
}
