import type { Logger, PlexusError } from '@plexus/kernel'

const FIRST = 10
const EVERY = 1000

/** Counts refused envelopes and logs them at a capped rate (the first ten, then one per thousand). */
export class ViolationLog {
  count = 0
  readonly #logger: Logger
  readonly #onRecord: (() => void) | undefined

  /** `onRecord` runs for every refusal (the instance's `refused` figure). */
  constructor(logger: Logger, onRecord?: () => void) {
    this.#logger = logger
    this.#onRecord = onRecord
  }

  record(error: PlexusError): void {
    this.#onRecord?.()
    const n = ++this.count
    if (n <= FIRST || n % EVERY === 0) {
      this.#logger.warn(
        { code: error.code, data: error.data, violations: n },
        `Link refused an envelope: ${error.message}`,
      )
    }
  }
}
