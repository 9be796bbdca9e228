import type { RestartPolicy } from './isolation-settings.js'

/**
 * Counts restarts in a sliding window: at most `intensity` within `period` ms, then the
 * supervisor gives up (the instance is FAILED). The wait before each restart doubles with the
 * restarts already in the window, up to `maxBackoff`.
 */
export class RestartBudget {
  readonly #policy: RestartPolicy
  readonly #times: number[] = []

  constructor(policy: RestartPolicy) {
    this.#policy = policy
  }

  /** Takes one restart at `now`; returns the wait in ms, or undefined when the budget is spent. */
  take(now: number): number | undefined {
    const { intensity, period, backoff, maxBackoff } = this.#policy
    while (this.#times.length > 0 && now - this.#times[0]! > period) this.#times.shift()
    if (this.#times.length >= intensity) return undefined
    this.#times.push(now)
    return Math.min(maxBackoff, backoff * 2 ** (this.#times.length - 1))
  }
}
