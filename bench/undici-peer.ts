// undici, the main peer, loaded on first use: importing it costs about half a second, which every
// measuring child would pay whether it measures undici or not. Where undici is not installed, its
// rows are left out with a note instead of failing.
import { createRequire } from "node:module";

type Undici = typeof import("undici");

let loaded: Promise<Undici> | null = null;

/** The undici module (imported once). */
export function loadUndici(): Promise<Undici> {
  loaded ??= import("undici");
  return loaded;
}

/** Whether undici can be imported from here. */
export function undiciInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve("undici");
    return true;
  } catch {
    return false;
  }
}
