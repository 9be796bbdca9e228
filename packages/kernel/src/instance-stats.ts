import { isFault } from './errors.js'

const SAMPLES = 256

/** Per-instance figures kept cheaply on the message path; routing, metrics and `top` read them. */
export class InstanceStats {
  /** Messages being handled now. */
  inFlight = 0
  /** Messages handled since start (ok or failed). */
  count = 0
  /** Messages that ended in an error. */
  errors = 0
  /** Errors in a row since the last success (outlier detection reads it). */
  consecutiveErrors = 0
  /** Messages completed in the last full one-second window. */
  rate = 0
  #windowCount = 0
  readonly #latencies = new Float64Array(SAMPLES)
  #latencyIndex = 0
  #latencyFilled = 0

  /** Counts a failed message; `isFault` decides whether it extends the run of consecutive faults. */
  recordError(code: string): void {
    this.errors++
    if (isFault(code)) this.consecutiveErrors++
    else this.consecutiveErrors = 0
  }

  /** Records one latency sample in milliseconds (the path samples a fraction of calls). */
  sample(ms: number): void {
    this.#latencies[this.#latencyIndex] = ms
    this.#latencyIndex = (this.#latencyIndex + 1) % SAMPLES
    if (this.#latencyFilled < SAMPLES) this.#latencyFilled++
  }

  /** Closes the current one-second window (called by the kernel's once-a-second timer). */
  roll(): void {
    this.rate = this.count - this.#windowCount
    this.#windowCount = this.count
  }

  /** Latency percentile over the recent samples in milliseconds (0 when none). */
  percentile(p: number): number {
    const n = this.#latencyFilled
    if (n === 0) return 0
    const sorted = Array.from(this.#latencies.subarray(0, n)).sort((a, b) => a - b)
    return sorted[Math.min(n - 1, Math.floor((p / 100) * n))] ?? 0
  }
}
