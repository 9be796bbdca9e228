import type { Bus } from '@plexus/kernel'

/** Plain (at-most-once) events this kernel sent to peers over node links, and their fate. */
export interface EventFlowFigures {
  /** Events handed to a node link (refused ones included). */
  readonly sent: number
  /** Events a peer's handler ran (finished, or failed with HANDLER / VALIDATION), as its tallies say. */
  readonly handled: number
  /** Events not handled: refused here (buffer full), failed there, or untallied when their link closed; = sent - handled - inFlight. */
  readonly dropped: number
  /** Dropped events by reason: `full` (refused here), `UNAVAILABLE` (link lost) or the code a peer tallied. */
  readonly reasons: Readonly<Record<string, number>>
  /** Events in flight to peers now. */
  readonly inFlight: number
  /** The most that were ever in flight at once (never above the bound). */
  readonly highWater: number
  /** The bound (`nats.maxEventsInFlight`). */
  readonly limit: number
}

/** Codes that say the peer's handler ran (and failed): delivered, not dropped. */
export const RAN_CODES: ReadonlySet<string> = new Set(['HANDLER', 'VALIDATION'])

/** The topic drops are announced on, at most once a second: `{ dropped, total, reasons }`. */
export const EVENTS_DROPPED = 'plexus.events.dropped'

/** One node link's share of the buffer: its events in flight, lost if the link closes. */
export interface LinkShare {
  inFlight: number
  closed: boolean
  /** The peer tallies one-way events (its HELLO names `event-tally`); else each is a call. */
  oneWay: boolean
}

/**
 * The bounded buffer of plain events in flight from this kernel to its peers (T15). Core NATS is
 * at-most-once and a slow subscriber must not make the publisher hold events without bound: past
 * `limit` in flight, an event is dropped at once (`emit` never waits), and every drop — refused
 * here, failed on the peer (its mailbox full, not served there), or lost with its link — is
 * counted and announced on `plexus.events.dropped`, so dropped = sent - handled, never silent.
 * Events go one way; the peer reports how they ended in batched tallies (`settle`).
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

  /** Counts one event for `share`'s link: true when it may be sent, false when it was dropped. */
  admit(share: LinkShare): boolean {
    this.#sent++
    if (share.closed) {
      this.#drop('UNAVAILABLE', 1)
      return false
    }
    if (this.#inFlight >= this.limit) {
      this.#drop('full', 1)
      return false
    }
    share.inFlight++
    if (++this.#inFlight > this.#highWater) this.#highWater = this.#inFlight
    return true
  }

  /**
   * The peer's tally for `share`'s link: `handled` events ran, `dropped` did not (by error code).
   * A tally naming more events than are in flight is cut to what is (a peer cannot forge handled
   * events out of nothing); returns false when it had to be cut.
   */
  settle(share: LinkShare, handled: number, dropped: Readonly<Record<string, number>>): boolean {
    let room = share.inFlight
    const ran = Math.min(handled, room)
    room -= ran
    this.#handled += ran
    let whole = ran === handled
    for (const reason in dropped) {
      const n = Math.min(dropped[reason]!, room)
      if (n !== dropped[reason]) whole = false
      room -= n
      this.#drop(reason, n)
    }
    this.#inFlight -= share.inFlight - room
    share.inFlight = room
    return whole
  }

  /** One admitted event could not be written (`code`): it is dropped. */
  unsent(share: LinkShare, code: string): void {
    share.inFlight--
    this.#inFlight--
    this.#drop(code, 1)
  }

  /** `share`'s link closed: what is still in flight on it is lost (UNAVAILABLE), and so is any later event. */
  lost(share: LinkShare): void {
    share.closed = true
    const n = share.inFlight
    if (n === 0) return
    share.inFlight = 0
    this.#inFlight -= n
    this.#drop('UNAVAILABLE', n)
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

  #drop(reason: string, n: number): void {
    if (n <= 0) return
    this.#dropped += n
    this.#reasons[reason] = (this.#reasons[reason] ?? 0) + n
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
