import type { CallContext } from './call-context.js'
import { PlexusError, toPlexusError } from './errors.js'
import type { Instance } from './instance.js'

/** A stream once routed: the producer's iterator, its context and instance. */
export interface OpenedStream {
  readonly iterator: AsyncIterator<unknown>
  readonly ctx: CallContext
  readonly instance: Instance
}

/** Hooks the kernel gives a stream call. */
export interface StreamHooks {
  /** Routes and opens the producer (waits for a starting service). */
  open(): Promise<OpenedStream>
  /** Races a pull against the context's deadline and cancel signal, when it has either. */
  track<T>(ctx: CallContext, work: Promise<T>): Promise<T>
  /** True when pulls must be raced (the caller set a deadline or a signal). */
  readonly bounded: boolean
  /** Called once when the stream ends, fails or is closed. */
  closed(call: StreamCall): void
}

/**
 * The consumer's side of a request-stream or channel: an async iterator that opens the producer
 * on the first pull and pulls one item per `next()` (the producer never runs ahead). `break`,
 * `return()` or an abort closes the producer with `return()`.
 */
export class StreamCall implements AsyncIterableIterator<unknown> {
  readonly #hooks: StreamHooks
  #opening: Promise<OpenedStream> | undefined
  #opened: OpenedStream | undefined
  #ended = false

  constructor(hooks: StreamHooks) {
    this.#hooks = hooks
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async next(): Promise<IteratorResult<unknown>> {
    if (this.#ended) return { done: true, value: undefined }
    let opened = this.#opened
    try {
      if (opened === undefined) {
        opened = await (this.#opening ??= this.#hooks.open())
        // Closed while opening: the late-close path in #end returns the producer.
        if (this.#ended) return { done: true, value: undefined }
        this.#opened = opened
        opened.instance.stats.inFlight++
      }
      const pull = opened.iterator.next()
      const result = this.#hooks.bounded ? await this.#hooks.track(opened.ctx, pull) : await pull
      if (result.done === true) this.#end(false)
      return result
    } catch (error) {
      const typed = toPlexusError(error)
      this.#end(true, typed)
      throw typed
    }
  }

  async return(value?: unknown): Promise<IteratorResult<unknown>> {
    this.close(new PlexusError('CANCELLED', 'Consumer closed the stream'))
    return { done: true, value }
  }

  async throw(error?: unknown): Promise<IteratorResult<unknown>> {
    this.close(toPlexusError(error, 'CANCELLED'))
    throw error
  }

  /** Ends the stream from outside (consumer close, kernel stop): the producer's `return()` runs. */
  close(reason: PlexusError): void {
    if (this.#ended) return
    this.#end(reason.code !== 'CANCELLED', reason)
  }

  #end(failed: boolean, reason?: PlexusError): void {
    if (this.#ended) return
    this.#ended = true
    const opened = this.#opened
    if (opened !== undefined) {
      const stats = opened.instance.stats
      stats.inFlight--
      stats.count++
      // The same fault rule as calls: a stream that failed on its instance feeds outlier ejection.
      if (failed) stats.recordError(reason?.code ?? 'HANDLER')
      else stats.consecutiveErrors = 0
      opened.ctx.release()
      if (reason !== undefined) {
        opened.ctx.abort(reason)
        // The producer may be suspended mid-step; its return() then runs when that step settles.
        const done = opened.iterator.return?.()
        if (done !== undefined) done.then(undefined, () => {})
      }
    } else if (this.#opening !== undefined) {
      // Closed before the producer answered: close it as soon as it does.
      this.#opening.then(
        (late) => {
          late.ctx.release()
          if (reason !== undefined) late.ctx.abort(reason)
          late.iterator.return?.()?.then(undefined, () => {})
        },
        () => {},
      )
    }
    this.#hooks.closed(this)
  }
}
