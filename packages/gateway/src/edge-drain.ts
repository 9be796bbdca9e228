import type { FastifyReply } from 'fastify'

/**
 * The edge's half of a graceful stop. Once draining, new requests are refused (503) while the
 * requests already accepted run on: they are in flight to their clients, so the kernel must
 * still serve them. `drain()` resolves when the last accepted request has answered, or when the
 * budget runs out (the kernel's own drain then bounds what is left).
 */
export class EdgeDrain {
  #draining = false
  #active = 0
  #idle: (() => void) | undefined

  /** True once `drain()` was called. */
  get draining(): boolean {
    return this.#draining
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

  /** Stops accepting; resolves once every accepted request has answered, or after `ms`. */
  drain(ms: number): Promise<void> {
    this.#draining = true
    if (this.#active === 0) return Promise.resolve()
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
