/**
 * HTTPClient against real loopback sockets: host names and address families — `localhost` in
 * whatever order the system resolves it, the IPv6 literal `[::1]`, and falling back to the next
 * address when the first refuses.
 */
import { lookup } from "node:dns/promises";
import { createServer, type Server, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import {
  Err,
  HTTPClient,
  Method,
  NodeNetwork,
  Status,
  type Network,
  type PendingLookup,
  type ResolvedAddress,
  type StreamPeer,
  type TlsConnectOptions,
} from "../../src/index.ts";
import { connect, pollUntil, readBody, requestAndWait, serveRequests, TERMINAL } from "../helpers/client-driver.ts";
import { getRefusedPort, writeResponse, type RequestHead } from "../helpers/loopback-server.ts";
import { cleanupAfterEach } from "../helpers/cleanup.ts";

const track = cleanupAfterEach().track;

interface EchoServer {
  readonly port: number;
  readonly heads: RequestHead[];
  close(): Promise<void>;
}

/** An HTTP server on `address` (port 0) that answers each request with its own request line; rejects when it cannot listen. */
async function listenOn(address: string): Promise<EchoServer> {
  const sockets = new Set<Socket>();
  const heads: RequestHead[] = [];
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    serveRequests(socket, (request, _index, s) => {
      heads.push(request);
      writeResponse(s, { body: request.requestLine });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, address, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address();
  if (bound === null || typeof bound === "string") throw new Error("no port");
  return {
    port: bound.port,
    heads,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A NodeNetwork whose name lookups answer a fixed address list, in the given order. */
class FixedAddressNetwork implements Network {
  readonly #inner = new NodeNetwork();
  readonly #addresses: readonly ResolvedAddress[];
  /** Every address connect() was asked for, in order. */
  readonly attempts: string[] = [];

  constructor(addresses: readonly ResolvedAddress[]) {
    this.#addresses = addresses;
  }

  resolve(host: string): PendingLookup {
    const addresses = this.#addresses;
    return { host, getState: () => "done", getAddresses: () => addresses, getError: () => "", cancel: () => undefined };
  }

  connect(address: ResolvedAddress, port: number): StreamPeer {
    this.attempts.push(address.address);
    return this.#inner.connect(address, port);
  }

  startTls(peer: StreamPeer, options: TlsConnectOptions): StreamPeer {
    return this.#inner.startTls(peer, options);
  }
}

describe("HTTPClient over loopback: names and address families", () => {
  it("connects to localhost whatever address order the system gives, with Host: localhost:port", async () => {
    const resolved = await lookup("localhost", { all: true, order: "verbatim" });
    expect(resolved.length).toBeGreaterThan(0);
    // Listen where the system says localhost is; the client must find it whatever comes first.
    const target = resolved.some((a) => a.address === "127.0.0.1") ? "127.0.0.1" : resolved[0]!.address;
    const srv = track(await listenOn(target));
    const client = track(new HTTPClient());
    expect(client.connectToHost("localhost", srv.port)).toBe(Err.OK);
    expect(client.getStatus()).toBe(Status.STATUS_RESOLVING);
    await pollUntil(client, (s) => s === Status.STATUS_CONNECTED || TERMINAL.has(s), "CONNECTED");
    expect(client.getStatus(), client.getErrorReason()).toBe(Status.STATUS_CONNECTED);
    await requestAndWait(client, Method.METHOD_GET, "/local");
    expect((await readBody(client)).body.toString()).toBe("GET /local HTTP/1.1");
    expect(srv.heads[0]?.headers).toContain(`Host: localhost:${srv.port}`);
  });

  it("connects to the IPv6 literal [::1] with Host: [::1]:port, or fails cleanly with CANT_CONNECT without IPv6 loopback", async () => {
    let srv: EchoServer | null = null;
    try {
      srv = track(await listenOn("::1"));
    } catch {
      srv = null;
    }
    const client = track(new HTTPClient());
    if (srv === null) {
      // No IPv6 loopback on this machine: the client must say so, not hang or throw.
      expect(client.connectToHost("[::1]", await getRefusedPort())).toBe(Err.OK);
      const err = await pollUntil(client, (s) => TERMINAL.has(s), "a terminal status");
      expect(client.getStatus()).toBe(Status.STATUS_CANT_CONNECT);
      expect(err).toBe(Err.ERR_CANT_CONNECT);
      expect(client.getErrorReason()).toMatch(/\[::1\]/);
      return;
    }
    await connect(client, "[::1]", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/six");
    expect((await readBody(client)).body.toString()).toBe("GET /six HTTP/1.1");
    expect(srv.heads[0]?.headers).toContain(`Host: [::1]:${srv.port}`);
    // Without brackets too, and through the http:// prefix.
    await connect(client, "http://::1", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/bare");
    expect((await readBody(client)).body.toString()).toBe("GET /bare HTTP/1.1");
    expect(srv.heads[1]?.headers).toContain(`Host: [::1]:${srv.port}`);
  });

  it("tries the next address when the first one refuses", async () => {
    const srv = track(await listenOn("127.0.0.1"));
    // 127.0.0.2 is loopback on Linux; on other systems it fails in another way, which also moves on.
    const network = new FixedAddressNetwork([
      { address: "127.0.0.2", family: 4 },
      { address: "127.0.0.1", family: 4 },
    ]);
    const client = track(new HTTPClient({ network }));
    await connect(client, "multi.test", srv.port);
    await requestAndWait(client, Method.METHOD_GET, "/second-address");
    expect((await readBody(client)).body.toString()).toBe("GET /second-address HTTP/1.1");
    expect(srv.heads[0]?.headers).toContain(`Host: multi.test:${srv.port}`);
    expect(network.attempts).toEqual(["127.0.0.2", "127.0.0.1"]);
  });

  it("reports CANT_CONNECT with the last address's reason when every address refuses", async () => {
    const port = await getRefusedPort();
    const network = new FixedAddressNetwork([
      { address: "127.0.0.1", family: 4 },
      { address: "127.0.0.1", family: 4 },
    ]);
    const client = track(new HTTPClient({ network }));
    expect(client.connectToHost("multi.test", port)).toBe(Err.OK);
    const err = await pollUntil(client, (s) => TERMINAL.has(s), "a terminal status");
    expect(client.getStatus()).toBe(Status.STATUS_CANT_CONNECT);
    expect(err).toBe(Err.ERR_CANT_CONNECT);
    expect(client.getErrorReason()).toContain(`127.0.0.1:${port}`);
    expect(client.getErrorReason()).toContain("ECONNREFUSED");
    expect(network.attempts).toEqual(["127.0.0.1", "127.0.0.1"]);
  });
});
