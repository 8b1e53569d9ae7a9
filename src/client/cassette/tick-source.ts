/** A listener of {@link StepSignal}: the frame number and the step's delta in seconds. */
export type StepListener = (frame: number, delta: number) => void;

/** The part of a `Signal` a {@link TickSource} needs. */
export interface StepSignal {
  /**
   * Connects a listener.
   *
   * @param listener - Called at the start of each step.
   */
  connect(listener: StepListener): unknown;
  /**
   * Disconnects a listener.
   *
   * @param listener - The listener given to `connect`.
   */
  disconnect(listener: StepListener): unknown;
}

/**
 * Something that announces the start of each step, like `SceneTree.stepStarted`: a cassette
 * network attached to it counts one tick per step, before any node of the step runs.
 */
export interface TickSource {
  /** The signal emitted at the start of each step with the frame number and the step's delta. */
  readonly stepStarted: StepSignal;
  /** Asks for another step soon (`SceneTree.wake`); a replay uses it while recorded events are still to come. */
  wake?(): void;
}

/**
 * Connects `network.tick(delta)` to the start of every step of `source`.
 *
 * @param source - A `SceneTree` (or anything with a `stepStarted` signal).
 * @param network - The recording or replaying network.
 * @returns A function that disconnects it.
 */
export function attachTicks(source: TickSource, network: { tick(delta?: number): void }): () => void {
  const listener: StepListener = (_frame, delta) => {
    network.tick(delta);
  };
  source.stepStarted.connect(listener);
  return () => {
    source.stepStarted.disconnect(listener);
  };
}
