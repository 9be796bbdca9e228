/** How many retries a caller may add on top of its own traffic. */
export interface RetryBudgetOptions {
  /** Retries allowed as a fraction of requests (default 0.2, as Envoy and Linkerd). */
  ratio?: number
  /** Retries always allowed per second, however little traffic there is (default 10). */
  minPerSecond?: number
}

/**
 * A retry budget over a sliding two-second window: retries may not exceed `ratio` of the
 * requests seen plus `minPerSecond`, so a failing dependency sees at most about 1.2x its normal
 * load instead of a retry storm. Counting a request is one increment; the clock is read only
 * when a retry is asked for.
 */
export class RetryBudget {
  readonly #ratio: number
  readonly #floor: number
  #requests = 0
  #retries = 0
  #previousRequests = 0
  #previousRetries = 0
  #windowStart = 0

  constructor(options: RetryBudgetOptions = {}) {
    this.#ratio = options.ratio ?? 0.2
    this.#floor = options.minPerSecond ?? 10
  }

  /** Counts one original request. */
  request(): void {
    this.#requests++
  }

  /** Takes one retry from the budget at time `now` (ms); false when the budget is spent. */
  tryRetry(now: number): boolean {
    const elapsed = now - this.#windowStart
    if (elapsed >= 2000) {
      this.#previousRequests = 0
      this.#previousRetries = 0
      this.#requests = 0
      this.#retries = 0
      this.#windowStart = now
    } else if (elapsed >= 1000) {
      this.#previousRequests = this.#requests
      this.#previousRetries = this.#retries
      this.#requests = 0
      this.#retries = 0
      this.#windowStart = now
    }
    const requests = this.#requests + this.#previousRequests
    const retries = this.#retries + this.#previousRetries
    if (retries + 1 > this.#ratio * requests + 2 * this.#floor) return false
    this.#retries++
    return true
  }
}
