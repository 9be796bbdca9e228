import type { Clock } from './clock.js'
import type { CancelSource } from './context.js'
import { PlexusError } from './errors.js'

/** What the wheel needs from a call's context. */
export interface Deadlined {
  /** Absolute deadline on the kernel clock. */
  readonly deadline: number
  /** The external signal that cancels the call, if the caller passed one. */
  readonly cancelSignal: CancelSource | undefined
  /** Aborts the callee's signal with `reason`. */
  abort(reason: PlexusError): void
  /** Describes the call for error messages. */
  describe(): string
  /** Budget the call started with, in ms (for messages). */
  readonly budget: number
  /** The message ended: drop what it holds on its cancel source. */
  release(): void
}

// `new Promise(capture)` hands its resolvers over without an executor closure per tracked call.
let resolveNext: (value: unknown) => void = () => {}
let rejectNext: (reason: unknown) => void = () => {}
function capture(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  resolveNext = resolve
  rejectNext = reject
}

class Bucket {
  items: Entry[] = []
  live = 0
  constructor(readonly key: number) {}
}

class Entry {
  done = false
  onCancel: (() => void) | undefined = undefined
  constructor(
    readonly ctx: Deadlined,
    readonly resolve: (value: unknown) => void,
    readonly reject: (reason: unknown) => void,
    readonly bucket: Bucket,
    readonly ends: boolean,
  ) {}
  /** Ends the call with `reason` (TIMEOUT, CANCELLED or UNAVAILABLE); called at most once. */
  expire(reason: PlexusError): void {
    this.ctx.abort(reason)
    this.reject(reason)
  }
}

/**
 * One timer for every pending call of a kernel, instead of a `setTimeout` per call. Pending calls
 * sit in buckets of `resolution` ms keyed by deadline; while any call is pending, one interval
 * ticks every `resolution` ms, expires the due buckets and caches the time, so the message path
 * reads a cached clock instead of calling `performance.now()` per call. A settled call is only
 * marked done (no removal cost); a bucket is dropped when its last live call settles, and
 * compacted when it is mostly dead. Calls that answer synchronously never touch the wheel.
 * A tick that finds no call tracked since the last one puts the wheel at rest: one timeout for
 * the earliest pending deadline instead of the interval (the clock is then read, not cached),
 * so a kernel whose only pending work is a long wait (a stream's next item, a slow call) wakes
 * for nothing; the next tracked call starts the interval again.
 * A deadline fires at most `2 * resolution` ms late, never early.
 */
export class DeadlineWheel {
  readonly #clock: Clock
  readonly #resolution: number
  readonly #buckets = new Map<number, Bucket>()
  readonly #keys: number[] = []
  /** The interval, while ticking. */
  #timer: NodeJS.Timeout | undefined
  /** The timeout for the earliest pending deadline, while at rest. */
  #rest: NodeJS.Timeout | undefined
  /** A call was tracked since the last tick. */
  #added = false
  #now = 0
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

  /** The current time: cached (at most one tick old, rounded up) while ticking, else read. */
  now(): number {
    return this.#timer !== undefined ? this.#now + this.#resolution : this.#clock.now()
  }

