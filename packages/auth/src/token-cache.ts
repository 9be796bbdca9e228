import type { Principal } from './principal.js'

/**
 * Verified tokens by their text until they expire, bounded: verification costs 0.2–0.5 ms, a
 * lookup a few hundred ns. Only tokens that verified get in, so bad tokens cannot fill it.
 */
export class TokenCache {
  readonly #entries = new Map<string, { principal: Principal; expiresAt: number }>()
  readonly #max: number

  constructor(max: number) {
    this.#max = max
  }

  /** The cached principal, or undefined when absent or past its expiry (then dropped). */
  get(token: string, now: number): Principal | undefined {
    const entry = this.#entries.get(token)
    if (entry === undefined) return undefined
    if (now >= entry.expiresAt) {
      this.#entries.delete(token)
      return undefined
    }
    return entry.principal
  }

  /** Remembers a verified token until `expiresAt` (ms); evicts the oldest entry when full. */
  set(token: string, principal: Principal, expiresAt: number): void {
    if (this.#max <= 0) return
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next()
      if (oldest.done !== true) this.#entries.delete(oldest.value)
    }
    this.#entries.set(token, { principal, expiresAt })
  }

  /** How many tokens are cached. */
  get size(): number {
    return this.#entries.size
  }

  /** Forgets every token (after revoking a key). */
  clear(): void {
    this.#entries.clear()
  }
}
