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
  /** The committed state's JSON: a turn that touched the state is saved only when it differs. */
  snapshot: string
  /**
   * Set by every message or reminder turn (timers do not count). Turns read no clock: whoever
   * next asks `lastUsedAt` stamps the time, at most one sweep period late.
   */
  used = false
  /** Set when the activation must not take more turns (deactivated or stale). */
  dropped = false
  /** Set by `self.deactivate()`: drop after the current turn. */
  leaving = false
  /** The activation's lease (strict mode), and the loop renewing it. */
  lease: Lease | undefined
  renewal: ReturnType<typeof setInterval> | undefined
  /** Timers by name. */
  readonly timers = new Map<string, ReturnType<typeof setTimeout>>()
  #lastUsed: number
  #tail: Promise<unknown> = Promise.resolve()
  #pending = 0

  constructor(key: string, state: S, revision: number, now: number) {
    this.key = key
    this.state = state
    this.revision = revision
    this.snapshot = JSON.stringify(state)
    this.#lastUsed = now
  }

  /** Turns waiting or running. */
  get busy(): boolean {
    return this.#pending > 0
  }

  /** When the last message or reminder turn ended, as far as is known at `now`. */
  lastUsedAt(now: number): number {
    if (this.used) {
      this.used = false
      this.#lastUsed = now
    }
    return this.#lastUsed
  }

  /**
   * Takes the gate for a turn the caller runs at once, when no turn is waiting or running
   * (false otherwise: queue it with `later`). The caller must `leave` after the turn.
   */
  enter(): boolean {
    if (this.#pending > 0) return false
    this.#pending = 1
    return true
  }

  /** Opens the gate taken by `enter`: now, or once `running` (the turn's promise) settles. */
  leave(running?: Promise<unknown>): void {
    if (running === undefined) this.#pending--
    else this.#tail = running.then(this.#done, this.#done)
  }

  /** Runs `turn` after every turn queued before it; one at a time, in arrival order. */
  later<T>(turn: () => T | Promise<T>): Promise<T> {
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
