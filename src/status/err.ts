import { nameLookup } from "./enum-name.ts";

/**
 * Godot's global error codes, returned by the methods of this library. Named `Err` so the global
 * `Error` is not shadowed. Values are Godot 4's (`core/error/error_list.h`).
 */
export const Err = {
  /** Success. */
  OK: 0,
  /** A generic failure. */
  FAILED: 1,
  /** The feature is not available. */
  ERR_UNAVAILABLE: 2,
  /** The object is not set up for this call (e.g. not connected, not in a tree). */
  ERR_UNCONFIGURED: 3,
  /** Godot error `ERR_UNAUTHORIZED`. */
  ERR_UNAUTHORIZED: 4,
  /** A parameter is out of its allowed range. */
  ERR_PARAMETER_RANGE_ERROR: 5,
  /** Godot error `ERR_OUT_OF_MEMORY`. */
  ERR_OUT_OF_MEMORY: 6,
  /** Godot error `ERR_FILE_NOT_FOUND`. */
  ERR_FILE_NOT_FOUND: 7,
  /** Godot error `ERR_FILE_BAD_DRIVE`. */
  ERR_FILE_BAD_DRIVE: 8,
  /** Godot error `ERR_FILE_BAD_PATH`. */
  ERR_FILE_BAD_PATH: 9,
  /** Godot error `ERR_FILE_NO_PERMISSION`. */
  ERR_FILE_NO_PERMISSION: 10,
  /** Godot error `ERR_FILE_ALREADY_IN_USE`. */
  ERR_FILE_ALREADY_IN_USE: 11,
  /** A file could not be opened. */
  ERR_FILE_CANT_OPEN: 12,
  /** A file could not be written. */
  ERR_FILE_CANT_WRITE: 13,
  /** Godot error `ERR_FILE_CANT_READ`. */
  ERR_FILE_CANT_READ: 14,
  /** Godot error `ERR_FILE_UNRECOGNIZED`. */
  ERR_FILE_UNRECOGNIZED: 15,
  /** Godot error `ERR_FILE_CORRUPT`. */
  ERR_FILE_CORRUPT: 16,
  /** Godot error `ERR_FILE_MISSING_DEPENDENCIES`. */
  ERR_FILE_MISSING_DEPENDENCIES: 17,
  /** Godot error `ERR_FILE_EOF`. */
  ERR_FILE_EOF: 18,
  /** Godot error `ERR_CANT_OPEN`. */
  ERR_CANT_OPEN: 19,
  /** Godot error `ERR_CANT_CREATE`. */
  ERR_CANT_CREATE: 20,
  /** Godot error `ERR_QUERY_FAILED`. */
  ERR_QUERY_FAILED: 21,
  /** Godot error `ERR_ALREADY_IN_USE`. */
  ERR_ALREADY_IN_USE: 22,
  /** Godot error `ERR_LOCKED`. */
  ERR_LOCKED: 23,
  /** An operation timed out. */
  ERR_TIMEOUT: 24,
  /** No connection could be made. */
  ERR_CANT_CONNECT: 25,
  /** A host name could not be resolved. */
  ERR_CANT_RESOLVE: 26,
  /** The connection failed. */
  ERR_CONNECTION_ERROR: 27,
  /** Godot error `ERR_CANT_ACQUIRE_RESOURCE`. */
  ERR_CANT_ACQUIRE_RESOURCE: 28,
  /** Godot error `ERR_CANT_FORK`. */
  ERR_CANT_FORK: 29,
  /** Data is missing or malformed. */
  ERR_INVALID_DATA: 30,
  /** A parameter is invalid; nothing was done. */
  ERR_INVALID_PARAMETER: 31,
  /** Godot error `ERR_ALREADY_EXISTS`. */
  ERR_ALREADY_EXISTS: 32,
  /** Godot error `ERR_DOES_NOT_EXIST`. */
  ERR_DOES_NOT_EXIST: 33,
  /** Godot error `ERR_DATABASE_CANT_READ`. */
  ERR_DATABASE_CANT_READ: 34,
  /** Godot error `ERR_DATABASE_CANT_WRITE`. */
  ERR_DATABASE_CANT_WRITE: 35,
  /** Godot error `ERR_COMPILATION_FAILED`. */
  ERR_COMPILATION_FAILED: 36,
  /** Godot error `ERR_METHOD_NOT_FOUND`. */
  ERR_METHOD_NOT_FOUND: 37,
  /** Godot error `ERR_LINK_FAILED`. */
  ERR_LINK_FAILED: 38,
  /** Godot error `ERR_SCRIPT_FAILED`. */
  ERR_SCRIPT_FAILED: 39,
  /** Godot error `ERR_CYCLIC_LINK`. */
  ERR_CYCLIC_LINK: 40,
  /** Godot error `ERR_INVALID_DECLARATION`. */
  ERR_INVALID_DECLARATION: 41,
  /** Godot error `ERR_DUPLICATE_SYMBOL`. */
  ERR_DUPLICATE_SYMBOL: 42,
  /** Godot error `ERR_PARSE_ERROR`. */
  ERR_PARSE_ERROR: 43,
  /** The object is busy with an earlier call. */
  ERR_BUSY: 44,
  /** Godot error `ERR_SKIP`. */
  ERR_SKIP: 45,
  /** Godot error `ERR_HELP`. */
  ERR_HELP: 46,
  /** An internal error that should never happen. */
  ERR_BUG: 47,
  /** Godot error `ERR_PRINTER_ON_FIRE`. */
  ERR_PRINTER_ON_FIRE: 48,
} as const;

/** A value of {@link Err}. */
export type Err = (typeof Err)[keyof typeof Err];

const errNames = nameLookup(Err);

/**
 * Returns the name of an {@link Err} value, e.g. `"ERR_BUSY"` for 44.
 *
 * @param value - An error code.
 * @returns The member name, or `"UNKNOWN(<value>)"` for a number that is not an error code.
 */
export function errName(value: number): string {
  return errNames(value) ?? `UNKNOWN(${value})`;
}
