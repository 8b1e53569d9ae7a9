import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DownloadSink, type DownloadFs } from "../../src/request-node/download-sink.ts";

let dir = "";

beforeEach(() => {
  dir = fs.mkdtempSync(join(tmpdir(), "poll-http-sink-"));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const partFiles = (): string[] => fs.readdirSync(dir).filter((name) => name.endsWith(".part"));

function openSink(target: string, fsImpl?: DownloadFs): DownloadSink {
  const opened = DownloadSink.open(target, fsImpl === undefined ? {} : { fs: fsImpl });
  if (!opened.ok) throw new Error(opened.reason);
  return opened.sink;
}

function ioError(code: string): Error {
  return Object.assign(new Error(`${code}: simulated failure`), { code });
}

describe("DownloadSink", () => {
  it("writes to a hidden .part file beside the target and renames it on commit", () => {
    const target = join(dir, "file.bin");
    const sink = openSink(target);
    expect(sink.tempPath.startsWith(join(dir, ".file.bin."))).toBe(true);
    expect(sink.tempPath.endsWith(".part")).toBe(true);
    expect(fs.existsSync(sink.tempPath)).toBe(true);
    expect(fs.existsSync(target)).toBe(false);
    expect(sink.write(bytes("hello ")).ok).toBe(true);
    expect(sink.write(new Uint8Array(0)).ok).toBe(true);
    expect(sink.write(bytes("world")).ok).toBe(true);
    expect(sink.bytesWritten).toBe(11);
    expect(sink.commit()).toEqual({ ok: true });
    expect(sink.state).toBe("committed");
    expect(fs.readFileSync(target, "utf8")).toBe("hello world");
    expect(partFiles()).toEqual([]);
    expect(fs.statSync(target).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  it("writes a large body exactly, from views into bigger buffers", () => {
    const target = join(dir, "big");
    const data = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) & 0xff);
    const backing = new Uint8Array(data.length + 200);
    backing.set(data, 100);
    const sink = openSink(target);
    for (let at = 0; at < data.length; at += 65_521) {
      expect(sink.write(backing.subarray(100 + at, 100 + Math.min(at + 65_521, data.length))).ok).toBe(true);
    }
    expect(sink.commit().ok).toBe(true);
    expect(Buffer.compare(fs.readFileSync(target), data)).toBe(0);
  });

  it("replaces an existing file atomically on commit, keeping its mode", () => {
    const target = join(dir, "data.txt");
    fs.writeFileSync(target, "old content", { mode: 0o600 });
    fs.chmodSync(target, 0o600);
    const sink = openSink(target);
    sink.write(bytes("new"));
    expect(fs.readFileSync(target, "utf8")).toBe("old content");
    const inodeBefore = fs.statSync(target).ino;
    expect(sink.commit().ok).toBe(true);
    expect(fs.readFileSync(target, "utf8")).toBe("new");
    expect(fs.statSync(target).ino).not.toBe(inodeBefore);
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
    expect(partFiles()).toEqual([]);
  });

  it("leaves the previous file exactly as it was on abort, and no .part file", () => {
    const target = join(dir, "keep.txt");
    fs.writeFileSync(target, "precious");
    const before = fs.statSync(target);
    const sink = openSink(target);
    sink.write(bytes("half a downl"));
    sink.abort();
    sink.abort();
    expect(sink.state).toBe("aborted");
    expect(fs.readFileSync(target, "utf8")).toBe("precious");
    expect(fs.statSync(target).ino).toBe(before.ino);
    expect(fs.statSync(target).mtimeMs).toBe(before.mtimeMs);
    expect(fs.readdirSync(dir)).toEqual(["keep.txt"]);
    expect(sink.write(bytes("x"))).toEqual({ ok: false, reason: "the download sink is aborted", code: undefined });
    expect(sink.commit().ok).toBe(false);
  });

  it("creates no target on abort when there was none", () => {
    const sink = openSink(join(dir, "new.txt"));
    sink.write(bytes("x"));
    sink.abort();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("ignores abort after commit", () => {
    const target = join(dir, "done.txt");
    const sink = openSink(target);
    sink.write(bytes("done"));
    sink.commit();
    sink.abort();
    expect(fs.readFileSync(target, "utf8")).toBe("done");
    expect(sink.state).toBe("committed");
  });

  it("lets two downloads to one target run side by side; the last commit wins", () => {
    const target = join(dir, "same");
    const a = openSink(target);
    const b = openSink(target);
    expect(a.tempPath).not.toBe(b.tempPath);
    a.write(bytes("a"));
    b.write(bytes("b"));
    a.commit();
    b.commit();
    expect(fs.readFileSync(target, "utf8")).toBe("b");
    expect(partFiles()).toEqual([]);
  });

  it.each([
    ["a missing directory", (): string => join(dir, "missing", "file"), "does not exist", "ENOENT"],
    // /proc exists but takes no new file: the reason says so instead of "does not exist".
    [
      "a directory that takes no new file (/proc)",
      (): string => "/proc/poll-http-download",
      'no file can be created in directory "/proc"',
      "ENOENT",
    ],
    ["a directory as target", (): string => dir, "is a directory", "EISDIR"],
    ["a path ending in /", (): string => `${dir}/sub/`, "does not name a file", undefined],
    ["an empty path", (): string => "", "does not name a file", undefined],
    ["a device", (): string => "/dev/null", "is not a regular file", undefined],
    [
      "a symbolic link to a directory",
      (): string => {
        fs.mkdirSync(join(dir, "real"));
        fs.symlinkSync(join(dir, "real"), join(dir, "link"));
        return join(dir, "link");
      },
      "is a directory",
      "EISDIR",
    ],
    [
      "a file as parent directory",
      (): string => {
        fs.writeFileSync(join(dir, "plain"), "");
        return join(dir, "plain", "child");
      },
      "ENOTDIR",
      "ENOTDIR",
    ],
  ])("refuses %s and creates nothing", (_name, target, reason, code) => {
    const path = target();
    const before = fs.readdirSync(dir);
    const opened = DownloadSink.open(path);
    expect(opened.ok).toBe(false);
    if (!opened.ok) {
      expect(opened.reason).toContain(reason);
      expect(opened.code).toBe(code);
    }
    expect(fs.readdirSync(dir)).toEqual(before);
  });

  it("refuses a directory that is not writable", () => {
    // A read-only directory stops other users; root is stopped only by a file system that refuses
    // new files whoever asks (sysfs).
    const isRoot = process.getuid?.() === 0;
    const locked = join(dir, "locked");
    fs.mkdirSync(locked, { mode: 0o555 });
    const opened = DownloadSink.open(isRoot ? "/sys/poll-http-test-download" : join(locked, "f"));
    expect(opened).toMatchObject({ ok: false, code: "EACCES" });
  });

  it("refuses a directory that is not writable (simulated EACCES, also when running as root)", () => {
    const denying: DownloadFs = {
      ...fs,
      openSync: () => {
        throw ioError("EACCES");
      },
    };
    const opened = DownloadSink.open(join(dir, "f"), { fs: denying });
    expect(opened).toMatchObject({ ok: false, code: "EACCES" });
    if (!opened.ok) expect(opened.reason).toContain("EACCES");
  });
});

describe("DownloadSink with simulated I/O failures", () => {
  it("loops over partial writes", () => {
    const target = join(dir, "partial");
    let calls = 0;
    const trickle: DownloadFs = {
      ...fs,
      writeSync: (fd, buffer, offset, length) => {
        calls++;
        return fs.writeSync(fd, buffer, offset, Math.min(length, 3));
      },
    };
    const sink = openSink(target, trickle);
    expect(sink.write(bytes("0123456789")).ok).toBe(true);
    expect(calls).toBe(4);
    expect(sink.commit().ok).toBe(true);
    expect(fs.readFileSync(target, "utf8")).toBe("0123456789");
  });

  it.each(["ENOSPC", "EIO", "EDQUOT"])("reports %s on write, removes the .part file, keeps the target", (code) => {
    const target = join(dir, "t");
    fs.writeFileSync(target, "old");
    let budget = 5;
    const filling: DownloadFs = {
      ...fs,
      writeSync: (fd, buffer, offset, length) => {
        if (budget === 0) throw ioError(code);
        const n = fs.writeSync(fd, buffer, offset, Math.min(length, budget));
        budget -= n;
        return n;
      },
    };
    const sink = openSink(target, filling);
    const result = sink.write(bytes("0123456789"));
    expect(result).toMatchObject({ ok: false, code });
    if (!result.ok) expect(result.reason).toContain(code);
    expect(sink.state).toBe("failed");
    expect(sink.bytesWritten).toBe(5);
    expect(partFiles()).toEqual([]);
    expect(fs.readFileSync(target, "utf8")).toBe("old");
    expect(sink.commit().ok).toBe(false);
    sink.abort();
    expect(fs.readdirSync(dir)).toEqual(["t"]);
  });

  it("treats a write that makes no progress as EIO instead of looping forever", () => {
    const stuck: DownloadFs = { ...fs, writeSync: () => 0 };
    const sink = openSink(join(dir, "s"), stuck);
    expect(sink.write(bytes("x"))).toMatchObject({ ok: false, code: "EIO" });
    expect(partFiles()).toEqual([]);
  });

  it("reports a failed rename, removes the .part file and keeps the target", () => {
    const target = join(dir, "r");
    fs.writeFileSync(target, "old");
    const noRename: DownloadFs = {
      ...fs,
      renameSync: () => {
        throw ioError("EXDEV");
      },
    };
    const sink = openSink(target, noRename);
    sink.write(bytes("new"));
    expect(sink.commit()).toMatchObject({ ok: false, code: "EXDEV" });
    expect(fs.readdirSync(dir)).toEqual(["r"]);
    expect(fs.readFileSync(target, "utf8")).toBe("old");
  });

  it("syncs data and directory when durable, and reports a failed fdatasync", () => {
    const calls: string[] = [];
    const watching: DownloadFs = {
      ...fs,
      fdatasyncSync: (fd) => {
        calls.push("fdatasync");
        fs.fdatasyncSync(fd);
      },
      fsyncSync: (fd) => {
        calls.push("fsync");
        fs.fsyncSync(fd);
      },
      renameSync: (a, b) => {
        calls.push("rename");
        fs.renameSync(a, b);
      },
    };
    const target = join(dir, "d");
    const opened = DownloadSink.open(target, { fs: watching, durable: true });
    if (!opened.ok) throw new Error(opened.reason);
    opened.sink.write(bytes("durable"));
    expect(opened.sink.commit().ok).toBe(true);
    expect(calls).toEqual(["fdatasync", "rename", "fsync"]);
    expect(fs.readFileSync(target, "utf8")).toBe("durable");

    const failing: DownloadFs = {
      ...fs,
      fdatasyncSync: () => {
        throw ioError("EIO");
      },
    };
    const second = DownloadSink.open(join(dir, "e"), { fs: failing, durable: true });
    if (!second.ok) throw new Error(second.reason);
    expect(second.sink.commit()).toMatchObject({ ok: false, code: "EIO" });
    expect(fs.readdirSync(dir)).toEqual(["d"]);
  });

  it("does not sync by default", () => {
    const calls: string[] = [];
    const watching: DownloadFs = {
      ...fs,
      fdatasyncSync: () => {
        calls.push("fdatasync");
      },
      fsyncSync: () => {
        calls.push("fsync");
      },
    };
    const sink = openSink(join(dir, "n"), watching);
    sink.write(bytes("x"));
    expect(sink.commit().ok).toBe(true);
    expect(calls).toEqual([]);
  });

  it("retries the temporary name when it exists already", () => {
    let attempts = 0;
    const colliding: DownloadFs = {
      ...fs,
      openSync: (path, flags, mode) => {
        if (++attempts < 3) throw ioError("EEXIST");
        return fs.openSync(path, flags, mode);
      },
    };
    const sink = openSink(join(dir, "c"), colliding);
    expect(attempts).toBe(3);
    sink.abort();
  });
});
