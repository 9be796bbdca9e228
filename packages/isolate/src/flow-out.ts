import { toPlexusError, type PlexusError } from '@plexus/kernel'

/** Where a FlowOut sends what it pulls. */
export interface FlowSink {
  item(value: unknown): void
  end(): void
  fail(error: PlexusError): void
}

/**
 * The producing end of a flow: pulls from an iterator only while the consumer has granted
 * credit (RSocket-style `request(n)`), so a fast producer waits instead of flooding the link.
 */
export class FlowOut {
  #credit: number
  #stopped = false
  #wake: (() => void) | undefined
  #iterator: AsyncIterator<unknown> | undefined

  constructor(credit: number) {
    this.#credit = credit
  }

  /** The consumer allows `n` more items. */
  grant(n: number): void {
    this.#credit += n
    this.#resume()
  }

  /** Stops pulling and closes the iterator (`return()`), e.g. on CANCEL or a dead link. */
  stop(): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#closeIterator()
    this.#resume()
  }

  /** Pulls `iterator` into `sink` as credit allows; resolves when the flow is over. */
  async pump(iterator: AsyncIterator<unknown>, sink: FlowSink): Promise<void> {
    this.#iterator = iterator
    if (this.#stopped) return this.#closeIterator()
    try {
      for (;;) {
        while (this.#credit <= 0 && !this.#stopped) {
          await new Promise<void>((resolve) => (this.#wake = resolve))
        }
        if (this.#stopped) return
        const result = await iterator.next()
        if (this.#stopped) return
        if (result.done === true) return sink.end()
        this.#credit--
        sink.item(result.value)
      }
    } catch (error) {
      if (!this.#stopped) sink.fail(toPlexusError(error))
    }
  }

  #resume(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  #closeIterator(): void {
    const iterator = this.#iterator
    this.#iterator = undefined
    const done = iterator?.return?.()
    if (done !== undefined) Promise.resolve(done).then(undefined, () => {})
  }
}
