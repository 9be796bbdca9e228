import { ERROR_STATUSES, PlexusError, type ErrorCode } from '@plexus/kernel'

/**
 * `Nats-Service-Error-Code` per Plexus code: the kernel's ERROR_STATUSES, the gateway's HTTP
 * numbers, so a client sees one convention on both edges. Codes not listed, and errors that are
 * not PlexusErrors, answer 500.
 */
export const MICRO_STATUSES: Readonly<Partial<Record<ErrorCode, number>>> = ERROR_STATUSES

/** What an error answer carries: the micro headers' values and the JSON body. */
export interface MicroError {
  status: number
  code: string
  message: string
  body: { code: string; message: string; retryable: boolean; data?: unknown }
}

/**
 * Maps anything a call threw to an answer. A `HANDLER` error or a foreign throw keeps its text
 * in the logs only: its message may carry internals, and the caller is anyone on the account.
 */
export function microError(error: unknown): MicroError {
  if (error instanceof PlexusError && error.code !== 'HANDLER') {
    const body: MicroError['body'] = {
      code: error.code,
      message: error.message,
      retryable: error.retryable,
    }
    if (error.data !== undefined) body.data = error.data
    return {
      status: MICRO_STATUSES[error.code] ?? 500,
      code: error.code,
      message: error.message,
      body,
    }
  }
  const message = 'The handler failed'
  return {
    status: 500,
    code: 'HANDLER',
    message,
    body: { code: 'HANDLER', message, retryable: false },
  }
}

/**
 * Parses a request body as JSON (an empty body is `undefined`). Refuses, as INVALID_ARGUMENT,
 * text that is not JSON and any `__proto__` key at any depth: a handler must never be handed
 * an object whose own `__proto__` a later spread or merge would turn into a prototype.
 */
export function parseInput(body: Uint8Array): unknown {
  if (body.length === 0) return undefined
  const text = new TextDecoder('utf-8', { fatal: false }).decode(body)
  try {
    return JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') throw new ProtoKey()
      return value
    })
  } catch (error) {
    if (error instanceof ProtoKey) {
      throw new PlexusError('INVALID_ARGUMENT', "The input carries a '__proto__' key", {
        data: { reason: 'proto-key' },
      })
    }
    throw new PlexusError('INVALID_ARGUMENT', 'The input is not JSON', {
      data: { reason: 'bad-json' },
    })
  }
}

class ProtoKey extends Error {}
