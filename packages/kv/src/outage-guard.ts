import { isPlexusError } from '@plexus/kernel'
import { storeUnavailable } from './store-errors.js'

/**
 * Keeps a networked store's calls from hanging: while the connection is down every call fails at
 * once with UNAVAILABLE, calls in flight when it drops fail too, and any call still unanswered
 * after `timeout` ms fails the same way. Clients queue or wait through reconnects by design; a
 * caller with a deadline wants an answer instead.
 */
export class OutageGuard {
  readonly #kind: string
  readonly #timeout: number
  readonly #pending = new Set<(error: Error) => void>()
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
    for (const fail of failing) fail(storeUnavailable(this.#kind, why))
  }

  /** Runs one store operation under the guard; client errors become UNAVAILABLE. */
  run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#down !== undefined) {
      return Promise.reject(storeUnavailable(this.#kind, this.#down))
    }
    return new Promise<T>((resolve, reject) => {
      const fail = (error: Error) => {
        clearTimeout(timer)
        this.#pending.delete(fail)
        reject(error)
      }
      const timer = setTimeout(
        () => fail(storeUnavailable(this.#kind, `no answer within ${this.#timeout} ms`)),
        this.#timeout,
      )
      this.#pending.add(fail)
      operation().then(
        (value) => {
          clearTimeout(timer)
          this.#pending.delete(fail)
          resolve(value)
        },
        (error: unknown) =>
          fail(
            isPlexusError(error)
              ? error
              : storeUnavailable(this.#kind, (error as Error)?.message ?? String(error), error),
          ),
      )
    })
  }
}
