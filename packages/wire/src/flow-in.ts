import { PlexusError } from '@plexus/kernel'
import { protocolError } from './protocol-error.js'

/**
 * The consuming end of a flow (stream output, or channel input on the responder): an async
 * iterator fed by the link that grants credit as items are consumed, so the producer never has
 * more than `window` items outstanding and nothing buffers without bound.
 */
export class FlowIn implements AsyncIterableIterator<unknown> {
  readonly #items: unknown[] = []
  #head = 0
  #outstanding: number
  #consumed = 0
  #done = false
  #error: PlexusError | undefined
  #waiter:
    { resolve: (r: IteratorResult<unknown>) => void; reject: (e: unknown) => void } | undefined
  readonly #window: number
  readonly #grant: (n: number) => void
  readonly #cancel: (reason: PlexusError) => void

  /** `granted` is the credit already given (in the REQUEST, or by an initial CREDIT). */
  constructor(
    window: number,
    granted: number,
    grant: (n: number) => void,
    cancel: (reason: PlexusError) => void,
  ) {
    this.#window = window
    this.#outstanding = granted
    this.#grant = grant
    this.#cancel = cancel
  }

  /** Items received and not yet consumed (the bound is the window). */
  get buffered(): number {
    return this.#items.length - this.#head
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  /** One item from the link; more than was granted is a protocol violation. */
  push(item: unknown): void {
    if (this.#done) return
    if (this.#outstanding <= 0) {
      const error = protocolError(
        'shape',
        `Flow producer sent more items than the ${this.#window} it was granted`,
      )
      this.fail(error)
      this.#cancel(error)
      return
    }
    this.#outstanding--
    const waiter = this.#waiter
    if (waiter !== undefined) {
      this.#waiter = undefined
      this.#consume()
      waiter.resolve({ done: false, value: item })
    } else this.#items.push(item)
  }

  /** The producer finished. */
  end(): void {
    if (this.#done) return
    this.#done = true
    this.#settleWaiter()
  }

  /** The flow failed (ERROR from the peer, the link died). */
  fail(error: PlexusError): void {
    if (this.#done) return
    this.#done = true
    this.#error = error
    this.#settleWaiter()
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head]
      this.#items[this.#head++] = undefined
      if (this.#head === this.#items.length) {
        this.#items.length = 0
        this.#head = 0
      }
      this.#consume()
      return Promise.resolve({ done: false, value })
    }
    if (this.#done) {
      if (this.#error !== undefined) {
        const error = this.#error
        this.#error = undefined
        return Promise.reject(error)
      }
      return Promise.resolve({ done: true, value: undefined })
    }
    // Starved: hand back what was consumed now rather than at the half window, so a producer
    // held back by its byte budget (a few large items) is never left waiting for a grant.
    if (this.#consumed > 0) this.#grantConsumed()
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject }
    })
  }

  return(value?: unknown): Promise<IteratorResult<unknown>> {
    if (!this.#done) {
      this.#done = true
      this.#items.length = 0
      this.#head = 0
      this.#cancel(new PlexusError('CANCELLED', 'Consumer closed the flow'))
      this.#settleWaiter()
    }
    return Promise.resolve({ done: true, value })
  }

  #consume(): void {
    if (++this.#consumed * 2 >= this.#window && !this.#done) this.#grantConsumed()
  }

  #grantConsumed(): void {
    const n = this.#consumed
    this.#consumed = 0
    this.#outstanding += n
    this.#grant(n)
  }

  #settleWaiter(): void {
    const waiter = this.#waiter
    if (waiter === undefined) return
    this.#waiter = undefined
    if (this.#error !== undefined) {
      const error = this.#error
      this.#error = undefined
      waiter.reject(error)
    } else waiter.resolve({ done: true, value: undefined })
  }
}
