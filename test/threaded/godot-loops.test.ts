/**
 * Godot's own loops over a ThreadedNetwork: each test body is synchronous — no `await`, no
 * event-loop turn from the request's start to its end — and the origin runs in a child process.
 * On a NodeNetwork the same loops would never see a byte.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Err, HTTPClient, Method, Status, ThreadedNetwork } from "../../src/index.ts";
import { startOriginProcess, type OriginProcess } from "../helpers/origin-process.ts";

let origin: OriginProcess;
const network = new ThreadedNetwork();

beforeAll(async () => {
  origin = await startOriginProcess();
});

afterAll(async () => {
  await network.close();
  await origin.stop();
});

/** Godot's `OS.delay_msec()`: blocks this thread (its event loop does not turn). */
function delayMsec(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const latin1 = new TextDecoder("latin1");
/** The example's `OS.delay_msec(500)`, shortened to keep the suite fast. */
const EXAMPLE_DELAY_MS = 100;

describe("the Godot 4 HTTPClient example, translated line for line", () => {
  it("connects, requests and reads a chunked body with OS.delay_msec between polls", () => {
    const log: string[] = [];
    const http = new HTTPClient({ network }); // Create the Client.

    let err = http.connectToHost("localhost", origin.httpPort); // Connect to host/port.
    expect(err).toBe(Err.OK); // Make sure connection is OK.

    // Wait until resolved and connected.
    let polls = 0;
    while (http.getStatus() === Status.STATUS_CONNECTING || http.getStatus() === Status.STATUS_RESOLVING) {
      http.poll();
      log.push("Connecting...");
      delayMsec(EXAMPLE_DELAY_MS);
      expect(++polls).toBeLessThan(20);
    }

    expect(http.getStatus()).toBe(Status.STATUS_CONNECTED); // Check if the connection was made successfully.

    // Some headers
    const headers = ["User-Agent: Pirulo/1.0 (Godot)", "Accept: */*"];

    err = http.request(Method.METHOD_GET, "/chunked", headers); // Request a page from the site (this one was chunked..)
    expect(err).toBe(Err.OK); // Make sure all is OK.

    while (http.getStatus() === Status.STATUS_REQUESTING) {
      // Keep polling for as long as the request is being processed.
      http.poll();
      log.push("Requesting...");
      delayMsec(EXAMPLE_DELAY_MS);
      expect(++polls).toBeLessThan(40);
    }

    expect([Status.STATUS_BODY, Status.STATUS_CONNECTED]).toContain(http.getStatus()); // Make sure request finished well.
    expect(http.hasResponse()).toBe(true); // Site might not have a response.

    expect(http.getResponseCode()).toBe(200);
    expect(http.isResponseChunked()).toBe(true); // Does it use chunks?
    expect(http.getResponseBodyLength()).toBe(-1);

    const rb: Uint8Array[] = []; // Array that will hold the data.
    while (http.getStatus() === Status.STATUS_BODY) {
      // While there is body left to be read
      http.poll();
      const chunk = http.readResponseBodyChunk(); // Get a chunk.
      if (chunk.length === 0) {
        delayMsec(1); // Got nothing, wait for buffers to fill a bit. (OS.delay_usec(1000))
      } else {
        rb.push(chunk); // Append to read buffer.
      }
      expect(++polls).toBeLessThan(10_000);
    }
    // Done!
    const text = rb.map((piece) => latin1.decode(piece)).join("");
    expect(text).toBe(Array.from({ length: 10 }, (_, i) => `chunk-${i}\n`).join(""));
    expect(http.getStatus()).toBe(Status.STATUS_CONNECTED);
    expect(http.getErrorReason()).toBe("");
    expect(log[0]).toBe("Connecting...");
    http.close();
  });

  it("in blocking mode the same loops need no delay: each poll() waits for news", () => {
    const http = new HTTPClient({ network });
    http.setBlockingMode(true);
    expect(http.isBlockingModeEnabled()).toBe(true);
    expect(http.connectToHost("127.0.0.1", origin.httpPort)).toBe(Err.OK);
    let polls = 0;
    while (http.getStatus() === Status.STATUS_CONNECTING || http.getStatus() === Status.STATUS_RESOLVING) {
      http.poll();
      polls++;
    }
    expect(http.getStatus()).toBe(Status.STATUS_CONNECTED);
    expect(http.request(Method.METHOD_GET, "/chunked", [])).toBe(Err.OK);
    while (http.getStatus() === Status.STATUS_REQUESTING) {
      http.poll();
      polls++;
    }
    const rb: Uint8Array[] = [];
    while (http.getStatus() === Status.STATUS_BODY) {
      http.poll();
      const chunk = http.readResponseBodyChunk();
      if (chunk.length > 0) rb.push(chunk);
      polls++;
    }
    expect(rb.map((piece) => latin1.decode(piece)).join("")).toBe(Array.from({ length: 10 }, (_, i) => `chunk-${i}\n`).join(""));
    expect(http.getStatus()).toBe(Status.STATUS_CONNECTED);
    // Blocking polls return on news only: a handful, not a spin.
    expect(polls).toBeLessThan(50);
    http.close();
  });
});
