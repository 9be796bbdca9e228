import type { IncomingMessage } from 'node:http'
import { PlexusError } from '@plexus/kernel'

/** Largest admin request body accepted, in bytes. */
export const MAX_BODY = 1024 * 1024

/**
 * Reads a JSON request body, at most `limit` bytes, refusing `__proto__` and
 * `constructor.prototype` keys at any depth (prototype pollution).
 */
export async function readJsonBody(request: IncomingMessage, limit = MAX_BODY): Promise<unknown> {
  const declared = Number(request.headers['content-length'] ?? 0)
  if (declared > limit) throw tooLarge(limit)
  const chunks: Buffer[] = []
  let size = 0
  // Listeners rather than for-await: leaving a for-await destroys the socket before the 413
  // answer can be written; pausing stops reading instead.
  await new Promise<void>((resolve, reject) => {
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        request.pause()
        request.removeAllListeners('data')
        reject(tooLarge(limit))
      } else chunks.push(chunk)
    })
    request.on('end', resolve)
    request.on('error', reject)
  })
  if (size === 0) return {}
  return parseJson(Buffer.concat(chunks).toString('utf8'))
}

/** Parses JSON, refusing poisoned keys with `VALIDATION`. */
export function parseJson(text: string): unknown {
  let poisoned = false
  let value: unknown
  try {
    value = JSON.parse(text, function (this: unknown, key: string, item: unknown) {
      if (key === '__proto__') poisoned = true
      if (key === 'prototype' && this !== null && typeof this === 'object') poisoned = true
      return item
    })
  } catch (error) {
    throw new PlexusError('VALIDATION', `Request body is not JSON: ${(error as Error).message}`)
  }
  if (poisoned) {
    throw new PlexusError('VALIDATION', 'Request body has a __proto__ or prototype key; refused')
  }
  return value
}

function tooLarge(limit: number): PlexusError {
  return new PlexusError('VALIDATION', `Request body is larger than ${limit} bytes`, {
    data: { limit, status: 413 },
  })
}
