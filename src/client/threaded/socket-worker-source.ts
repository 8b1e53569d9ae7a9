/**
 * The program of the socket thread of a `ThreadedNetwork`, as JavaScript source started with
 * `new Worker(source, { eval: true })`. Shipping it as a string keeps it inside the one bundle of
 * each build (ESM and CommonJS alike) and lets it run from the TypeScript sources under a test
 * runner: there is no second file to locate at run time. It uses Node built-ins only.
 *
 * What it does for each channel, told by messages from the calling thread (`connect`, `tls`,
 * `close`, `lookup`) and by the signal queue (bytes to send, room freed; rung with a doorbell word
 * it waits on with `Atomics.waitAsync`, so a request costs no message): open the socket
 * (`node:net`, then `node:tls` over it), put received bytes into the channel's receive ring (a TCP
 * socket reads straight into the ring's free space with `onread`, so a download neither copies nor
 * allocates per read; TLS bytes arrive as 'data' chunks and are copied in) (pausing the socket when
 * the ring is full and resuming when the calling thread says it freed half), send what the calling
 * thread put in the send ring, and record every state change, the end of the stream and errors
 * (kind, Node's code and message) in the control block. After each change it bumps the channel's
 * and the network's sequence words and `Atomics.notify`s the latter, which is what a blocking
 * `poll()` (`Atomics.wait`) and an event-loop listener (`Atomics.waitAsync`) wait on. Nothing the
 * calling thread needs travels by message; where `Atomics.waitAsync` is missing, the signals go by
 * message (`write`, `resume`) and an empty wake-up message is sent back when the calling thread
 * asked for one.
 *
 * On Node 20 on Unix, a plain TCP channel also publishes its socket's file descriptor once open
 * (`TX_FD`, `TX_DIRECT`), and the calling thread writes to it itself while the send ring is empty
 * and no write of this thread is pending: a request then costs no hop to this thread. Nothing may
 * close that descriptor while the calling thread may write to it, or its number could be reused by
 * another connection or file: every way the socket can be closed goes through its `_destroy`
 * (`destroy()` here, and Node's own on a read or write error or at the end of the stream), which
 * first revokes the descriptor and waits for a write in progress to finish; so does a handover to
 * TLS, and a fatal error of this thread before it ends (the calling thread stops using the
 * descriptors before it terminates the thread).
 *
 * The TLS settings are mapped as `tlsConnectionOptions` does for `TlsPeer`: SNI for host names
 * only, verification unless `unsafe`, TLS 1.2 minimum, ALPN `http/1.1`, `commonNameOverride`.
 *
 * @module
 */
import {
  CHANNEL_TEXT_BYTES,
  CHANNEL_TEXT_OFFSET,
  CHANNEL_WORDS,
  ChannelWord,
  LOOKUP_TEXT_OFFSET,
  LookupWord,
  NotifyWord,
  SIGNAL_SLOTS,
  SIGNAL_SLOTS_OFFSET,
  SignalWord,
} from "./channel-layout.ts";

const layout = JSON.stringify({
  W: ChannelWord,
  L: LookupWord,
  N: NotifyWord,
  S: SignalWord,
  SLOTS: SIGNAL_SLOTS,
  SLOTS_OFFSET: SIGNAL_SLOTS_OFFSET,
  WORDS: CHANNEL_WORDS,
  TEXT_OFFSET: CHANNEL_TEXT_OFFSET,
  TEXT_BYTES: CHANNEL_TEXT_BYTES,
  LOOKUP_TEXT_OFFSET,
});

