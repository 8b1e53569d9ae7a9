import type { CassetteEvent } from "./cassette.ts";

/** What a `RecordingNetwork` shares with its lookups and peers: the current tick and the event list. */
export interface Recorder {
  /** The current tick. */
  tick(): number;
  /**
   * Appends an event.
   *
   * @param event - The event.
   */
  add(event: CassetteEvent): void;
}
