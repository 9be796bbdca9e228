import { isThenable } from '@plexus/kernel'
import type { Lease } from './actor-lease.js'

/**
 * One active actor in this process: its state as last committed, the revision that commit got,
 * its timers, and the gate that lets one turn run at a time. The kernel's `serializeBy` orders
 * messages per key within one method; the gate also orders turns across methods, timers and
 * reminders, which reach the actor by other paths.
 */
export class Activation<S> {
  /** The actor's key. */
  readonly key: string
  /** The committed state (a turn works on it and it is saved before the turn answers). */
  state: S
  /** The store revision of the committed state (0 = never saved). */
  revision: number
  /** When the last message or reminder turn ended (timers do not count). */
  lastUsed: number
  /** Set when the activation must not take more turns (deactivated or stale). */
  dropped = false
  /** Set by `self.deactivate()`: drop after the current turn. */
  leaving = false
  /** The activation's lease (strict mode), and the loop renewing it. */
  lease: Lease | undefined
  renewal: ReturnType<typeof setInterval> | undefined
  /** Timers by name. */
  readonly timers = new Map<string, ReturnType<typeof setTimeout>>()
  #tail: Promise<unknown> = Promise.resolve()
  #pending = 0

  constructor(key: string, state: S, revision: number, now: number) {
    this.key = key
    this.state = state
    this.revision = revision
    this.lastUsed = now
  }

  /** Turns waiting or running. */
  get busy(): boolean {
    return this.#pending > 0
  }

  /**
   * Runs `turn` now when no turn is waiting or running — its answer as it comes, synchronous
   * when the turn is — else after every turn queued before it; one at a time, in arrival order.
   */
  now<T>(turn: () => T | Promise<T>): T | Promise<T> {
    if (this.#pending > 0) return this.#queue(turn)
    this.#pending++
    let result: T | Promise<T>
    try {
      result = turn()
    } catch (error) {
      this.#pending--
      throw error
    }
    if (!isThenable(result)) {
      this.#pending--
      return result
    }
    const run = Promise.resolve(result)
    this.#tail = run.then(this.#done, this.#done)
    return run
  }

  #queue<T>(turn: () => T | Promise<T>): Promise<T> {
    this.#pending++
    const run = this.#tail.then(turn)
    this.#tail = run.then(this.#done, this.#done)
    return run
  }

  readonly #done = (): void => void this.#pending--

  /** Clears every timer (on deactivation: timers never outlive their activation). */
  clearTimers(): void {
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
    clearInterval(this.renewal)
  }
}
