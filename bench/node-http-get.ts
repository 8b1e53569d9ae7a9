// The node:http peer's request: GET a path through an agent and count the body bytes.
import { get as httpGet, type Agent } from "node:http";

/** GETs `path` from 127.0.0.1:`port` through `agent`; resolves with the number of body bytes. */
export function countingGet(port: number, path: string, agent: Agent): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = httpGet({ host: "127.0.0.1", port, path, agent }, (res) => {
      let n = 0;
      res.on("data", (chunk: Buffer) => {
        n += chunk.length;
      });
      res.on("end", () => resolve(n));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}
