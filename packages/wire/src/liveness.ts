/** What liveness checking drives. */
export interface LivenessHooks {
  ping(seq: number): void
  unresponsive(missed: number): void
  /** When the guest was last heard from at all (performance.now()); any traffic counts. */
  heardAt(): number
  /** When the last whole frame from the guest was read (without it, bytes alone count). */
  frameAt?(): number
}

/** A link Liveness watches: how to PING over it, and when it last read anything. */
export interface PingedLink {
  ping(seq: number): void
  /** performance.now() of the last bytes read from the peer. */
  readonly receivedAt: number
  /** performance.now() of the last whole frame (or message) read from the peer. */
  readonly frameAt: number
}

/**
 * PINGs a guest every `interval` ms from the kernel's side; a PING still unanswered when the
 * next one is due counts as missed, and `misses` in a row declare the guest unresponsive. Any
 * traffic from the guest since the PING counts as an answer: a guest busy sending (a flood of
 * answers, or of bad envelopes it is being refused for) is busy, not dead (Moleculer #891) —
 * as long as its bytes still end a frame within `interval × misses` of the last one: a stream
 * stuck inside a frame that never ends (a wrong length prefix under the frame limit swallows
 * every later byte, the PONGs too) is not traffic, and is declared unresponsive about twice the
 * window after its last whole frame. A guest whose event loop is blocked sends nothing,
 * whatever its handlers do. A check that runs late — this side's own event loop was stalled for
 * more than half an interval — counts no miss: the guest's answer may be waiting behind the
 * stall.
 */
export class Liveness {
  readonly #timer: NodeJS.Timeout
  #seq = 0
  #answered = true
  #missed = 0
  #sentAt = 0

  constructor(interval: number, misses: number, hooks: LivenessHooks) {
    let checkedAt = performance.now()
    const window = interval * misses
    this.#timer = setInterval(() => {
      const now = performance.now()
      const late = now - checkedAt > interval * 1.5
      checkedAt = now
      const framed = hooks.frameAt === undefined || now - hooks.frameAt() < window
      if (this.#answered || (hooks.heardAt() > this.#sentAt && framed)) this.#missed = 0
      else if (late) {
        // No evidence either way: this side could not read what arrived meanwhile.
      } else if (++this.#missed >= misses) {
        this.stop()
        hooks.unresponsive(this.#missed)
        return
      }
      this.#answered = false
      this.#seq = (this.#seq + 1) >>> 0
      this.#sentAt = performance.now()
      hooks.ping(this.#seq)
    }, interval)
    this.#timer.unref()
  }

  /** Liveness of the peer across `link` (a Session): PINGs over it, any traffic that ends frames counts. */
  static of(
    link: PingedLink,
    interval: number,
    misses: number,
    unresponsive: (missed: number) => void,
  ): Liveness {
    return new Liveness(interval, misses, {
      ping: (seq) => link.ping(seq),
      heardAt: () => link.receivedAt,
      frameAt: () => link.frameAt,
      unresponsive,
    })
  }

  /** The guest answered. */
  pong(seq: number): void {
    if (seq === this.#seq) this.#answered = true
  }

  stop(): void {
    clearInterval(this.#timer)
  }
}
