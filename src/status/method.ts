import { nameLookup } from "./enum-name.ts";

/** HTTP request methods, with Godot 4's names and numeric values. */
export const Method = {
  /** `GET` */
  METHOD_GET: 0,
  /** `HEAD`: the response has no body whatever its headers say. */
  METHOD_HEAD: 1,
  /** `POST` */
  METHOD_POST: 2,
  /** `PUT` */
  METHOD_PUT: 3,
  /** `DELETE` */
  METHOD_DELETE: 4,
  /** `OPTIONS` */
  METHOD_OPTIONS: 5,
  /** `TRACE` */
  METHOD_TRACE: 6,
  /** `CONNECT`: the request target is in authority form (`host:port`). */
  METHOD_CONNECT: 7,
  /** `PATCH` */
  METHOD_PATCH: 8,
  /** One past the last method; not a method. */
  METHOD_MAX: 9,
} as const;

/** A value of {@link Method}. */
export type Method = (typeof Method)[keyof typeof Method];

const methodNames = nameLookup(Method);

/** The wire verbs of {@link Method}, indexed by value. */
const VERBS: readonly string[] = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH"];

/**
 * Returns the name of a {@link Method} value, e.g. `"METHOD_PATCH"` for 8.
 *
 * @param value - A method value.
 * @returns The member name, or `"UNKNOWN(<value>)"` for a number that is not a method.
 */
export function methodName(value: number): string {
  return methodNames(value) ?? `UNKNOWN(${value})`;
}

/**
 * Returns the verb written on the wire for a {@link Method} value, e.g. `"PATCH"` for 8.
 *
 * @param value - A method value.
 * @returns The verb, or `undefined` for `METHOD_MAX` and numbers outside 0–8.
 */
export function methodVerb(value: number): string | undefined {
  return Number.isInteger(value) ? VERBS[value] : undefined;
}

/**
 * The verb written on the wire for a {@link Method} value or a method given by name: a string is
 * taken as written (case-sensitive; the request writer checks that it is a token).
 *
 * @param method - A method value, or a method name such as `"PROPFIND"`.
 * @returns The verb, or `undefined` for a number that is not a method and for `""`.
 */
export function verbOf(method: Method | string): string | undefined {
  return typeof method === "string" ? (method === "" ? undefined : method) : methodVerb(method);
}

/**
 * A method given by name as the {@link Method} value when it is exactly one of the nine verbs
 * (`"HEAD"` → `METHOD_HEAD`), so HEAD framing and redirect rules apply; any other name unchanged.
 *
 * @param method - A method value or name.
 * @returns The value, or the name.
 */
export function normalizeMethod(method: Method | string): Method | string {
  if (typeof method !== "string") return method;
  const index = VERBS.indexOf(method);
  return index >= 0 ? (index as Method) : method;
}
