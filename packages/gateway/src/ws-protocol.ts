import { PlexusError } from '@plexus/kernel'
import { badRequest } from './http-status.js'
import { assertNotPoisoned } from './poison.js'

/**
 * A client frame. Every request names an `id` the answers echo:
 * `call` → `result` | `error`; `stream` → `item`* then `end` | `error`; `cancel` stops a call or
 * stream; `subscribe` / `unsubscribe` a topic pattern → `subscribed` / `unsubscribed`, then
 * `event` frames `{ type: 'event', topic, data }`.
 */
export type ClientFrame =
  | {
      id: string | number
      type: 'call'
      action: string
      input?: unknown
      meta?: Record<string, unknown>
    }
  | {
      id: string | number
      type: 'stream'
      action: string
      input?: unknown
      meta?: Record<string, unknown>
    }
  | { id: string | number; type: 'cancel' }
  | { id: string | number; type: 'subscribe'; topic: string }
  | { id: string | number; type: 'unsubscribe'; topic: string }

const TYPES = new Set(['call', 'stream', 'cancel', 'subscribe', 'unsubscribe'])

/** Parses and checks one text frame; throws `PROTOCOL` for a bad shape, `VALIDATION` for poison. */
export function parseClientFrame(text: string): ClientFrame {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new PlexusError('PROTOCOL', 'Frame is not JSON')
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PlexusError('PROTOCOL', 'Frame must be a JSON object')
  }
  const frame = value as Record<string, unknown>
  const id = frame['id']
  if (typeof id !== 'string' && typeof id !== 'number') {
    throw new PlexusError('PROTOCOL', 'Frame needs an id (string or number)')
  }
  try {
    assertNotPoisoned(value, 'message', text)
  } catch (error) {
    const { message, data } = error as PlexusError
    throw badRequest(message, { ...(data as object), id })
  }
  const type = frame['type']
  if (typeof type !== 'string' || !TYPES.has(type)) {
    throw new PlexusError('PROTOCOL', `Unknown frame type ${JSON.stringify(type)}`, {
      data: { id },
    })
  }
  if ((type === 'call' || type === 'stream') && typeof frame['action'] !== 'string') {
    throw new PlexusError('PROTOCOL', `A ${type} frame needs an 'action' string`, { data: { id } })
  }
  if ((type === 'subscribe' || type === 'unsubscribe') && typeof frame['topic'] !== 'string') {
    throw new PlexusError('PROTOCOL', `A ${type} frame needs a 'topic' string`, { data: { id } })
  }
  const meta = frame['meta']
  if (meta !== undefined && (meta === null || typeof meta !== 'object' || Array.isArray(meta))) {
    throw badRequest('meta must be an object', { id })
  }
  return frame as unknown as ClientFrame
}
