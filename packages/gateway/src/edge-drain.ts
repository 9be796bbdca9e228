import type { FastifyReply } from 'fastify'

/**
 * The edge's half of a graceful stop. Once draining, new requests are refused (503) while the
 * requests already accepted run on: they are in flight to their clients, so the kernel must
 * still serve them. `drain()` resolves when the last accepted request has answered, or when the
 * budget runs out (the kernel's own drain then bounds what is left).
 */
export class EdgeDrain {
  #draining = false
  #refusing = false
  #active = 0
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
    return this.#active
  }

  /** Counts an accepted request until its answer is written or its client goes away. */
  track(reply: FastifyReply): void {
    this.#active++
    reply.raw.once('close', () => {
      this.#active--
      if (this.#active === 0) this.#idle?.()
    })
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
    if (this.#active === 0) return
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
