import { isPlexusError } from '@plexus/kernel'
import { storeUnavailable } from './store-errors.js'

/** One store call in flight: settled once, by its answer, an outage or the sweep. */
interface Pending {
  /** The sweep count when it started. */
  readonly tick: number
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

// `new Promise(capture)` hands its resolvers over without building an executor closure per call.
let resolveNext: (value: unknown) => void = () => {}
let rejectNext: (error: unknown) => void = () => {}
function capture(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  resolveNext = resolve
  rejectNext = reject
}
const same = <T>(value: T): T => value
const invoke = <T>(operation: () => Promise<T>): Promise<T> => operation()

/**
 * Keeps a networked store's calls from hanging: while the connection is down every call fails at
 * once with UNAVAILABLE, calls in flight when it drops fail too, and any call still unanswered
 * after `timeout` ms fails the same way. Clients queue or wait through reconnects by design; a
 * caller with a deadline wants an answer instead. No timer and no clock read per call: one sweep,
 * running only while calls are in flight, ticks every quarter of the timeout and fails the calls
 * that have seen five ticks go by (oldest first), so a call ends between 1 and 1.25 timeouts.
 */
export class OutageGuard {
  readonly #kind: string
  readonly #timeout: number
  readonly #pending = new Set<Pending>()
  #sweep: ReturnType<typeof setInterval> | undefined
  #tick = 0
  #down: string | undefined = 'not connected'

  constructor(kind: string, timeout: number) {
    this.#kind = kind
    this.#timeout = timeout
  }

  /** Why the store is down, or undefined while it is up. */
  get down(): string | undefined {
    return this.#down
  }

  /** The connection is usable again. */
  up(): void {
    this.#down = undefined
  }

  /** The connection dropped: fail what is in flight, refuse what comes until `up()`. */
  lost(why: string): void {
    if (this.#down !== undefined) return
    this.#down = why
    const failing = [...this.#pending]
    this.#pending.clear()
    for (const pending of failing) pending.reject(storeUnavailable(this.#kind, why))
  }

  /** Runs one store operation under the guard; client errors become UNAVAILABLE. */
  run<T>(operation: () => Promise<T>): Promise<T> {
    return this.map(invoke, operation, same)
  }

  /**
   * Runs `operation(arg)` under the guard and answers `map(answer, arg)`: a read built once,
   * with its decoding in the same step, costs no closure and no extra promise per call. `map`
   * throwing fails the call like a client error.
   */
  map<A, T, R>(
    operation: (arg: A) => Promise<T>,
    arg: A,
    map: (answer: T, arg: A) => R,
  ): Promise<R> {
    if (this.#down !== undefined) {
      return Promise.reject(storeUnavailable(this.#kind, this.#down))
    }
    const promise = new Promise<R>(capture as never)
    const pending: Pending = { tick: this.#tick, resolve: resolveNext, reject: rejectNext }
    let answer: Promise<T>
    try {
      answer = operation(arg)
    } catch (error) {
      pending.reject(this.#typed(error))
      return promise
    }
    this.#pending.add(pending)
    if (this.#sweep === undefined) this.#arm()
    answer.then(
      (value) => {
        if (!this.#pending.delete(pending)) return
        let mapped: R
        try {
          mapped = map(value, arg)
        } catch (error) {
          pending.reject(this.#typed(error))
          return
        }
        pending.resolve(mapped)
      },
      (error: unknown) => {
        if (this.#pending.delete(pending)) pending.reject(this.#typed(error))
      },
    )
    return promise
  }

  #typed(error: unknown): Error {
    return isPlexusError(error)
      ? error
      : storeUnavailable(this.#kind, (error as Error)?.message ?? String(error), error)
  }

  #arm(): void {
    this.#sweep = setInterval(() => this.#expire(), Math.max(5, this.#timeout / 4))
    this.#sweep.unref?.()
  }

  #expire(): void {
    const tick = ++this.#tick
    // Insertion order is start order: stop at the first call still within its time.
    for (const pending of this.#pending) {
      if (tick - pending.tick < 5) break
      this.#pending.delete(pending)
      pending.reject(storeUnavailable(this.#kind, `no answer within ${this.#timeout} ms`))
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#sweep)
      this.#sweep = undefined
    }
  }
}
