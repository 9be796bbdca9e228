import { randomUUID } from 'node:crypto'

// A caller's id is kept only when it is short and plain, so it is safe in logs and headers.
const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/

/** The request id: the caller's own when well-formed (tracing across hops), else a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && ACCEPTED.test(header) ? header : randomUUID()
}
