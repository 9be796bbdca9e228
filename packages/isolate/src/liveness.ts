/** What liveness checking drives. */
export interface LivenessHooks {
  ping(seq: number): void
  unresponsive(missed: number): void
}

/**
 * PINGs a guest every `interval` ms from the kernel's side; a PING still unanswered when the
 * next one is due counts as missed, and `misses` in a row declare the guest unresponsive. A
 * guest whose event loop is blocked cannot answer, whatever its handlers do.
 */
export class Liveness {
  readonly #timer: NodeJS.Timeout
  #seq = 0
  #answered = true
  #missed = 0

  constructor(interval: number, misses: number, hooks: LivenessHooks) {
    this.#timer = setInterval(() => {
      if (this.#answered) this.#missed = 0
      else if (++this.#missed >= misses) {
        this.stop()
        hooks.unresponsive(this.#missed)
        return
      }
      this.#answered = false
      this.#seq = (this.#seq + 1) >>> 0
      hooks.ping(this.#seq)
    }, interval)
    this.#timer.unref()
  }

  /** The guest answered. */
  pong(seq: number): void {
    if (seq === this.#seq) this.#answered = true
  }

  stop(): void {
    clearInterval(this.#timer)
  }
}
