import type { Context } from './context.js'
import { PlexusError } from './errors.js'
import type { HandleFn } from './interceptor.js'
import { isThenable } from './thenable.js'

/** What the mailbox needs to know about a queued message's context. */
interface Expiring extends Context {
  readonly reason: PlexusError | undefined
}

interface Job {
  handler: HandleFn
  ctx: Expiring
  input: unknown
  key: unknown
  resolve: (value: unknown) => void
  reject: (reason: unknown) => void
}

const NO_KEY = Symbol('no key')

/**
 * A bounded mailbox: at most `concurrency` messages run at once (1 = actor-style); up to
 * `capacity` more wait in FIFO order; beyond that the message is refused with OVERLOADED.
 * With `keyOf`, messages sharing a key never overlap and keep their order.
 */
export class Mailbox {
  readonly #concurrency: number
  readonly #capacity: number
  readonly #keyOf: ((input: unknown, ctx: Context) => unknown) | undefined
  readonly #where: string
  #running = 0
  #queue: Job[] = []
  #active: Set<unknown> | undefined

  constructor(
    where: string,
    concurrency: number,
    capacity: number,
    keyOf?: (input: unknown, ctx: Context) => unknown,
  ) {
    this.#where = where
    this.#concurrency = concurrency
    this.#capacity = capacity
    this.#keyOf = keyOf
    if (keyOf) this.#active = new Set()
  }

  /** Messages waiting (not running). */
  get queued(): number {
    return this.#queue.length
  }

  /** Ends every queued message with `error` (its instance went away); running ones go on. */
  failQueued(error: PlexusError): void {
    const queue = this.#queue
    this.#queue = []
    for (const job of queue) job.reject(error)
  }

  /** Runs `handler` now if a slot is free, else queues it; throws OVERLOADED when full. */
  run(handler: HandleFn, ctx: Expiring, input: unknown): unknown {
    const key = this.#keyOf ? this.#keyOf(input, ctx) : NO_KEY
    if (this.#running < this.#concurrency && !this.#active?.has(key)) {
      return this.#start(handler, ctx, input, key)
    }
    if (this.#queue.length >= this.#capacity) {
      throw new PlexusError(
        'OVERLOADED',
        `Mailbox of ${this.#where} is full: ${this.#queue.length} queued, ${this.#running} running`,
        { data: { queued: this.#queue.length, running: this.#running } },
      )
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ handler, ctx, input, key, resolve, reject })
    })
  }

  #start(handler: HandleFn, ctx: Context, input: unknown, key: unknown): unknown {
    this.#running++
    if (key !== NO_KEY) this.#active?.add(key)
    let result: unknown
    try {
      result = handler(ctx, input)
    } catch (error) {
      this.#finish(key)
      throw error
    }
    if (isThenable(result)) {
      return Promise.resolve(result).finally(() => this.#finish(key))
    }
    this.#finish(key)
    return result
  }

  #finish(key: unknown): void {
    this.#running--
    if (key !== NO_KEY) this.#active?.delete(key)
    this.#drain()
  }

  #drain(): void {
    const queue = this.#queue
    while (this.#running < this.#concurrency && queue.length > 0) {
      const index = this.#active ? queue.findIndex((job) => !this.#active!.has(job.key)) : 0
      if (index < 0) return
      const job = index === 0 ? queue.shift()! : queue.splice(index, 1)[0]!
      // Its caller already has TIMEOUT or CANCELLED: running it now would be a side effect
      // nobody waits for.
      if (job.ctx.reason !== undefined) {
        job.reject(job.ctx.reason)
        continue
      }
      try {
        const result = this.#start(job.handler, job.ctx, job.input, job.key)
        if (isThenable(result)) result.then(job.resolve, job.reject)
        else job.resolve(result)
      } catch (error) {
        job.reject(error)
      }
    }
  }
}
