import type { Clock } from './clock.js'
import { PlexusError } from './errors.js'

/** Something with a deadline the wheel can expire. */
export interface Expirable {
  /** Ends the work with `reason` (TIMEOUT, CANCELLED or UNAVAILABLE); called at most once. */
  expire(reason: PlexusError): void
}

/** What the wheel needs from a call's context. */
export interface Deadlined {
  /** Absolute deadline on the kernel clock. */
  readonly deadline: number
  /** The external signal that cancels the call, if the caller passed one. */
  readonly cancelSignal: AbortSignal | undefined
  /** Aborts the callee's signal with `reason`. */
  abort(reason: PlexusError): void
  /** Describes the call for error messages. */
  describe(): string
  /** Budget the call started with, in ms (for messages). */
  readonly budget: number
}

class Entry implements Expirable {
  key = 0
  done = false
  onCancel: (() => void) | undefined = undefined
  constructor(
    readonly ctx: Deadlined,
    readonly resolve: (value: unknown) => void,
    readonly reject: (reason: unknown) => void,
  ) {}
  expire(reason: PlexusError): void {
    this.ctx.abort(reason)
    this.reject(reason)
  }
}

/**
 * One timer for every pending call of a kernel, instead of a `setTimeout` per call: pending calls
 * sit in buckets of `resolution` ms keyed by deadline, and a single timer is armed for the
 * earliest bucket. Calls that answer synchronously never touch the wheel at all.
 */
export class DeadlineWheel {
  readonly #clock: Clock
  readonly #resolution: number
  readonly #buckets = new Map<number, Set<Entry>>()
  #keys: number[] = []
  #timer: NodeJS.Timeout | undefined
  #armedKey = Infinity
  #pending = 0
  #closed = false

  constructor(clock: Clock, resolution = 5) {
    this.#clock = clock
    this.#resolution = resolution
  }

  /** Calls waiting on the wheel now. */
  get pending(): number {
    return this.#pending
  }

  /**
   * Settles with `work`'s outcome, or rejects with TIMEOUT when the context's deadline passes
   * first (or CANCELLED when its cancel signal fires), aborting the context's signal either way.
   */
  track<T>(ctx: Deadlined, work: PromiseLike<T>): Promise<T> {
    const deadline = ctx.deadline
    const signal = ctx.cancelSignal
    if (signal?.aborted) return this.#refuse(ctx, work, cancelled(ctx))
    if (deadline <= this.#clock.now()) return this.#refuse(ctx, work, timeout(ctx))
    return new Promise<T>((resolve, reject) => {
      const entry = new Entry(ctx, resolve as (value: unknown) => void, reject)
      this.#add(entry, deadline)
      if (signal !== undefined) {
        entry.onCancel = () => {
          if (this.#remove(entry)) entry.expire(cancelled(ctx))
        }
        signal.addEventListener('abort', entry.onCancel, { once: true })
      }
      work.then(
        (value) => {
          if (this.#remove(entry)) resolve(value)
        },
        (error: unknown) => {
          if (this.#remove(entry)) reject(error)
        },
      )
    })
  }

  /** Ends every pending call with `reason` (used when the kernel stops). */
  failAll(reason: PlexusError): void {
    for (const key of this.#keys) {
      const bucket = this.#buckets.get(key)
      if (bucket === undefined) continue
      for (const entry of bucket) {
        this.#remove(entry)
        entry.expire(reason)
      }
    }
  }

  /** Stops the timer; calls tracked later still settle by their work. */
  close(): void {
    this.#closed = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#armedKey = Infinity
  }

  /** Re-opens a closed wheel (a kernel started again). */
  open(): void {
    this.#closed = false
    this.#arm()
  }

  #refuse<T>(ctx: Deadlined, work: PromiseLike<T>, reason: PlexusError): Promise<T> {
    work.then(undefined, () => {})
    ctx.abort(reason)
    return Promise.reject(reason)
  }

  #add(entry: Entry, deadline: number): void {
    const key = Math.ceil(deadline / this.#resolution)
    entry.key = key
    let bucket = this.#buckets.get(key)
    if (bucket === undefined) {
      bucket = new Set()
      this.#buckets.set(key, bucket)
      insertSorted(this.#keys, key)
    }
    bucket.add(entry)
    if (this.#pending++ === 0 && this.#timer !== undefined) this.#timer.ref()
    if (key < this.#armedKey) this.#arm()
  }

  #remove(entry: Entry): boolean {
    if (entry.done) return false
    entry.done = true
    if (entry.onCancel !== undefined) {
      entry.ctx.cancelSignal?.removeEventListener('abort', entry.onCancel)
    }
    const bucket = this.#buckets.get(entry.key)
    if (bucket !== undefined && bucket.delete(entry) && bucket.size === 0) {
      this.#buckets.delete(entry.key)
    }
    // An idle wheel must not keep the process alive; a busy one must, so TIMEOUT always arrives.
    if (--this.#pending === 0 && this.#timer !== undefined) this.#timer.unref()
    return true
  }

  #arm(): void {
    if (this.#closed) return
    while (this.#keys.length > 0 && !this.#buckets.has(this.#keys[0]!)) this.#keys.shift()
    const first = this.#keys[0]
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#armedKey = Infinity
    if (first === undefined) return
    const delay = Math.max(0, first * this.#resolution - this.#clock.now())
    this.#armedKey = first
    this.#timer = setTimeout(this.#tick, delay)
    if (this.#pending === 0) this.#timer.unref()
  }

  readonly #tick = (): void => {
    this.#timer = undefined
    this.#armedKey = Infinity
    const now = this.#clock.now()
    while (this.#keys.length > 0 && this.#keys[0]! * this.#resolution <= now) {
      const key = this.#keys.shift()!
      const bucket = this.#buckets.get(key)
      if (bucket === undefined) continue
      for (const entry of bucket) {
        this.#remove(entry)
        entry.expire(timeout(entry.ctx))
      }
      this.#buckets.delete(key)
    }
    this.#arm()
  }
}

/** The TIMEOUT error for a context. */
export function timeout(ctx: Deadlined): PlexusError {
  const budget = Number.isFinite(ctx.budget) ? `${Math.round(ctx.budget)} ms ` : ''
  return new PlexusError('TIMEOUT', `Deadline ${budget}passed for ${ctx.describe()}`)
}

/** The CANCELLED error for a context. */
export function cancelled(ctx: Deadlined): PlexusError {
  return new PlexusError('CANCELLED', `Caller cancelled ${ctx.describe()}`)
}

function insertSorted(keys: number[], key: number): void {
  let i = keys.length
  if (i === 0 || keys[i - 1]! < key) {
    keys.push(key)
    return
  }
  while (i > 0 && keys[i - 1]! > key) i--
  keys.splice(i, 0, key)
}
