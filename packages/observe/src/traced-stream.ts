import type { Span } from '@opentelemetry/api'

/**
 * A stream's items counted into its span: the iterator (or iterable) `source` passed through
 * unchanged, and the span ended once — with `plexus.stream.items` — when the stream is done,
 * closed by its consumer (`return`) or failed. Anything that is no stream passes untouched
 * (the kernel refuses it with HANDLER) and ends the span.
 */
export function counted(
  source: unknown,
  span: Span,
  end: (span: Span, error?: unknown) => void,
): AsyncIterableIterator<unknown> {
  const s = source as Partial<AsyncIterable<unknown> & AsyncIterator<unknown>> | null
  let iterator: AsyncIterator<unknown> | undefined
  if (s !== null && typeof s === 'object') {
    if (typeof s[Symbol.asyncIterator] === 'function') iterator = s[Symbol.asyncIterator]!()
    else if (typeof s.next === 'function') iterator = s as AsyncIterator<unknown>
  }
  if (iterator === undefined) {
    end(span)
    return source as AsyncIterableIterator<unknown>
  }
  const it = iterator
  let items = 0
  let open = true
  const close = (error?: unknown): void => {
    if (!open) return
    open = false
    span.setAttribute('plexus.stream.items', items)
    end(span, error)
  }
  return {
    [Symbol.asyncIterator]() {
      return this
    },
    async next(...args: [] | [unknown]) {
      try {
        const result = await it.next(...args)
        if (result.done === true) close()
        else items++
        return result
      } catch (error) {
        close(error)
        throw error
      }
    },
    async return(value?: unknown) {
      try {
        return it.return === undefined ? { done: true as const, value } : await it.return(value)
      } finally {
        close()
      }
    },
    async throw(error?: unknown) {
      try {
        if (it.throw === undefined) throw error
        return await it.throw(error)
      } finally {
        close(error)
      }
    },
  }
}