  /**
   * Settles with `work`'s outcome, or rejects with TIMEOUT when the context's deadline passes
   * first (or CANCELLED when its cancel signal fires), aborting the context's signal either way.
   * `ends`: `work` is the whole message (not one pull of a stream), so settling releases it.
   */
  track<T>(ctx: Deadlined, work: PromiseLike<T>, ends = false): Promise<T> {
    const deadline = ctx.deadline
    const signal = ctx.cancelSignal
    if (signal?.aborted) return this.#refuse(ctx, work, cancelled(ctx), ends)
    const promise = new Promise<T>(capture as never)
    const entry = this.#add(ctx, resolveNext, rejectNext, deadline, ends)
    if (signal !== undefined) {
      entry.onCancel = () => {
        if (this.#settle(entry)) entry.expire(cancelled(ctx))
      }
      signal.addEventListener('abort', entry.onCancel, { once: true })
    }
    work.then(
      (value) => {
        if (this.#settle(entry)) entry.resolve(value)
      },
      (error: unknown) => {
        if (this.#settle(entry)) entry.reject(error)
      },
    )
    return promise
  }

  /** Ends every pending call with `reason` (used when the kernel stops). */
  failAll(reason: PlexusError): void {
    for (const bucket of [...this.#buckets.values()]) {
      for (const entry of bucket.items) {
        if (this.#settle(entry)) entry.expire(reason)
      }
    }
  }

  /** Stops the timer; calls tracked later still settle by their work. */
  close(): void {
    this.#closed = true
    this.#stopTicking()
  }

  /** Re-opens a closed wheel (a kernel started again). */
  open(): void {
    this.#closed = false
  }

  #refuse<T>(ctx: Deadlined, work: PromiseLike<T>, reason: PlexusError, ends: boolean): Promise<T> {
    work.then(undefined, () => {})
    ctx.abort(reason)
    if (ends) ctx.release()
    return Promise.reject(reason)
  }

  #add(
    ctx: Deadlined,
    resolve: (value: unknown) => void,
    reject: (reason: unknown) => void,
    deadline: number,
    ends: boolean,
  ): Entry {
    const key = Math.ceil(deadline / this.#resolution)
    let bucket = this.#buckets.get(key)
    if (bucket === undefined) {
      bucket = new Bucket(key)
      this.#buckets.set(key, bucket)
      insertSorted(this.#keys, key)
    }
    const entry = new Entry(ctx, resolve, reject, bucket, ends)
    bucket.items.push(entry)
    bucket.live++
    this.#added = true
    if (this.#timer === undefined) this.#startTicking()
    // A busy wheel keeps the process alive so TIMEOUT always arrives; an idle one must not.
    else if (this.#pending === 0) this.#timer.ref()
    this.#pending++
    return entry
  }

  #settle(entry: Entry): boolean {
    if (entry.done) return false
    entry.done = true
    if (entry.onCancel !== undefined) {
      entry.ctx.cancelSignal?.removeEventListener('abort', entry.onCancel)
    }
    if (entry.ends) entry.ctx.release()
    const bucket = entry.bucket
    // Release settled entries cheaply: pop them off the tail (a call at concurrency 1 always
    // settles the tail), and compact a bucket that is mostly dead. An empty bucket stays keyed
    // until due, so its key is never inserted twice.
    bucket.live--
    const items = bucket.items
    if (items[items.length - 1] === entry) {
      items.pop()
      while (items.length > 0 && items[items.length - 1]!.done) items.pop()
    } else if (items.length > 64 && bucket.live * 4 < items.length) {
      bucket.items = items.filter((e) => !e.done)
    }
    if (--this.#pending === 0) {
      this.#timer?.unref()
      this.#rest?.unref()
    }
    return true
  }

  #startTicking(): void {
    if (this.#closed) return
    if (this.#rest !== undefined) clearTimeout(this.#rest)
    this.#rest = undefined
    this.#now = this.#clock.now()
    this.#timer = setInterval(this.#tick, this.#resolution)
  }

  #stopTicking(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    if (this.#rest !== undefined) clearTimeout(this.#rest)
    this.#timer = undefined
    this.#rest = undefined
  }

  /** Trades the interval for one timeout at the earliest live bucket's due time. */
  #sleep(now: number): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    let due = Infinity
    for (const key of this.#keys) {
      if ((this.#buckets.get(key)?.live ?? 0) > 0) {
        due = key * this.#resolution
        break
      }
    }
    // Ref'd like the interval: pending calls keep the process alive until they end.
    this.#rest = setTimeout(this.#wake, Math.min(Math.max(due - now, 1), MAX_TIMEOUT))
  }

  readonly #wake = (): void => {
    this.#rest = undefined
    this.#tick()
  }

  readonly #tick = (): void => {
    const now = (this.#now = this.#clock.now())
    const keys = this.#keys
    let due = 0
    while (due < keys.length && keys[due]! * this.#resolution <= now) due++
    if (due > 0) {
      for (const key of keys.splice(0, due)) {
        const bucket = this.#buckets.get(key)
        if (bucket === undefined) continue
        this.#buckets.delete(key)
        for (const entry of bucket.items) {
          if (this.#settle(entry)) entry.expire(timeout(entry.ctx))
        }
      }
    }
    if (this.#pending === 0) return this.#stopTicking()
    if (this.#added) this.#added = false
    else this.#sleep(now)
  }
}

/** The longest delay `setTimeout` takes (about 24.8 days). */
const MAX_TIMEOUT = 2 ** 31 - 1

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