/** The socket thread's program (CommonJS, for `eval: true`). */
export const SOCKET_WORKER_SOURCE: string = `"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const net = require("node:net");
const tls = require("node:tls");
const dns = require("node:dns");
const { W, L, N, S, SLOTS, SLOTS_OFFSET, WORDS, TEXT_OFFSET, TEXT_BYTES, LOOKUP_TEXT_OFFSET } = ${layout};
const CONNECTING = 0, OPEN = 1, CLOSED = 2, ERROR = 3;
const notify = new Int32Array(workerData.notify);
const signals = new Int32Array(workerData.signals);
const encoder = new TextEncoder();
const channels = new Map();
const lookups = new Map();

/**
 * Whether the calling thread may write to TCP sockets' descriptors itself: Node on Unix only, and
 * only Node majors whose lib/net.js has been checked to close a connected socket's handle in
 * Socket._destroy alone (the guard below depends on it): 20.
 */
const DIRECT = process.platform !== "win32" && typeof process.versions.node === "string" &&
  typeof process.versions.bun !== "string" && !("Deno" in globalThis) &&
  Number(process.versions.node.split(".")[0]) === 20;
/** Channels whose descriptor the calling thread may use. */
const directs = new Set();

/** Lets the calling thread write to the open TCP socket's descriptor (the socket's _destroy is guarded). */
function publishFd(ch) {
  if (!DIRECT || !ch.guarded || ch.closed || ch.socket === null || ch.socket.destroyed) return;
  const handle = ch.socket._handle;
  const fd = handle !== null && typeof handle === "object" ? handle.fd : undefined;
  if (typeof fd !== "number" || !Number.isInteger(fd) || fd < 0) return;
  Atomics.store(ch.ctrl, W.TX_FD, fd);
  directs.add(ch);
  Atomics.store(ch.ctrl, W.TX_DIRECT, 1);
}

/**
 * Takes the descriptor back from the calling thread for good: from here on it never writes to it.
 * A write in progress there is one write(2) call on a non-blocking socket: wait for it.
 */
function revoke(ch) {
  if (!directs.delete(ch)) return;
  while (Atomics.compareExchange(ch.ctrl, W.TX_DIRECT, 1, 0) === 2) Atomics.wait(ch.ctrl, W.TX_DIRECT, 2, 20);
}

/** Every close of the socket's descriptor goes through its _destroy: revoke the descriptor first. */
function guardClose(ch, socket) {
  if (!DIRECT || typeof socket._destroy !== "function") return;
  const own = socket._destroy;
  socket._destroy = function (err, cb) {
    revoke(ch);
    return own.call(this, err, cb);
  };
  ch.guarded = true;
}

if (DIRECT) {
  // A fatal error closes every socket as the thread ends: revoke the descriptors first, then fail as before.
  process.on("uncaughtException", function fatal(err) {
    for (const ch of [...directs]) revoke(ch);
    process.off("uncaughtException", fatal);
    process.nextTick(() => {
      throw err;
    });
  });
}

function bump(ch) {
  if (ch !== null) Atomics.add(ch.ctrl, W.SEQ, 1);
  Atomics.add(notify, N.SEQ, 1);
  Atomics.notify(notify, N.SEQ);
  if (Atomics.exchange(notify, N.ARMED, 0) === 1) parentPort.postMessage(0);
}

function codeOf(err) {
  return err !== null && typeof err === "object" && typeof err.code === "string" && err.code !== "" ? err.code : "EUNKNOWN";
}

function messageOf(err) {
  return err instanceof Error ? err.message : String(err);
}

function closedBefore(what) {
  return Object.assign(new Error("socket closed before " + what), { code: "ECONNRESET" });
}

function makeChannel(msg, kind) {
  const ch = {
    id: msg.id, kind,
    ctrl: new Int32Array(msg.ctrl, 0, WORDS),
    text: new Uint8Array(msg.ctrl, TEXT_OFFSET, TEXT_BYTES),
    rx: new Uint8Array(msg.rx), tx: new Uint8Array(msg.tx),
    socket: null, raw: null, handlers: null,
    w: 0, view: null, pending: [], paused: false, endPending: false,
    txRead: 0, txInflight: 0, closed: false, guarded: false,
  };
  channels.set(ch.id, ch);
  return ch;
}

function state(ch) {
  return Atomics.load(ch.ctrl, W.STATE);
}

function fail(ch, err) {
  const s = state(ch);
  if (ch.closed || s === ERROR || s === CLOSED) return;
  const kind = s === CONNECTING ? ch.kind : "io";
  const bytes = encoder.encode(kind + "\\n" + codeOf(err) + "\\n" + messageOf(err)).subarray(0, TEXT_BYTES);
  ch.text.set(bytes);
  Atomics.store(ch.ctrl, W.ERROR_LEN, bytes.length);
  Atomics.store(ch.ctrl, W.STATE, ERROR);
  destroy(ch);
  bump(ch);
}

function destroy(ch) {
  revoke(ch);
  if (ch.socket !== null) ch.socket.destroy();
  if (ch.raw !== null) ch.raw.destroy();
}

function markOpen(ch) {
  if (ch.closed || state(ch) !== CONNECTING) return;
  Atomics.store(ch.ctrl, W.STATE, OPEN);
  bump(ch);
}

function markEnded(ch) {
  if (Atomics.load(ch.ctrl, W.ENDED) === 1) return;
  Atomics.store(ch.ctrl, W.ENDED, 1);
  bump(ch);
}

/** Copies as much of bytes as fits into the receive ring; returns how many. */
function put(ch, bytes) {
  const cap = ch.rx.length;
  const n = Math.min(cap - Atomics.load(ch.ctrl, W.RX_USED), bytes.length);
  if (n <= 0) return 0;
  const first = Math.min(n, cap - ch.w);
  ch.rx.set(first === bytes.length ? bytes : bytes.subarray(0, first), ch.w);
  if (n > first) ch.rx.set(bytes.subarray(first, n), 0);
  ch.w = (ch.w + n) % cap;
  const used = Atomics.add(ch.ctrl, W.RX_USED, n) + n;
  if (used > Atomics.load(ch.ctrl, W.PEAK)) Atomics.store(ch.ctrl, W.PEAK, used);
  return n;
}

/** The reader has freed half the ring, or taken every byte (or so it seemed): move held-back bytes in, resume when all fit. */
function refill(ch) {
  for (;;) {
    if (ch.closed) return;
    let moved = false;
    while (ch.pending.length > 0) {
      const head = ch.pending[0];
      const n = put(ch, head);
      if (n > 0) moved = true;
      if (n < head.length) {
        ch.pending[0] = head.subarray(n);
        break;
      }
      ch.pending.shift();
    }
    if (moved) bump(ch);
    if (ch.pending.length === 0) {
      if (ch.paused) {
        ch.paused = false;
        if (ch.socket !== null) ch.socket.resume();
      }
      if (ch.endPending) {
        ch.endPending = false;
        markEnded(ch);
      }
      return;
    }
    if (!ch.paused) {
      ch.paused = true;
      if (ch.socket !== null) ch.socket.pause();
    }
    Atomics.store(ch.ctrl, W.RX_PAUSED, 1);
    // The reader may have freed half the ring, or taken every byte while the ring has room, before
    // it could see the flag: look again (the reader resumes the socket on the same condition).
    const used = Atomics.load(ch.ctrl, W.RX_USED);
    if (used > ch.rx.length / 2 && (used >= ch.rx.length || used !== Atomics.load(ch.ctrl, W.RX_HELD))) {
      // News for the reader: the room it needs may be under views it would free at its next release.
      bump(ch);
      return;
    }
    if (Atomics.compareExchange(ch.ctrl, W.RX_PAUSED, 1, 0) !== 1) return;
  }
}

/**
 * Where a TCP socket reads when its receive ring has no room (or bytes wait to be moved in): one
 * buffer for every socket of the thread, copied out at once.
 */
const SPILL = Buffer.allocUnsafe(64 * 1024);

/**
 * The buffer for a TCP socket's next read (onread calls it after each read): the ring's free
 * space from the write position to its end, so the bytes land in shared memory with no copy.
 * Nothing else writes there before that read (put() runs only while bytes are held back, and
 * then this returns SPILL), and the reader only frees more room meanwhile.
 */
function nextBuffer(ch) {
  if (ch.closed || ch.pending.length > 0) return SPILL;
  const cap = ch.rx.length;
  const n = Math.min(cap - Atomics.load(ch.ctrl, W.RX_USED), cap - ch.w);
  if (n <= 0) return SPILL;
  ch.view = ch.rx.subarray(ch.w, ch.w + n);
  return ch.view;
}

/** A read of a TCP socket (onread): in place in the ring, or copied in from SPILL with the rest kept; false pauses the socket. */
function onRead(ch, n, buffer) {
  if (ch.closed || n <= 0) return true;
  if (buffer === ch.view) {
    ch.view = null;
    const cap = ch.rx.length;
    ch.w = (ch.w + n) % cap;
    const used = Atomics.add(ch.ctrl, W.RX_USED, n) + n;
    if (used > Atomics.load(ch.ctrl, W.PEAK)) Atomics.store(ch.ctrl, W.PEAK, used);
    bump(ch);
    return true;
  }
  const bytes = buffer.subarray(0, n);
  if (ch.pending.length > 0) {
    ch.pending.push(Buffer.from(bytes));
    return false;
  }
  const taken = put(ch, bytes);
  if (taken > 0) bump(ch);
  if (taken < n) {
    ch.pending.push(Buffer.from(bytes.subarray(taken)));
    refill(ch);
  }
  return !ch.paused;
}

function onData(ch, chunk) {
  if (ch.closed) return;
  if (ch.pending.length > 0) {
    ch.pending.push(chunk);
    return;
  }
  const n = put(ch, chunk);
  if (n > 0) bump(ch);
  if (n < chunk.length) {
    ch.pending.push(n === 0 ? chunk : chunk.subarray(n));
    refill(ch);
  }
}

function onEnd(ch) {
  if (ch.pending.length > 0) ch.endPending = true;
  else markEnded(ch);
}

function onClose(ch) {
  if (ch.closed) return;
  const s = state(ch);
  if (s === CONNECTING) fail(ch, closedBefore(ch.kind === "tls" ? "the TLS handshake completed" : "the connection opened"));
  else if (s === OPEN) onEnd(ch);
}

function attach(ch, socket) {
  const handlers = {
    data: (chunk) => onData(ch, chunk),
    end: () => onEnd(ch),
    error: (err) => fail(ch, err),
    close: () => onClose(ch),
  };
  for (const name in handlers) socket.on(name, handlers[name]);
  ch.socket = socket;
  ch.handlers = handlers;
}

/** Hands the channel's socket over (to a TLS channel): listeners off, socket left open. */
function detach(ch) {
  revoke(ch);
  const socket = ch.socket;
  for (const name in ch.handlers) socket.off(name, ch.handlers[name]);
  socket.on("error", () => {});
  if (ch.paused) socket.resume();
  ch.closed = true;
  ch.socket = null;
  channels.delete(ch.id);
  return socket;
}

function flushWrites(ch) {
  Atomics.store(ch.ctrl, W.TX_SIGNALED, 0);
  if (ch.closed || ch.socket === null || state(ch) !== OPEN) return;
  const cap = ch.tx.length;
  let unsent = Atomics.load(ch.ctrl, W.TX_USED) - ch.txInflight;
  while (unsent > 0) {
    const n = Math.min(unsent, cap - ch.txRead);
    // A view of the send ring, not a copy: the calling thread reuses the room only after the callback.
    const bytes = Buffer.from(ch.tx.buffer, ch.txRead, n);
    ch.txRead = (ch.txRead + n) % cap;
    ch.txInflight += n;
    unsent -= n;
    ch.socket.write(bytes, (err) => {
      if (ch.closed || err) return;
      ch.txInflight -= n;
      Atomics.sub(ch.ctrl, W.TX_USED, n);
      if (Atomics.exchange(ch.ctrl, W.TX_WANTS_ROOM, 0) === 1) bump(ch);
    });
  }
}

function bareHost(name) {
  return name.startsWith("[") && name.endsWith("]") ? name.slice(1, -1) : name;
}

function tlsOptions(socket, options) {
  const host = bareHost(options.servername);
  const override = options.commonNameOverride;
  const result = {
    socket, host,
    rejectUnauthorized: options.unsafe !== true,
    minVersion: "TLSv1.2",
    ALPNProtocols: ["http/1.1"],
    checkServerIdentity: (name, cert) => tls.checkServerIdentity(override !== undefined && override !== "" ? override : name, cert),
  };
  if (host !== "" && net.isIP(host) === 0) result.servername = host;
  if (options.trustedCA !== undefined) result.ca = options.trustedCA;
  if (options.clientCert !== undefined) result.cert = options.clientCert;
  if (options.clientKey !== undefined) result.key = options.clientKey;
  if (options.passphrase !== undefined) result.passphrase = options.passphrase;
  return result;
}

/**
 * Deno's node:net accepts onread, but a TLS handshake over a socket opened with it never completes
 * there: on Deno, TCP sockets deliver 'data' events instead (as TcpPeer does).
 */
const USE_ONREAD = !("Deno" in globalThis);

function connect(msg) {
  const ch = makeChannel(msg, "connect");
  let socket;
  try {
    const to = { host: msg.host, port: msg.port, family: msg.family };
    socket = net.connect(USE_ONREAD ? { ...to, onread: { buffer: () => nextBuffer(ch), callback: (n, buffer) => onRead(ch, n, buffer) } } : to);
  } catch (err) {
    fail(ch, err);
    return;
  }
  socket.setNoDelay(true);
  guardClose(ch, socket);
  attach(ch, socket);
  socket.once("connect", () => {
    if (!ch.closed && state(ch) === CONNECTING) publishFd(ch);
    markOpen(ch);
  });
}

function startTls(msg) {
  const from = channels.get(msg.from);
  const ch = makeChannel(msg, "tls");
  if (from === undefined || from.socket === null || from.socket.destroyed || state(from) !== OPEN) {
    if (from !== undefined) {
      from.closed = true;
      destroy(from);
      channels.delete(from.id);
    }
    fail(ch, closedBefore("the TLS handshake completed"));
    return;
  }
  const raw = detach(from);
  ch.raw = raw;
  raw.on("error", (err) => fail(ch, err));
  let secure;
  try {
    secure = tls.connect(tlsOptions(raw, msg.options));
  } catch (err) {
    fail(ch, err);
    raw.destroy();
    return;
  }
  attach(ch, secure);
  secure.once("secureConnect", () => markOpen(ch));
}

function close(msg) {
  const ch = channels.get(msg.id);
  if (ch === undefined) return;
  channels.delete(msg.id);
  ch.closed = true;
  ch.pending = [];
  destroy(ch);
}

function lookup(msg) {
  const ctrl = new Int32Array(msg.block, 0, 2);
  const text = new Uint8Array(msg.block, LOOKUP_TEXT_OFFSET);
  const entry = { cancelled: false };
  lookups.set(msg.id, entry);
  const settle = (failed, answer) => {
    lookups.delete(msg.id);
    if (entry.cancelled) return;
    let bytes = encoder.encode(JSON.stringify(answer));
    while (bytes.length > text.length && answer.addresses !== undefined && answer.addresses.length > 1) {
      answer.addresses.length = Math.floor(answer.addresses.length / 2);
      bytes = encoder.encode(JSON.stringify(answer));
    }
    if (bytes.length > text.length) {
      failed = true;
      bytes = encoder.encode(JSON.stringify({ code: "ENOMEM", message: "ENOMEM: the lookup answer does not fit" }));
    }
    text.set(bytes);
    Atomics.store(ctrl, L.LENGTH, bytes.length);
    Atomics.store(ctrl, L.STATE, failed ? 2 : 1);
    bump(null);
  };
  try {
    dns.lookup(msg.host, { all: true, order: "verbatim" }, (err, addresses) => {
      if (err) settle(true, { code: codeOf(err), message: messageOf(err) });
      else settle(false, { addresses: addresses.filter((a) => a.family === 4 || a.family === 6).map((a) => [a.address, a.family]) });
    });
  } catch (err) {
    settle(true, { code: codeOf(err), message: messageOf(err) });
  }
}

/** Handles the signals the calling thread queued: a channel with bytes to send, or room freed. */
function takeSignals() {
  let head = Atomics.load(signals, S.HEAD);
  const tail = Atomics.load(signals, S.TAIL);
  while (head !== tail) {
    const id = signals[SLOTS_OFFSET + (head & (SLOTS - 1))];
    head = (head + 1) | 0;
    Atomics.store(signals, S.HEAD, head);
    const ch = channels.get(id > 0 ? id : -id);
    if (ch === undefined) continue;
    if (id > 0) flushWrites(ch);
    else refill(ch);
  }
}

/** Waits on the doorbell without blocking this thread's event loop, taking the signals each time it rings. */
function awaitDoorbell() {
  for (;;) {
    const rung = Atomics.load(notify, N.DOORBELL);
    takeSignals();
    const wait = Atomics.waitAsync(notify, N.DOORBELL, rung);
    if (wait.async) {
      wait.value.then(awaitDoorbell);
      return;
    }
  }
}

// The calling thread queues signals only where it can wait this way too (the same runtime).
if (typeof Atomics.waitAsync === "function") awaitDoorbell();

parentPort.on("message", (msg) => {
  switch (msg.t) {
    case "connect": connect(msg); break;
    case "tls": startTls(msg); break;
    case "write": { const ch = channels.get(msg.id); if (ch !== undefined) flushWrites(ch); break; }
    case "resume": { const ch = channels.get(msg.id); if (ch !== undefined) refill(ch); break; }
    case "close": close(msg); break;
    case "lookup": lookup(msg); break;
    case "cancel": { const entry = lookups.get(msg.id); if (entry !== undefined) entry.cancelled = true; break; }
  }
});
`;
