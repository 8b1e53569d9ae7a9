import { afterAll, beforeAll, describe, expect, it } from "vitest";
import busboy from "busboy";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BodySource } from "../../src/client/body-source.ts";
import { checkBoundary, createMultipartBody, escapeMultipartName, type MultipartPart } from "../../src/request-node/multipart.ts";
import { prng } from "../helpers/prng.ts";

let dir = "";
beforeAll(() => {
  dir = fs.mkdtempSync(join(tmpdir(), "poll-http-multipart-"));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Parsed {
  fields: { name: string; value: string; mimeType: string }[];
  files: { name: string; filename: string | undefined; mimeType: string; data: Buffer }[];
}

/** Parses a whole multipart body with busboy (a parser nobody here wrote). */
function parse(bytes: Uint8Array, contentType: string): Promise<Parsed> {
  return new Promise((resolve, reject) => {
    const parsed: Parsed = { fields: [], files: [] };
    const bb = busboy({ headers: { "content-type": contentType }, defParamCharset: "utf8", limits: { fieldSize: 16 * 1024 * 1024 } });
    bb.on("field", (name, value, info) => parsed.fields.push({ name, value, mimeType: info.mimeType }));
    bb.on("file", (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => parsed.files.push({ name, filename: info.filename, mimeType: info.mimeType, data: Buffer.concat(chunks) }));
    });
    bb.on("close", () => resolve(parsed));
    bb.on("error", reject);
    bb.end(Buffer.from(bytes));
  });
}

/** Reads a body to its end, copying each piece (views may be reused), with sizes from `size()`. */
function drain(body: BodySource, size: () => number = () => 1 << 20): Buffer {
  let out = Buffer.alloc(64 * 1024);
  let used = 0;
  for (;;) {
    const piece = body.read(size());
    if (piece === null) break;
    if (piece.length === 0) throw new Error("read() returned an empty array from a body that is always ready");
    if (used + piece.length > out.length) {
      const bigger = Buffer.alloc(Math.max(out.length * 2, used + piece.length));
      out.copy(bigger, 0, 0, used);
      out = bigger;
    }
    out.set(piece, used);
    used += piece.length;
  }
  return out.subarray(0, used);
}

function randomBytesSeeded(length: number, seed: number): Buffer {
  const next = prng(seed);
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(next() * 256);
  return out;
}

function build(parts: readonly MultipartPart[], boundary?: string): { body: BodySource; contentType: string; boundary: string } {
  const made = createMultipartBody(parts, boundary === undefined ? {} : { boundary });
  if (!made.ok) throw new Error(made.reason);
  return made;
}

function refusal(parts: readonly MultipartPart[], boundary?: string): string {
  const made = createMultipartBody(parts, boundary === undefined ? {} : { boundary });
  if (made.ok) {
    made.body.close();
    throw new Error("expected a refusal");
  }
  return made.reason;
}

function openFds(): number {
  return fs.readdirSync("/proc/self/fd").length;
}

const allBytes = Uint8Array.from({ length: 512 }, (_, i) => i % 256);

describe("createMultipartBody", () => {
  it("writes the exact RFC 7578 bytes for a fixed boundary", () => {
    const { body, contentType } = build(
      [
        { name: "title", data: "Level 3" },
        { name: "note", data: "hi", contentType: "text/plain; charset=utf-8", remoteFileName: "n.txt" },
      ],
      "XyZ",
    );
    expect(contentType).toBe("multipart/form-data; boundary=XyZ");
    const expected =
      '--XyZ\r\nContent-Disposition: form-data; name="title"\r\n\r\nLevel 3\r\n' +
      '--XyZ\r\nContent-Disposition: form-data; name="note"; filename="n.txt"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n' +
      "--XyZ--\r\n";
    const bytes = drain(body);
    expect(bytes.toString("latin1")).toBe(expected);
    expect(body.length).toBe(bytes.length);
    expect(body.read(10)).toBeNull();
    expect(body.getError()).toBe("");
  });

  it("gives busboy the fields, file names, content types and byte-exact contents", async () => {
    const textPath = join(dir, "notes.txt");
    fs.writeFileSync(textPath, "line 1\r\n--not a boundary\r\nline 3");
    const binPath = join(dir, "blob.bin");
    fs.writeFileSync(binPath, allBytes);
    const emptyPath = join(dir, "empty.dat");
    fs.writeFileSync(emptyPath, "");
    const { body, contentType } = build([
      { name: "plain", data: "value" },
      { name: "ünïcode ✓", data: "grüße ✓ 🎮" },
      { name: "empty", data: "" },
      { name: "typed", data: '{"a":1}', contentType: "application/json" },
      { name: "memfile", data: allBytes, remoteFileName: "mem.bin" },
      { name: "memtext", data: "text", remoteFileName: "a.txt", contentType: "text/plain" },
      { name: "disk", filePath: textPath, contentType: "text/plain" },
      { name: "diskbin", filePath: binPath },
      { name: "renamed", filePath: binPath, remoteFileName: "other name.bin" },
      { name: "zero", filePath: emptyPath },
    ]);
    const bytes = drain(body);
    expect(body.length).toBe(bytes.length);
    expect(body.getError()).toBe("");
    const parsed = await parse(bytes, contentType);
    expect(parsed.fields).toEqual([
      { name: "plain", value: "value", mimeType: "text/plain" },
      { name: "ünïcode ✓", value: "grüße ✓ 🎮", mimeType: "text/plain" },
      { name: "empty", value: "", mimeType: "text/plain" },
      { name: "typed", value: '{"a":1}', mimeType: "application/json" },
    ]);
    const files = parsed.files.map((f) => ({ ...f, data: [...f.data] }));
    expect(files).toEqual([
      { name: "memfile", filename: "mem.bin", mimeType: "application/octet-stream", data: [...allBytes] },
      { name: "memtext", filename: "a.txt", mimeType: "text/plain", data: [...Buffer.from("text")] },
      { name: "disk", filename: "notes.txt", mimeType: "text/plain", data: [...fs.readFileSync(textPath)] },
      { name: "diskbin", filename: "blob.bin", mimeType: "application/octet-stream", data: [...allBytes] },
      { name: "renamed", filename: "other name.bin", mimeType: "application/octet-stream", data: [...allBytes] },
      { name: "zero", filename: "empty.dat", mimeType: "application/octet-stream", data: [] },
    ]);
  });

  it("streams a 5 MiB file byte-exact, the same whatever the read sizes", async () => {
    const big = randomBytesSeeded(5 * 1024 * 1024, 7);
    const bigPath = join(dir, "big.bin");
    fs.writeFileSync(bigPath, big);
    const parts: MultipartPart[] = [
      { name: "before", data: "a" },
      { name: "big", filePath: bigPath },
      { name: "after", data: "z" },
    ];
    const whole = build(parts, "fixed-boundary");
    const reference = drain(whole.body, () => Number.MAX_SAFE_INTEGER);
    expect(whole.body.length).toBe(reference.length);
    expect(reference.length).toBeGreaterThan(big.length);
    for (const seed of [1, 2, 3]) {
      const next = prng(seed);
      const made = build(parts, "fixed-boundary");
      const bytes = drain(made.body, () => 1 + Math.floor(next() ** 3 * 300_000));
      expect(bytes.equals(reference)).toBe(true);
    }
    const parsed = await parse(reference, whole.contentType);
    expect(parsed.fields.map((f) => f.value)).toEqual(["a", "z"]);
    expect(parsed.files).toHaveLength(1);
    expect(parsed.files[0]?.filename).toBe("big.bin");
    expect(parsed.files[0]?.data.equals(big)).toBe(true);
  });

  it("gives identical bytes when read one byte at a time", () => {
    const filePath = join(dir, "medium.bin");
    fs.writeFileSync(filePath, randomBytesSeeded(150_000, 11));
    const parts: MultipartPart[] = [
      { name: "f", filePath },
      { name: "m", data: allBytes, remoteFileName: "m" },
      { name: "t", data: "tail" },
    ];
    const reference = drain(build(parts, "b").body);
    const made = build(parts, "b");
    const oneByOne = drain(made.body, () => 1);
    expect(oneByOne.equals(reference)).toBe(true);
    expect(made.body.length).toBe(oneByOne.length);
    const weird = build(parts, "b");
    expect(drain(weird.body, () => 0).equals(reference)).toBe(true);
  });

  it("escapes quote, CR and LF in names and file names the WHATWG way", async () => {
    expect(escapeMultipartName('a"b\r\nc%\\')).toBe("a%22b%0D%0Ac%\\");
    const { body, contentType } = build([{ name: 'a"b\r\nc', data: "x", remoteFileName: 'f"\n.txt' }], "q");
    const bytes = drain(body);
    expect(bytes.toString("latin1")).toContain('Content-Disposition: form-data; name="a%22b%0D%0Ac"; filename="f%22%0A.txt"\r\n');
    const parsed = await parse(bytes, contentType);
    expect(parsed.files[0]?.name).toBe("a%22b%0D%0Ac");
    expect(parsed.files[0]?.filename).toBe("f%22%0A.txt");
  });

  it("draws a random boundary and quotes a given one when it is not a token", async () => {
    const a = build([{ name: "x", data: "1" }]);
    const b = build([{ name: "x", data: "1" }]);
    expect(a.boundary).toMatch(/^----poll-http-[0-9a-f]{32}$/);
    expect(a.boundary).not.toBe(b.boundary);
    expect(a.contentType).toBe(`multipart/form-data; boundary=${a.boundary}`);
    const odd = "('+_,-./:=? ok)".padEnd(70, "x");
    expect(checkBoundary(odd)).toBe("");
    const quoted = build(
      [
        { name: "x", data: "1" },
        { name: "y", data: "2" },
      ],
      odd,
    );
    expect(quoted.contentType).toBe(`multipart/form-data; boundary="${odd}"`);
    const parsed = await parse(drain(quoted.body), quoted.contentType);
    expect(parsed.fields.map((f) => [f.name, f.value])).toEqual([
      ["x", "1"],
      ["y", "2"],
    ]);
  });

  it("sends the close delimiter alone for no parts", () => {
    const { body } = build([], "end");
    expect(drain(body).toString("latin1")).toBe("--end--\r\n");
    expect(body.length).toBe(9);
  });

  it("refuses bad boundaries", () => {
    const parts: MultipartPart[] = [{ name: "x", data: "1" }];
    expect(refusal(parts, "")).toContain("1 to 70");
    expect(refusal(parts, "x".repeat(71))).toContain("1 to 70");
    expect(refusal(parts, "ends with space ")).toContain("must not end in a space");
    expect(refusal(parts, "at@sign")).toContain("invalid multipart boundary");
    expect(refusal(parts, 'quote"')).toContain("invalid multipart boundary");
    expect(refusal(parts, "crlf\r\n")).toContain("invalid multipart boundary");
    expect(refusal(parts, "é")).toContain("invalid multipart boundary");
    expect(checkBoundary("x".repeat(70))).toBe("");
  });

  it("refuses a given boundary that occurs in the data", () => {
    expect(refusal([{ name: "x", data: "a\r\n--sep\r\nb" }], "sep")).toContain("occurs in the data");
    expect(refusal([{ name: "x", data: new TextEncoder().encode("--sep") }], "sep")).toContain("occurs in the data");
    expect(createMultipartBody([{ name: "x", data: "sep -sep" }], { boundary: "sep" }).ok).toBe(true);
  });

  it("refuses bad parts, naming them", () => {
    expect(refusal([{ name: "", data: "1" }])).toBe('multipart part 0 (""): the name is empty');
    expect(
      refusal([
        { name: "ok", data: "1" },
        { name: "n\0", data: "1" },
      ]),
    ).toContain('multipart part 1 ("n\\u0000"): the name contains NUL');
    expect(refusal([{ name: "\ud800", data: "1" }])).toContain("lone surrogate");
    expect(refusal([{ name: "x", data: "1", remoteFileName: "\udc00.txt" }])).toContain("remoteFileName contains a lone surrogate");
    expect(refusal([{ name: "x", data: "1", filePath: "/etc/hostname" }])).toContain("exactly one of data and filePath");
    expect(refusal([{ name: "x" }])).toContain("exactly one of data and filePath");
    expect(refusal([{ name: "x", data: "1", contentType: "text/plain\r\nX-Evil: 1" }])).toContain("invalid contentType");
    expect(refusal([{ name: "x", data: "1", contentType: "" }])).toContain("invalid contentType");
    expect(refusal([{ name: "x", data: "1", contentType: " text/plain" }])).toContain("invalid contentType");
    expect(refusal([{ name: "x", filePath: "" }])).toContain("filePath is empty");
  });

  it("refuses a missing file or a directory at creation, leaving no file open", () => {
    const present = join(dir, "present.txt");
    fs.writeFileSync(present, "here");
    const before = openFds();
    const missing = refusal([
      { name: "a", filePath: present },
      { name: "b", filePath: join(dir, "nope.txt") },
    ]);
    expect(missing).toContain('multipart part 1 ("b"): cannot open');
    expect(missing).toContain("ENOENT");
    expect(
      refusal([
        { name: "a", filePath: present },
        { name: "d", filePath: dir },
      ]),
    ).toContain("is not a regular file");
    expect(openFds()).toBe(before);
  });

  it("keeps the files open from creation until the end, then closes them", () => {
    const path = join(dir, "held.txt");
    fs.writeFileSync(path, "held");
    const before = openFds();
    const { body } = build(
      [
        { name: "a", filePath: path },
        { name: "b", filePath: path },
      ],
      "h",
    );
    expect(openFds()).toBe(before + 2);
    fs.unlinkSync(path);
    const text = drain(body).toString("latin1");
    expect(text.match(/\r\n\r\nheld\r\n/g)).toHaveLength(2);
    expect(body.getError()).toBe("");
    expect(openFds()).toBe(before);
  });

  it("fails when a file shrinks", () => {
    const path = join(dir, "shrinks.bin");
    fs.writeFileSync(path, randomBytesSeeded(200_000, 3));
    const { body } = build([{ name: "f", filePath: path }], "s");
    fs.truncateSync(path, 1000);
    drain(body);
    expect(body.getError()).toMatch(/shrinks\.bin changed size while it was being sent: it ended after 1000 of 200000 bytes/);
    expect(body.read(10)).toBeNull();
  });

  it("fails when a file grows", () => {
    const path = join(dir, "grows.bin");
    fs.writeFileSync(path, "1234");
    const { body } = build(
      [
        { name: "f", filePath: path },
        { name: "after", data: "x" },
      ],
      "g",
    );
    fs.appendFileSync(path, "5678");
    const sent = drain(body).toString("latin1");
    expect(body.getError()).toContain("grows.bin changed size while it was being sent: 4 bytes when the body was built, 8 now");
    expect(sent.endsWith("\r\n\r\n1234")).toBe(true);
  });

  it("closes idempotently, and a read after an early close fails", () => {
    const path = join(dir, "closed.txt");
    fs.writeFileSync(path, "data");
    const before = openFds();
    const { body } = build([{ name: "f", filePath: path }], "c");
    expect(body.read(3)?.length).toBe(3);
    body.close();
    body.close();
    expect(openFds()).toBe(before);
    expect(body.read(10)).toBeNull();
    expect(body.getError()).toContain("closed before it was fully read");
  });

  it("copies in-memory data, so later changes do not alter the body", () => {
    const data = new TextEncoder().encode("abc");
    const { body } = build([{ name: "x", data }], "m");
    data.set(new TextEncoder().encode("--m"));
    expect(drain(body).toString("latin1")).toContain("\r\n\r\nabc\r\n");
  });
});
