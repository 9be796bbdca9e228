import { Readable } from 'node:stream'
import type { ErrorBody } from './http-status.js'

/** How stream items are framed on the wire. */
export type StreamFormat = 'ndjson' | 'sse'

/** Content type per stream format. */
export const STREAM_CONTENT_TYPES: Readonly<Record<StreamFormat, string>> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  sse: 'text/event-stream; charset=utf-8',
}

/** Frames one item. */
export function frameItem(format: StreamFormat, item: unknown): string {
  const json = JSON.stringify(item ?? null)
  return format === 'ndjson' ? `${json}\n` : `data: ${json}\n\n`
}

/** Frames the error that ended a stream after its headers were sent. */
export function frameError(format: StreamFormat, body: ErrorBody): string {
  const json = JSON.stringify(body)
  return format === 'ndjson' ? `${json}\n` : `event: error\ndata: ${json}\n\n`
}

/**
 * A byte stream over a kernel stream's iterator. It pulls the next item only when the socket
 * has room (`_read`), so a slow client slows the producer instead of filling memory; destroying
 * it (client gone) aborts the call and returns the iterator.
 */
export class StreamBody extends Readable {
  readonly #iterator: AsyncIterator<unknown>
  readonly #format: StreamFormat
  readonly #abort: AbortController
  readonly #toErrorBody: (error: unknown) => ErrorBody
  #first: IteratorResult<unknown> | undefined
  #pulling = false
  #closed = false

  constructor(options: {
    iterator: AsyncIterator<unknown>
    first: IteratorResult<unknown>
    format: StreamFormat
    abort: AbortController
    toErrorBody: (error: unknown) => ErrorBody
  }) {
    super({ encoding: 'utf8' })
    this.#iterator = options.iterator
    this.#first = options.first
    this.#format = options.format
    this.#abort = options.abort
    this.#toErrorBody = options.toErrorBody
  }

  override _read(): void {
    if (this.#first !== undefined) {
      const first = this.#first
      this.#first = undefined
      this.#deliver(first)
      return
    }
    if (this.#pulling || this.#closed) return
    this.#pulling = true
    this.#iterator.next().then(
      (result) => {
        this.#pulling = false
        this.#deliver(result)
      },
      (error: unknown) => {
        this.#pulling = false
        if (this.#closed) return
        this.#closed = true
        this.push(frameError(this.#format, this.#toErrorBody(error)))
        this.push(null)
      },
    )
  }

  #deliver(result: IteratorResult<unknown>): void {
    if (this.#closed) return
    if (result.done === true) {
      this.#closed = true
      this.push(null)
      return
    }
    // Readable calls _read again only while its buffer is under the high-water mark.
    this.push(frameItem(this.#format, result.value))
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const wasOpen = !this.#closed
    this.#closed = true
    if (wasOpen) {
      this.#abort.abort()
      this.#iterator.return?.().catch(() => {})
    }
    callback(error)
  }
}
