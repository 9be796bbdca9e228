/** One line of the dashboard's recent-events list. */
export interface RecentEvent {
  /** Epoch milliseconds. */
  at: number
  /** `event` for a bus event, `lifecycle` for a change seen in the status snapshot. */
  kind: 'event' | 'lifecycle'
  text: string
}

/** A bounded ring of recent events, newest first when read. */
export class RecentEvents {
  readonly #items: RecentEvent[] = []
  readonly #limit: number

  constructor(limit = 50) {
    this.#limit = limit
  }

  /** Adds one event, dropping the oldest past the limit. */
  push(event: RecentEvent): void {
    this.#items.push(event)
    if (this.#items.length > this.#limit) this.#items.shift()
  }

  /** Newest first. */
  list(): RecentEvent[] {
    return [...this.#items].reverse()
  }
}
