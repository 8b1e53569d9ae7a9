/**
 * A loopback HTTP server that asks for Digest authentication (RFC 7616) and checks every answer
 * itself: the response hash for the user's password, a nonce it issued, `qop=auth`, and a nonce
 * count that only goes up (a replayed `nc` is refused). It counts requests and connections, and
 * records each `Authorization` it saw, so a test can compare this client with `curl --digest`.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** The Digest algorithms the server can ask for. */
export type DigestAlgorithm = "MD5" | "SHA-256" | "MD5-sess" | "SHA-256-sess";

/** A running Digest server. */
export interface DigestServer {
  /** `http://127.0.0.1:port`. */
  readonly origin: string;
  /** Requests received. */
  readonly requests: number;
  /** Connections accepted. */
  readonly connections: number;
  /** Every `Authorization` header received, in order. */
  readonly authorizations: readonly string[];
  /** Answers accepted (200) and refused (401 after an `Authorization`). */
  readonly accepted: number;
  readonly refused: number;
  /** Stops the server and destroys its sockets. */
  close(): Promise<void>;
}

/** Options of {@link startDigestServer}. */
export interface DigestServerOptions {
  /** The algorithm asked for. Default MD5. */
  readonly algorithm?: DigestAlgorithm;
  /** The realm. Default `"digest-area"`. */
  readonly realm?: string;
  /** The users and their passwords. */
  readonly users: Readonly<Record<string, string>>;
}

/** The auth-params of an `Authorization: Digest …` value (names lower-cased, values unquoted). */
function parseParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let m = re.exec(value); m !== null; m = re.exec(value)) {
    params.set((m[1] ?? "").toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : (m[3] ?? ""));
  }
  return params;
}

/**
 * Starts the server on 127.0.0.1, port 0. Every path answers `200 welcome <user>` to a valid Digest
 * answer and `401` with a fresh challenge otherwise.
 *
 * @param options - Algorithm, realm, users.
 * @returns The running server.
 */
export async function startDigestServer(options: DigestServerOptions): Promise<DigestServer> {
  const algorithm = options.algorithm ?? "MD5";
  const realm = options.realm ?? "digest-area";
  const hashName = algorithm.startsWith("SHA-256") ? "sha256" : "md5";
  const h = (text: string): string => createHash(hashName).update(text, "utf8").digest("hex");
  const opaque = randomBytes(8).toString("hex");
  /** Issued nonces and the highest nonce count seen for each. */
  const nonces = new Map<string, number>();
  const sockets = new Set<Socket>();
  const authorizations: string[] = [];
  const counts = { requests: 0, connections: 0, accepted: 0, refused: 0 };

  const verify = (req: IncomingMessage, value: string): string | null => {
    if (!/^digest\s/i.test(value)) return null;
    const p = parseParams(value.slice(7));
    const user = p.get("username") ?? "";
    const password = options.users[user];
    const nonce = p.get("nonce") ?? "";
    const last = nonces.get(nonce);
    if (password === undefined || last === undefined || p.get("realm") !== realm || p.get("uri") !== req.url) return null;
    if ((p.get("algorithm") ?? "MD5").toLowerCase() !== algorithm.toLowerCase() || p.get("opaque") !== opaque) return null;
    if (p.get("qop") !== "auth") return null;
    const nc = Number.parseInt(p.get("nc") ?? "", 16);
    const cnonce = p.get("cnonce") ?? "";
    if (!Number.isInteger(nc) || nc <= last || cnonce === "") return null; // a replayed or missing count
    let ha1 = h(`${user}:${realm}:${password}`);
    if (algorithm.endsWith("-sess")) ha1 = h(`${ha1}:${nonce}:${cnonce}`);
    const ha2 = h(`${req.method ?? "GET"}:${req.url ?? ""}`);
    if (p.get("response") !== h(`${ha1}:${nonce}:${p.get("nc") ?? ""}:${cnonce}:auth:${ha2}`)) return null;
    nonces.set(nonce, nc);
    return user;
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    counts.requests++;
    req.resume();
    req.on("end", () => {
      const value = req.headers.authorization;
      if (value !== undefined) authorizations.push(value);
      const user = value === undefined ? null : verify(req, value);
      if (user !== null) {
        counts.accepted++;
        res.writeHead(200, { "Content-Type": "text/plain" }).end(`welcome ${user}`);
        return;
      }
      if (value !== undefined) counts.refused++;
      const nonce = randomBytes(12).toString("hex");
      nonces.set(nonce, 0);
      res
        .writeHead(401, {
          "WWW-Authenticate": `Digest realm="${realm}", qop="auth", algorithm=${algorithm}, nonce="${nonce}", opaque="${opaque}"`,
          "Content-Type": "text/plain",
        })
        .end("who are you?");
    });
  });
  server.on("connection", (socket: Socket) => {
    counts.connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    origin: `http://127.0.0.1:${address.port}`,
    get requests() {
      return counts.requests;
    },
    get connections() {
      return counts.connections;
    },
    get accepted() {
      return counts.accepted;
    },
    get refused() {
      return counts.refused;
    },
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
