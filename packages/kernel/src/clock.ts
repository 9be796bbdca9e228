/** The time source of a kernel: milliseconds on a monotonic scale. A seam so tests can steer time. */
export interface Clock {
  /** Current time in milliseconds. */
  now(): number
}

/** The default clock: `performance.now()`, monotonic, unaffected by wall-clock jumps. */
export const systemClock: Clock = { now: () => performance.now() }
