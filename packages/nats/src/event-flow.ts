import type { Bus } from '@plexus/kernel'

/** Plain (at-most-once) events this kernel sent to peers over node links, and their fate. */
export interface EventFlowFigures {
  /** Events handed to a node link (refused ones included). */
  readonly sent: number
  /** Events a peer's handler ran (finished, or failed with HANDLER / VALIDATION). */
  readonly handled: number
  /** Events that were not handled: refused here (buffer full) or failed there; = sent - handled - inFlight. */
  readonly dropped: number
  /** Dropped events by reason: `full` (refused here) or the error code a peer answered. */
  readonly reasons: Readonly<Record<string, number>>
  /** Events in flight to peers now. */
  readonly inFlight: number
  /** The most that were ever in flight at once (never above the bound). */
  readonly highWater: number
  /** The bound (`nats.maxEventsInFlight`). */
  readonly limit: number
}

/** Codes that say the peer's handler ran (and failed): delivered, not dropped. */
const RAN = new Set(['HANDLER', 'VALIDATION'])

/** The topic drops are announced on, at most once a second: `{ dropped, total, reasons }`. */
export const EVENTS_DROPPED = 'plexus.events.dropped'

/**
 * The bounded buffer of plain events in flight from this kernel to its peers (T15). Core NATS is
 * at-most-once and a slow subscriber must not make the publisher hold events without bound: past
 * `limit` in flight, an event is dropped at once (`emit` never waits), and every drop — refused
 * here, or failed on the peer (its mailbox full, a deadline, a lost link) — is counted and
 * announced on `plexus.events.dropped`, so dropped = sent - handled, never silent.
 */
export class EventFlow {
  readonly limit: number
  readonly #reasons: Record<string, number> = {}
  readonly #bus: Bus
  #sent = 0
  #handled = 0
  #dropped = 0
  #announced = 0
  #inFlight = 0
  #highWater = 0
  #timer: NodeJS.Timeout | undefined

  constructor(bus: Bus, limit: number) {
    this.#bus = bus
    this.limit = limit
  }

  /** Sends one event through `send` unless the buffer is full; counts how it ends. */
  deliver(send: () => Promise<unknown>): Promise<unknown> {
    this.#sent++
    if (this.#inFlight >= this.limit) {
      // Resolved, not rejected: the drop is counted and announced here, without an error log
      // per event from the kernel at the rate a flood arrives.
      this.#drop('full')
      return Promise.resolve()
    }
    this.#inFlight++
    if (this.#inFlight > this.#highWater) this.#highWater = this.#inFlight
    return send().then(
      (value) => {
        this.#inFlight--
        this.#handled++
        return value
      },
      (error: unknown) => {
        this.#inFlight--
        const code = (error as { code?: string }).code ?? 'HANDLER'
        // A handler that ran and failed was delivered: its failure is the kernel's to report.
        if (RAN.has(code)) this.#handled++
        else this.#drop(code)
        throw error
      },
    )
  }

  /** The figures now. */
  figures(): EventFlowFigures {
    return {
      sent: this.#sent,
      handled: this.#handled,
      dropped: this.#dropped,
      reasons: { ...this.#reasons },
      inFlight: this.#inFlight,
      highWater: this.#highWater,
      limit: this.limit,
    }
  }

  /** Announces what is left and stops the timer. */
  stop(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#announce()
  }

  #drop(reason: string): void {
    this.#dropped++
    this.#reasons[reason] = (this.#reasons[reason] ?? 0) + 1
    if (this.#timer !== undefined) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#announce()
    }, 1000)
    this.#timer.unref()
  }

  #announce(): void {
    const dropped = this.#dropped - this.#announced
    if (dropped === 0) return
    this.#announced = this.#dropped
    this.#bus.announce(EVENTS_DROPPED, {
      dropped,
      total: this.#dropped,
      reasons: { ...this.#reasons },
    })
  }
}
