import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import busboy from "busboy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMultipartBody, Err, Method, Result } from "../../src/index.ts";
import { makeTree, runUntilComplete } from "./loopback-helpers.ts";

const PAYLOAD = randomBytes(3 * 1024 * 1024 + 17);
const sri = (algorithm: "sha256" | "sha384" | "sha512", data: Uint8Array): string =>
  `${algorithm}-${createHash(algorithm).update(data).digest("base64")}`;

interface ParsedForm {
  fields: Record<string, string>;
  files: Array<{ name: string; filename: string; mimeType: string; sha256: string; size: number }>;
}

let server: Server;
let origin = "";
let dir = "";
const forms: ParsedForm[] = [];

function parseForm(req: IncomingMessage): Promise<ParsedForm> {
  return new Promise((resolve, reject) => {
    const form: ParsedForm = { fields: {}, files: [] };
    const parser = busboy({ headers: req.headers });
    parser.on("field", (name, value) => {
      form.fields[name] = value;
    });
    parser.on("file", (name, stream, info) => {
      const hash = createHash("sha256");
      let size = 0;
      stream.on("data", (chunk: Buffer) => {
        hash.update(chunk);
        size += chunk.length;
      });
      stream.on("end", () =>
        form.files.push({ name, filename: info.filename ?? "", mimeType: info.mimeType, sha256: hash.digest("hex"), size }),
      );
    });
    parser.on("close", () => resolve(form));
    parser.on("error", reject);
    req.pipe(parser);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "poll-http-sri-"));
  server = createServer((req, res) => {
    if (req.url === "/payload") {
      res.writeHead(200, { "Content-Length": PAYLOAD.length });
      res.end(PAYLOAD);
    } else if (req.url === "/upload") {
      parseForm(req).then(
        (form) => {
          forms.push(form);
          res.writeHead(200, { "Content-Type": "application/json" });
          res.end(JSON.stringify({ received: req.headers["content-length"] ?? "chunked" }));
        },
        (error: unknown) => {
          res.writeHead(400);
          res.end(String(error));
        },
      );
    } else {
      res.writeHead(404, { "Content-Length": 0 });
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("Subresource integrity over loopback", () => {
  it("a matching hash (any of several, strongest algorithm) succeeds with the body", async () => {
    const { node } = makeTree();
    const wrong384 = `sha384-${Buffer.alloc(48).toString("base64")}`;
    const metadata = `${sri("sha256", PAYLOAD)} ${wrong384} ${sri("sha512", PAYLOAD)}`;
    expect(node.request(`${origin}/payload`, [], Method.METHOD_GET, "", { integrity: metadata })).toBe(Err.OK);
    const done = await runUntilComplete(node);
    expect(done.result, node.getErrorReason()).toBe(Result.RESULT_SUCCESS);
    expect(Buffer.from(done.body).equals(PAYLOAD)).toBe(true);
  });

  it("a mismatch fails with a clear reason, and with downloadFile leaves no file (and keeps an existing one)", async () => {
    const { node } = makeTree();
    const target = join(dir, "payload.bin");
    writeFileSync(target, "previous contents");
    node.downloadFile = target;
    const other = sri("sha256", Buffer.from("something else"));
    expect(node.request(`${origin}/payload`, [], Method.METHOD_GET, "", { integrity: other })).toBe(Err.OK);
    const done = await runUntilComplete(node);
    expect([done.result, done.code, done.body.length]).toEqual([Result.RESULT_REQUEST_FAILED, 200, 0]);
    expect(node.getErrorReason()).toMatch(/^integrity check failed/);
    expect(readFileSync(target, "utf8")).toBe("previous contents");
    expect(readdirSync(dir).filter((f) => f.endsWith(".part"))).toEqual([]);
    rmSync(target);
    node.downloadFile = join(dir, "fresh.bin");
    node.request(`${origin}/payload`, [], Method.METHOD_GET, "", { integrity: other });
    expect((await runUntilComplete(node)).result).toBe(Result.RESULT_REQUEST_FAILED);
    expect(existsSync(join(dir, "fresh.bin"))).toBe(false);
  });

  it("metadata without a usable hash is refused by request()", () => {
    const { node } = makeTree();
    expect(node.request(`${origin}/payload`, [], Method.METHOD_GET, "", { integrity: "md5-abc" })).toBe(Err.ERR_INVALID_PARAMETER);
    expect(node.getErrorReason()).toContain("integrity");
  });
});

describe("multipart/form-data over loopback, parsed by busboy", () => {
  it("fields and files (in memory and streamed from disk) arrive intact with a Content-Length", async () => {
    const filePath = join(dir, "level.dat");
    const fileBytes = randomBytes(2 * 1024 * 1024 + 3);
    writeFileSync(filePath, fileBytes);
    const small = Buffer.from([0, 1, 2, 255, 13, 10, 45, 45]);
    const made = createMultipartBody([
      { name: "player", data: "Ada Lovelace" },
      { name: "note", data: "ünïcødé ✓" },
      { name: "avatar", data: small, remoteFileName: "avatar.png", contentType: "image/png" },
      { name: "save", filePath },
    ]);
    if (!made.ok) throw new Error(made.reason);
    const { node } = makeTree();
    expect(made.body.length).toBeGreaterThan(fileBytes.length);
    const err = node.request(`${origin}/upload`, [`Content-Type: ${made.contentType}`], Method.METHOD_POST, made.body);
    expect(err, node.getErrorReason()).toBe(Err.OK);
    const done = await runUntilComplete(node);
    expect([done.result, done.code], node.getErrorReason()).toEqual([Result.RESULT_SUCCESS, 200]);
    expect(JSON.parse(Buffer.from(done.body).toString())).toEqual({ received: String(made.body.length) });
    const form = forms.at(-1);
    expect(form?.fields).toEqual({ player: "Ada Lovelace", note: "ünïcødé ✓" });
    const hash = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
    expect(form?.files).toEqual([
      { name: "avatar", filename: "avatar.png", mimeType: "image/png", sha256: hash(small), size: small.length },
      { name: "save", filename: "level.dat", mimeType: "application/octet-stream", sha256: hash(fileBytes), size: fileBytes.length },
    ]);
  });
});
