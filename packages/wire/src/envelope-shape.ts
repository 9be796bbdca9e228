import type { Envelope } from './envelope.js'
import { EnvelopeType } from './envelope.js'
import { TYPE_NAMES } from './layout.js'
import { protocolError } from './protocol-error.js'

const MAX_VERSIONS = 16
const MAX_FEATURES = 16

/**
 * Checks the fields of a decoded envelope (not its nested payloads, see assertSafeValue).
 * Unknown extra fields are ignored so that a later minor revision can add optional ones.
 */
export function checkShape(e: Record<string, unknown>): Envelope {
  switch (e.t) {
    case EnvelopeType.REQUEST:
      id(e, 'REQUEST')
      if (e.kind !== 'call' && e.kind !== 'send' && e.kind !== 'stream' && e.kind !== 'channel') {
        fail('REQUEST', 'kind', "'call', 'send', 'stream' or 'channel'", e.kind, e.id)
      }
      name(e, 'address', 'REQUEST')
      if (typeof e.deadline !== 'number' || !(e.deadline >= 0) || e.deadline === Infinity) {
        fail('REQUEST', 'deadline', 'a finite number >= 0 (milliseconds)', e.deadline, e.id)
      }
      if (e.meta !== undefined) record(e, 'meta', 'REQUEST')
      if (e.caller !== undefined && typeof e.caller !== 'string') {
        fail('REQUEST', 'caller', 'a string', e.caller, e.id)
      }
      if (e.credit !== undefined && !isCount(e.credit)) {
        fail('REQUEST', 'credit', 'an integer in 1..2^32-1', e.credit, e.id)
      }
      break
    case EnvelopeType.RESPONSE:
    case EnvelopeType.STREAM_ITEM:
    case EnvelopeType.CHANNEL_INPUT:
    case EnvelopeType.STREAM_END:
    case EnvelopeType.CHANNEL_END:
      id(e, TYPE_NAMES[e.t] as string)
      break
    case EnvelopeType.ERROR:
      id(e, 'ERROR')
      checkErrorShape(e.error, e.id as number)
      break
    case EnvelopeType.EVENT:
      name(e, 'topic', 'EVENT')
      if (e.delivery !== 'balanced' && e.delivery !== 'broadcast') {
        fail('EVENT', 'delivery', "'balanced' or 'broadcast'", e.delivery)
      }
      if (e.meta !== undefined) record(e, 'meta', 'EVENT')
      break
    case EnvelopeType.CANCEL:
      id(e, 'CANCEL')
      if (e.reason !== undefined && typeof e.reason !== 'string') {
        fail('CANCEL', 'reason', 'a string', e.reason, e.id)
      }
      break
    case EnvelopeType.CREDIT:
      id(e, 'CREDIT')
      if (!isCount(e.n)) fail('CREDIT', 'n', 'an integer in 1..2^32-1', e.n, e.id)
      break
    case EnvelopeType.PING:
    case EnvelopeType.PONG:
      if (!isUint32(e.seq)) {
        fail(e.t === EnvelopeType.PING ? 'PING' : 'PONG', 'seq', 'an integer in 0..2^32-1', e.seq)
      }
      break
    case EnvelopeType.HELLO:
      checkHello(e)
      break
    default:
      throw protocolError('type', `Unknown envelope type t=${describe(e.t)}; known are 1..13`, {
        t: typeof e.t === 'number' ? e.t : describe(e.t),
      })
  }
  return e as unknown as Envelope
}

function checkHello(e: Record<string, unknown>): void {
  const versions = e.versions
  if (
    !Array.isArray(versions) ||
    versions.length === 0 ||
    versions.length > MAX_VERSIONS ||
    !versions.every((v) => isCount(v))
  ) {
    fail(
      'HELLO',
      'versions',
      `a non-empty array of at most ${MAX_VERSIONS} positive integers`,
      versions,
    )
  }
  if (e.role !== 'kernel' && e.role !== 'host') fail('HELLO', 'role', "'kernel' or 'host'", e.role)
  if (e.name !== undefined && typeof e.name !== 'string') fail('HELLO', 'name', 'a string', e.name)
  if (e.token !== undefined && typeof e.token !== 'string')
    fail('HELLO', 'token', 'a string', e.token)
  for (const field of ['challenge', 'kx'] as const) {
    const value = e[field]
    if (value !== undefined && (typeof value !== 'string' || value.length > 256)) {
      fail('HELLO', field, 'a string of at most 256 characters', value)
    }
  }
  if (e.maxFrameSize !== undefined && !isCount(e.maxFrameSize)) {
    fail('HELLO', 'maxFrameSize', 'a positive integer', e.maxFrameSize)
  }
  const features = e.features
  if (
    features !== undefined &&
    (!Array.isArray(features) ||
      features.length > MAX_FEATURES ||
      !features.every((f) => typeof f === 'string' && f.length > 0 && f.length <= 64))
  ) {
    fail('HELLO', 'features', `at most ${MAX_FEATURES} names of 1-64 characters`, features)
  }
  if (!Array.isArray(e.services)) fail('HELLO', 'services', 'an array', e.services)
  for (const s of e.services as unknown[]) checkManifest(s)
}

