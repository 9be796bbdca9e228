import { ERROR_STATUSES, PlexusError, type ErrorCode } from '@plexus/kernel'

/** The JSON body of every error answer: what a client may see, never a stack trace. */
export interface ErrorBody {
  error: { code: string; message: string; data?: unknown }
}

/** HTTP status per error code (the kernel's ERROR_STATUSES); codes not listed answer 500. */
export const DEFAULT_STATUSES: Readonly<Partial<Record<ErrorCode, number>>> = ERROR_STATUSES

/** How an error leaves the gateway: status, body and whether a client may retry later. */
export interface ErrorAnswer {
  status: number
  body: ErrorBody
  retryAfter: boolean
}

/**
 * Maps anything thrown to an answer. Errors the gateway did not type, and `HANDLER` errors,
 * keep their text in the logs only: their message may carry internals.
 */
export function toErrorAnswer(
  error: unknown,
  statuses: Readonly<Partial<Record<string, number>>>,
  requestId?: string,
): ErrorAnswer {
  if (error instanceof PlexusError && error.code !== 'HANDLER') {
    const status =
      STATUS_OF.get(error) ?? statuses[error.code] ?? DEFAULT_STATUSES[error.code] ?? 500
    const body: ErrorBody = { error: { code: error.code, message: error.message } }
    if (error.data !== undefined) body.error.data = error.data
    return { status, body, retryAfter: error.retryable && (status === 429 || status === 503) }
  }
  const code = error instanceof PlexusError ? error.code : 'HANDLER'
  const where = requestId === undefined ? '' : ` (request id ${requestId})`
  return {
    status: statuses[code] ?? 500,
    body: { error: { code, message: `The request failed inside the service${where}` } },
    retryAfter: false,
  }
}

// Errors the gateway raises about the request itself carry their own status (400, 413, 431).
const STATUS_OF = new WeakMap<Error, number>()

/** Pins the HTTP status of one error, overriding the per-code table. */
export function withStatus<E extends Error>(error: E, status: number): E {
  STATUS_OF.set(error, status)
  return error
}

/** A `VALIDATION` error about the request itself (bad JSON, poisoned keys): answered 400. */
export function badRequest(message: string, data?: unknown): PlexusError {
  return withStatus(new PlexusError('VALIDATION', message, data === undefined ? {} : { data }), 400)
}
