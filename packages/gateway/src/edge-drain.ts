import type { ServerResponse } from 'node:http'

/**
 * The edge's half of a graceful stop. Once draining, new requests are refused (503) while the
 * requests already accepted run on: they are in flight to their clients, so the kernel must
 * still serve them. `drain()` resolves when the last accepted request has answered, or when the
 * budget runs out (the kernel's own drain then bounds what is left).
 */
export class EdgeDrain {
  #draining = false
  #refusing = false
  // The accepted responses not closed yet: the gateway's one close listener settles them, so a
  // tracked request costs a set entry and no listener or closure of its own.
  readonly #tracked = new Set<ServerResponse>()
  #idle: (() => void) | undefined

  /** True once `drain()` was called: readiness is false from then on. */
  get draining(): boolean {
    return this.#draining
  }

  /** True once new requests are refused (`delay` ms after `drain()`). */
  get refusing(): boolean {
    return this.#refusing
  }

  /** Requests accepted and not answered yet. */
  get active(): number {
    return this.#tracked.size
  }

  /** Counts an accepted request until `settle` is called for its response. */
  track(response: ServerResponse): void {
    this.#tracked.add(response)
  }

  /** Ends the count of `response` (its answer was written or its client went away), if counted. */
  settle(response: ServerResponse): void {
    if (this.#tracked.delete(response) && this.#tracked.size === 0) this.#idle?.()
  }

  /**
   * Turns readiness false at once, refuses new requests after `delay` ms (the time a load
   * balancer needs to notice), then resolves once every accepted request has answered, or
   * `ms` after that.
   */
  async drain(ms: number, delay = 0): Promise<void> {
    if (this.#draining) return
    this.#draining = true
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
    this.#refusing = true
    if (this.#tracked.size === 0) return
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      timer.unref()
      const before = this.#idle
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.#idle = () => {
        before?.()
        done()
      }
    })
  }
}
