/**
 * The shared-memory layout between the calling thread and the socket thread of a
 * `ThreadedNetwork`. Each connection (a channel) has a control block (Int32 words, then a text area
 * for the error) and two byte rings in `SharedArrayBuffer`s; each lookup has a small block of its
 * own; the network has one notification block. Every word is read and written with `Atomics`.
 *
 * The rings are single-producer, single-consumer: each side keeps its own index, and the shared
 * `*_USED` word (changed only with `Atomics.add`/`Atomics.sub`) says how many bytes of the ring
 * are taken, so a byte written before the add is visible to the other side after its load. In the
 * receive ring a byte stays taken until the reader frees it: bytes it handed out as views of the
 * ring are freed only when it is told they are no longer used (`RX_HELD` counts them).
 *
 * @module
 */

/** Indices of the Int32 words of a channel's control block. */
export const ChannelWord = {
  /** The peer state (`PeerState` values), written by the socket thread. */
  STATE: 0,
  /** 1 once the remote end closed its side and every byte before it is in the receive ring. */
  ENDED: 1,
  /** Bytes in the receive ring: added by the socket thread, subtracted by the reader. */
  RX_USED: 2,
  /** 1 while the socket thread holds bytes that did not fit (its socket is paused). */
  RX_PAUSED: 3,
  /** Bytes in the send ring not yet handed to the operating system. */
  TX_USED: 4,
  /** 1 while a "bytes to send" message is on its way to the socket thread. */
  TX_SIGNALED: 5,
  /** Length in bytes of the error text (`kind\ncode\nmessage`), written before STATE becomes ERROR. */
  ERROR_LEN: 6,
  /** Incremented by the socket thread on every change of this channel. */
  SEQ: 7,
  /** The most bytes the receive ring ever held. */
  PEAK: 8,
  /**
   * 1 when the writer was refused room: the socket thread announces the next drain. (A write that
   * fit needs no such news, as a socket's complete write needs no 'drain'.)
   */
  TX_WANTS_ROOM: 9,
  /**
   * Bytes of the receive ring the reader has taken as views and not yet freed (included in
   * `RX_USED`), written by the reader before it subtracts freed bytes from `RX_USED`: the socket
   * thread resumes by itself when the reader has taken every byte and the ring has room.
   */
  RX_HELD: 10,
  /**
   * The socket's file descriptor, written by the socket thread before it sets `TX_DIRECT` to 1:
   * the calling thread writes to it itself while the send ring is empty (see `TX_DIRECT`).
   */
  TX_FD: 11,
  /**
   * Who may use `TX_FD`: 0 nobody (the start, and for good once the socket thread revoked it), 1 the
   * calling thread may take it, 2 the calling thread is writing to it. The calling thread takes it
   * with `compareExchange(1, 2)`, makes one `write(2)` call and stores 1 again; the socket thread,
   * before anything can close the socket (and the number be reused by another file), revokes it
   * with `compareExchange(1, 0)`, waiting with `Atomics.wait` while it finds 2. Only the calling
   * thread leaves 2 and only the socket thread leaves 1 for 0, so no write reaches a closed or
   * reused descriptor.
   */
  TX_DIRECT: 12,
} as const;

/** Int32 words reserved at the start of a channel's control block. */
export const CHANNEL_WORDS = 16;
/** Byte offset of the error text in a channel's control block. */
export const CHANNEL_TEXT_OFFSET: number = CHANNEL_WORDS * 4;
/** Bytes of the error text area (a longer text is cut). */
export const CHANNEL_TEXT_BYTES = 2048;
/** Size of a channel's control block in bytes. */
export const CHANNEL_CONTROL_BYTES: number = CHANNEL_TEXT_OFFSET + CHANNEL_TEXT_BYTES;

/** Indices of the Int32 words of a lookup's block. */
export const LookupWord = {
  /** 0 pending, 1 done, 2 failed; written last. */
  STATE: 0,
  /** Length in bytes of the JSON answer after the words. */
  LENGTH: 1,
} as const;

/** Byte offset of a lookup's JSON answer. */
export const LOOKUP_TEXT_OFFSET = 8;
/** Size of a lookup's block in bytes (the answer is cut to the addresses that fit). */
export const LOOKUP_BLOCK_BYTES: number = 8 * 1024;

/** Indices of the Int32 words of the network's notification block. */
export const NotifyWord = {
  /**
   * Incremented (and `Atomics.notify`-ed) on every change of any channel or lookup: a blocking
   * `poll()` waits on it with `Atomics.wait`, an event-loop listener with `Atomics.waitAsync`.
   */
  SEQ: 0,
  /**
   * Set to 1 by the calling thread when it wants one wake-up message; the socket thread clears it
   * when it sends one. Used only where `Atomics.waitAsync` is missing.
   */
  ARMED: 1,
  /**
   * Incremented (and `Atomics.notify`-ed) by the calling thread after it queued a signal: the
   * socket thread waits on it with `Atomics.waitAsync`, so a write wakes it without a message.
   */
  DOORBELL: 2,
} as const;

/** Size of the notification block in bytes. */
export const NOTIFY_BLOCK_BYTES = 16;

/**
 * Indices of the Int32 words of the signal queue: channel numbers the calling thread hands to the
 * socket thread (a positive number: bytes to send; a negative one: the reader freed room, resume).
 * Single producer (the calling thread), single consumer (the socket thread); both indices only
 * grow (wrapping as Int32), and a slot is at `SIGNAL_SLOTS_OFFSET + (index & (SIGNAL_SLOTS - 1))`.
 */
export const SignalWord = {
  /** The next slot the socket thread reads; written by it. */
  HEAD: 0,
  /** The next slot the calling thread writes; written by it after the slot. */
  TAIL: 1,
} as const;

/** Index of the first slot of the signal queue. */
export const SIGNAL_SLOTS_OFFSET = 2;
/** Slots of the signal queue (a power of two); when it is full, signals go by message. */
export const SIGNAL_SLOTS = 1024;
/** Size of the signal queue in bytes. */
export const SIGNAL_QUEUE_BYTES: number = (SIGNAL_SLOTS_OFFSET + SIGNAL_SLOTS) * 4;
