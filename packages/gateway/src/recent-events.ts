/** One line of the dashboard's recent-events list. */
export interface RecentEvent {
  /** Epoch milliseconds. */
  at: number
  /** `event` for a bus event, `lifecycle` for a change seen in the status snapshot. */
  kind: 'event' | 'lifecycle'
  text: string
  /** How many identical events in a row this line stands for. */
  count: number
  /** The trace the event was emitted in (the newest, for a folded line), when it was traced. */
  traceId?: string
}

/** A bounded ring of recent events, newest first when read. */
export class RecentEvents {
  readonly #items: RecentEvent[] = []
  readonly #limit: number

  constructor(limit = 50) {
    this.#limit = limit
  }

  /** Adds one event, folding it into the newest line when it repeats it within a second. */
  push(event: Omit<RecentEvent, 'count'>): void {
    const last = this.#items.at(-1)
    if (last && last.kind === event.kind && last.text === event.text && event.at - last.at < 1000) {
      last.count++
      if (event.traceId !== undefined) last.traceId = event.traceId
      return
    }
    this.#items.push({ ...event, count: 1 })
    if (this.#items.length > this.#limit) this.#items.shift()
  }

  /** Newest first (copies, so a snapshot does not change after it is taken). */
  list(): RecentEvent[] {
    return this.#items.map((e) => ({ ...e })).reverse()
  }
}
