import type { Envelope } from './envelope.js'
import type { WireLimits } from './limits.js'
import { resolveLimits } from './limits.js'
import { protocolError } from './protocol-error.js'
import { assertSafeValue } from './safe-value.js'
import { checkShape } from './envelope-shape.js'

/**
 * Validates a value that arrived already decoded (a MessagePort's structured clone): depth,
 * prototype-poisoning keys and the envelope's shape. Returns it typed, or throws PROTOCOL.
 */
export function checkEnvelope(value: unknown, limits?: Partial<WireLimits>): Envelope {
  const { maxDepth } = resolveLimits(limits)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw protocolError('shape', `Envelope must be an object, got ${typeName(value)}`)
  }
  assertSafeValue(value, maxDepth)
  return checkShape(value as Record<string, unknown>)
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}
