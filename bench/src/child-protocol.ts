/** What the runner and a measurement process say to each other. */
import type { Counts } from './measure.js'

/** Options the runner passes to a measurement process (as JSON in argv). */
export interface ChildOptions {
  concurrency: number
  counts: Counts
  /** Write a CPU profile of the measurement to this path (positions mapped to the sources). */
  profile?: string
}

/** The marker in front of the one result line a measurement process prints. */
export const RESULT_MARKER = 'BENCH_RESULT '
