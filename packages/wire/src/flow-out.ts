import { toPlexusError, type PlexusError } from '@plexus/kernel'

/** Where a FlowOut sends what it pulls. */
export interface FlowSink {
  /** Sends one item; returns the bytes it took on the link (0 when it was not sent). */
  item(value: unknown): number
  end(): void
  fail(error: PlexusError): void
}

/** Bytes a flow may have sent and not yet seen consumed, before it waits (one item may pass it). */
export const FLOW_BYTE_BUDGET = 3 * 1024 * 1024

/**
 * The producing end of a flow: pulls from an iterator only while the consumer has granted
 * credit (RSocket-style `request(n)`), so a fast producer waits instead of flooding the link.
 * Credit counts items; so that large items cannot fill the consumer's memory either, the flow
 * also waits while the items sent and not yet known consumed add up to `byteBudget`. A grant
 * of n means the consumer took n more items (FlowIn grants as it consumes, and at once when it
 * is starved), so each grant retires the n oldest items' sizes.
 */
export class FlowOut {
  #credit: number
  readonly #byteBudget: number
  /** Sizes of the items sent and not yet known consumed, oldest first from #oldest. */
  #sizes: number[] = []
  #oldest = 0
  #unacked = 0
  #stopped = false
  #wake: (() => void) | undefined
  #iterator: AsyncIterator<unknown> | undefined

  constructor(credit: number, byteBudget = FLOW_BYTE_BUDGET) {
    this.#credit = credit
    this.#byteBudget = byteBudget
  }

  /** Bytes sent and not yet known consumed. */
  get unacknowledged(): number {
    return this.#unacked
  }

  /** The consumer allows `n` more items (it consumed n). */
  grant(n: number): void {
    this.#credit += n
    const sizes = this.#sizes
    for (let i = 0; i < n && this.#oldest < sizes.length; i++) {
      this.#unacked -= sizes[this.#oldest] as number
      this.#oldest++
    }
    if (this.#oldest === sizes.length) {
      sizes.length = 0
      this.#oldest = 0
    }
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
        while ((this.#credit <= 0 || this.#unacked >= this.#byteBudget) && !this.#stopped) {
          await new Promise<void>((resolve) => (this.#wake = resolve))
        }
        if (this.#stopped) return
        const result = await iterator.next()
        if (this.#stopped) return
        if (result.done === true) return sink.end()
        this.#credit--
        const bytes = sink.item(result.value)
        this.#sizes.push(bytes)
        this.#unacked += bytes
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
