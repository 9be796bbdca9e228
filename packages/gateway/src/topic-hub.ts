/** Subscribes to kernel events; returns the unsubscribe. */
export type EventSource = (
  pattern: string,
  deliver: (topic: string, payload: unknown) => void,
) => () => void

/** Something that receives events for the patterns it holds. */
export interface TopicListener {
  event(topic: string, payload: unknown): void
}

/**
 * One kernel subscription per pattern, however many sockets hold it: fan-out happens here,
 * so a thousand subscribers cost the kernel one handler.
 */
export class TopicHub {
  readonly #source: EventSource
  readonly #patterns = new Map<string, { listeners: Set<TopicListener>; stop: () => void }>()

  constructor(source: EventSource) {
    this.#source = source
  }

  /** Adds a listener to a pattern, subscribing to the kernel on first use. */
  add(pattern: string, listener: TopicListener): void {
    let entry = this.#patterns.get(pattern)
    if (entry === undefined) {
      const listeners = new Set<TopicListener>()
      const stop = this.#source(pattern, (topic, payload) => {
        for (const l of listeners) l.event(topic, payload)
      })
      entry = { listeners, stop }
      this.#patterns.set(pattern, entry)
    }
    entry.listeners.add(listener)
  }

  /** Removes a listener; the kernel subscription ends with its last listener. */
  remove(pattern: string, listener: TopicListener): void {
    const entry = this.#patterns.get(pattern)
    if (entry === undefined) return
    entry.listeners.delete(listener)
    if (entry.listeners.size === 0) {
      entry.stop()
      this.#patterns.delete(pattern)
    }
  }

  /** Patterns with at least one listener. */
  get size(): number {
    return this.#patterns.size
  }

  /** Ends every kernel subscription. */
  close(): void {
    for (const entry of this.#patterns.values()) entry.stop()
    this.#patterns.clear()
  }
}
