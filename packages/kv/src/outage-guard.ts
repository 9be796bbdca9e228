import { isPlexusError } from '@plexus/kernel'
import { storeUnavailable } from './store-errors.js'

interface Pending {
  /** When it started (performance.now()). */
  readonly at: number
  readonly fail: (error: Error) => void
}

/**
 * Keeps a networked store's calls from hanging: while the connection is down every call fails at
 * once with UNAVAILABLE, calls in flight when it drops fail too, and any call still unanswered
 * after `timeout` ms fails the same way. Clients queue or wait through reconnects by design; a
 * caller with a deadline wants an answer instead. No timer per call: one sweep, running only
 * while calls are in flight, checks every quarter of the timeout (oldest first).
 */
export class OutageGuard {
  readonly #kind: string
  readonly #timeout: number
  readonly #pending = new Set<Pending>()
  #sweep: ReturnType<typeof setInterval> | undefined
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
    for (const pending of failing) pending.fail(storeUnavailable(this.#kind, why))
  }

  /** Runs one store operation under the guard; client errors become UNAVAILABLE. */
  run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#down !== undefined) {
      return Promise.reject(storeUnavailable(this.#kind, this.#down))
    }
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { at: performance.now(), fail: reject }
      this.#pending.add(pending)
      if (this.#sweep === undefined) this.#arm()
      operation().then(
        (value) => {
          if (this.#pending.delete(pending)) resolve(value)
        },
        (error: unknown) => {
          if (!this.#pending.delete(pending)) return
          reject(
            isPlexusError(error)
              ? error
              : storeUnavailable(this.#kind, (error as Error)?.message ?? String(error), error),
          )
        },
      )
    })
  }

  #arm(): void {
    this.#sweep = setInterval(() => this.#expire(), Math.max(5, this.#timeout / 4))
    this.#sweep.unref?.()
  }

  #expire(): void {
    const now = performance.now()
    // Insertion order is start order: stop at the first call still within its time.
    for (const pending of this.#pending) {
      if (now - pending.at < this.#timeout) break
      this.#pending.delete(pending)
      pending.fail(storeUnavailable(this.#kind, `no answer within ${this.#timeout} ms`))
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#sweep)
      this.#sweep = undefined
    }
  }
}
