import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import {
  Err,
  errName,
  Method,
  methodName,
  methodVerb,
  ResponseCode,
  responseCodeName,
  Result,
  resultName,
  Status,
  statusName,
  VERSION,
} from "../../src/index.ts";

describe("status enums", () => {
  it("Status has Godot 4's values 0-9", () => {
    expect(Object.values(Status)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Status.STATUS_BODY).toBe(7);
    expect(Status.STATUS_TLS_HANDSHAKE_ERROR).toBe(9);
    expect(statusName(7)).toBe("STATUS_BODY");
    expect(statusName(42)).toBe("UNKNOWN(42)");
  });

  it("Method has values 0-8 and METHOD_MAX 9, with wire verbs", () => {
    expect(Method.METHOD_PATCH).toBe(8);
    expect(Method.METHOD_MAX).toBe(9);
    expect(methodName(7)).toBe("METHOD_CONNECT");
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map(methodVerb)).toEqual([
      "GET",
      "HEAD",
      "POST",
      "PUT",
      "DELETE",
      "OPTIONS",
      "TRACE",
      "CONNECT",
      "PATCH",
    ]);
    expect(methodVerb(9)).toBeUndefined();
    expect(methodVerb(-1)).toBeUndefined();
    expect(methodVerb(1.5)).toBeUndefined();
  });

  it("Result has Godot 4's values 0-13", () => {
    expect(Object.keys(Result)).toHaveLength(14);
    expect(Result.RESULT_TIMEOUT).toBe(13);
    expect(Result.RESULT_BODY_DECOMPRESS_FAILED).toBe(8);
    expect(Result.RESULT_REDIRECT_LIMIT_REACHED).toBe(12);
    expect(resultName(13)).toBe("RESULT_TIMEOUT");
  });

  it("Err has Godot's global error numbers", () => {
    const expected: Record<string, number> = {
      OK: 0,
      FAILED: 1,
      ERR_UNAVAILABLE: 2,
      ERR_UNCONFIGURED: 3,
      ERR_PARAMETER_RANGE_ERROR: 5,
      ERR_FILE_CANT_OPEN: 12,
      ERR_FILE_CANT_WRITE: 13,
      ERR_FILE_EOF: 18,
      ERR_TIMEOUT: 24,
      ERR_CANT_CONNECT: 25,
      ERR_CANT_RESOLVE: 26,
      ERR_CONNECTION_ERROR: 27,
      ERR_INVALID_DATA: 30,
      ERR_INVALID_PARAMETER: 31,
      ERR_BUSY: 44,
      ERR_BUG: 47,
      ERR_PRINTER_ON_FIRE: 48,
    };
    for (const [name, value] of Object.entries(expected)) {
      expect((Err as Record<string, number>)[name], name).toBe(value);
      expect(errName(value)).toBe(name);
    }
    expect(Object.values(Err)).toEqual(Array.from({ length: 49 }, (_, i) => i));
  });

  it("ResponseCode names every Godot constant", () => {
    expect(Object.keys(ResponseCode)).toHaveLength(61);
    expect(ResponseCode.RESPONSE_IM_A_TEAPOT).toBe(418);
    expect(ResponseCode.RESPONSE_NETWORK_AUTH_REQUIRED).toBe(511);
    expect(responseCodeName(404)).toBe("RESPONSE_NOT_FOUND");
    expect(responseCodeName(299)).toBe("UNKNOWN(299)");
  });

  it("VERSION matches package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
