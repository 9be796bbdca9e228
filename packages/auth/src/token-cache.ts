import type { Clock } from '@plexus/kernel'
import type { Principal } from './principal.js'

/**
 * A verified token as the cache holds it. A caller may keep one (the gateway keeps the last per
 * connection) and ask `current()` instead of looking the token's text up again: it turns false
 * for good when the token expires, is evicted, or the cache is cleared after a key is revoked.
 */
export class CachedToken {
  readonly principal: Principal
  readonly #expiresAt: number
  readonly #clock: Clock
  #live = true

  constructor(principal: Principal, expiresAt: number, clock: Clock) {
    this.principal = principal
    this.#expiresAt = expiresAt
    this.#clock = clock
  }

  /** Whether the verification still stands (not expired, evicted or cleared). */
  current(): boolean {
    if (!this.#live) return false
    if (this.#clock.now() < this.#expiresAt) return true
    this.#live = false
    return false
  }

  /** Ends it for every holder (eviction, a cleared cache). */
  drop(): void {
    this.#live = false
  }
}

/**
 * Verified tokens by their text until they expire, bounded: verification costs 0.2–0.5 ms, a
 * lookup a few hundred ns. Only tokens that verified get in, so bad tokens cannot fill it.
 */
export class TokenCache {
  readonly #entries = new Map<string, CachedToken>()
  readonly #max: number
  readonly #clock: Clock

  constructor(max: number, clock: Clock) {
    this.#max = max
    this.#clock = clock
  }

  /** The cached token, or undefined when absent or no longer current (then dropped). */
  get(token: string): CachedToken | undefined {
    const entry = this.#entries.get(token)
    if (entry === undefined) return undefined
    if (entry.current()) return entry
    this.#entries.delete(token)
    return undefined
  }

  /** Remembers a verified token until `expiresAt` (ms); evicts the oldest entry when full. */
  set(token: string, principal: Principal, expiresAt: number): void {
    if (this.#max <= 0) return
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.entries().next()
      if (oldest.done !== true) {
        this.#entries.delete(oldest.value[0])
        oldest.value[1].drop()
      }
    }
    this.#entries.get(token)?.drop()
    this.#entries.set(token, new CachedToken(principal, expiresAt, this.#clock))
  }

  /** How many tokens are cached. */
  get size(): number {
    return this.#entries.size
  }

  /** Forgets every token (after revoking a key); tokens held elsewhere stop being current. */
  clear(): void {
    for (const entry of this.#entries.values()) entry.drop()
    this.#entries.clear()
  }
}