function checkManifest(s: unknown): void {
  if (typeof s !== 'object' || s === null || Array.isArray(s)) {
    fail('HELLO', 'services[]', 'an object', s)
  }
  const m = s as Record<string, unknown>
  name(m, 'name', 'HELLO service')
  if (!isCount(m.version)) fail('HELLO service', 'version', 'a positive integer', m.version)
  list(m, 'actions', (a) => {
    if (typeof a !== 'object' || a === null) return false
    const r = a as Record<string, unknown>
    return (
      isName(r.name) &&
      (r.idempotent === undefined || typeof r.idempotent === 'boolean') &&
      (r.concurrency === undefined || isCount(r.concurrency)) &&
      (r.queue === undefined || isUint32(r.queue))
    )
  })
  list(m, 'streams', isName)
  list(m, 'channels', isName)
  list(m, 'events', (ev) => {
    if (typeof ev !== 'object' || ev === null) return false
    const r = ev as Record<string, unknown>
    return isName(r.pattern) && (r.delivery === 'balanced' || r.delivery === 'broadcast')
  })
  list(m, 'dependencies', isName)
}

/** Checks the PlexusError JSON of an ERROR envelope. */
export function checkErrorShape(error: unknown, exchange: number): void {
  if (typeof error !== 'object' || error === null || Array.isArray(error)) {
    fail('ERROR', 'error', 'an object (PlexusError JSON)', error, exchange)
  }
  const r = error as Record<string, unknown>
  if (typeof r.code !== 'string' || typeof r.message !== 'string') {
    fail('ERROR', 'error', 'PlexusError JSON with string code and message', error, exchange)
  }
  if (r.retryable !== undefined && typeof r.retryable !== 'boolean') {
    fail('ERROR', 'error.retryable', 'a boolean', r.retryable, exchange)
  }
  if (r.cause !== undefined && (typeof r.cause !== 'object' || r.cause === null)) {
    fail('ERROR', 'error.cause', 'an object', r.cause, exchange)
  }
}

function id(e: Record<string, unknown>, type: string): void {
  if (!isUint32(e.id)) fail(type, 'id', 'an integer in 0..2^32-1', e.id)
}

function name(e: Record<string, unknown>, field: string, type: string): void {
  if (!isName(e[field])) fail(type, field, 'a non-empty string', e[field], e.id)
}

function record(e: Record<string, unknown>, field: string, type: string): void {
  const v = e[field]
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    fail(type, field, 'an object', v, e.id)
  }
}

function list(m: Record<string, unknown>, field: string, item: (v: unknown) => boolean): void {
  const v = m[field]
  if (!Array.isArray(v) || !v.every(item)) {
    fail('HELLO service', field, 'an array of well-formed entries', v)
  }
}

function isUint32(v: unknown): v is number {
  return typeof v === 'number' && v >>> 0 === v
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && v >>> 0 === v && v > 0
}

function isName(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0
}

function fail(
  type: string,
  field: string,
  expected: string,
  seen: unknown,
  exchange?: unknown,
): never {
  const detail: Record<string, unknown> = { field }
  // The exchange id lets the receiver fail that one exchange instead of leaving it to time out.
  if (isUint32(exchange)) detail.id = exchange
  throw protocolError(
    'shape',
    `${type} envelope field '${field}' must be ${expected}, got ${describe(seen)}`,
    detail,
  )
}

/** Renders a seen value for an error message, short and without throwing. */
function describe(v: unknown): string {
  if (v === undefined) return 'undefined'
  if (typeof v === 'bigint') return `${v}n`
  if (typeof v === 'string' && v.length > 60) v = v.slice(0, 60)
  let s: string
  try {
    s = JSON.stringify(v) ?? String(v)
  } catch {
    s = Object.prototype.toString.call(v)
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}
