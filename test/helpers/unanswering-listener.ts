/**
 * An address whose connects are never answered, on loopback: a child process listens without ever
 * accepting, and two filler connections fill its accept queue, so the kernel drops the SYN of every
 * later connect to it (it stays pending until closed). Linux keeps backlog + 1 connections in the
 * queue; the child listens with a backlog of 1.
 */
import { spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import { fileURLToPath } from "node:url";

/** A port on 127.0.0.1 that never answers a new connect. */
export interface UnansweringListener {
  /** The port. */
  readonly port: number;
  /** Closes the fillers, stops the child by its pid and waits for its exit. Idempotent. */
  close(): Promise<void>;
}

/** Starts the child, fills its accept queue, and resolves once a further connect would hang. */
export async function startUnansweringListener(): Promise<UnansweringListener> {
  const script = fileURLToPath(new URL("./unanswering-child.mjs", import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.once("exit", (code) => reject(new Error(`unanswering child exited early (${code})`)));
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      out += text;
      if (out.includes("\n")) resolve(Number(out.split("\n")[0]));
    });
  });
  const fillers: Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const socket = connect(port, "127.0.0.1");
    fillers.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
  }
  return {
    port,
    close(): Promise<void> {
      for (const socket of fillers) socket.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      return exited;
    },
  };
}
