import { isUtf8 } from 'node:buffer'
import type { Envelope, RequestEnvelope, EventEnvelope, CancelEnvelope } from './envelope.js'
import { EnvelopeType } from './envelope.js'
import { checkErrorShape, checkShape } from './envelope-shape.js'
import type { WireLimits } from './limits.js'
import { resolveLimits } from './limits.js'
import {
  DELIVERIES,
  EVENT_FLAGS,
  EVENT_META,
  KINDS,
  REQUEST_CALLER,
  REQUEST_CREDIT,
  REQUEST_FLAGS,
  REQUEST_META,
  TYPE_NAMES,
} from './layout.js'
import { protocolError } from './protocol-error.js'
import { assertSafeValue, textNeedsScan, textTooDeep } from './safe-value.js'
import { PROTOCOL_VERSION, SUPPORTED_VERSIONS } from './version.js'

/**
 * Decodes one envelope body (a frame without its length prefix, or one WebSocket / MessagePort
 * message) into a checked envelope. Every malformation throws PROTOCOL with `data.reason`;
 * when the exchange id could be read it is in `data.id`, so the receiver can fail that exchange.
 */
export function decodeEnvelope(body: Uint8Array, limits?: Partial<WireLimits>): Envelope {
  const buffer = Buffer.isBuffer(body)
    ? body
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  if (buffer.length === 0) throw protocolError('empty-frame', 'Empty envelope: no version byte')
  const version = buffer[0] as number
  if (version !== PROTOCOL_VERSION) {
    throw protocolError(
      'version',
      `Unsupported envelope version ${version}; this side reads ${SUPPORTED_VERSIONS.join(', ')}`,
      { version, supported: [...SUPPORTED_VERSIONS] },
    )
  }
  return new Reader(buffer, resolveLimits(limits).maxDepth).envelope()
}

/** JSON texts longer than this get their depth checked before parsing (see textTooDeep); below it
 * the parse-then-walk worst case is a few tens of MB, above it the scan costs ~50 % of a parse. */
const PRESCAN_AT = 1024 * 1024

class Reader {
  readonly #b: Buffer
  readonly #maxDepth: number
  #at = 2
  #t = 0
  #id: number | undefined

  constructor(body: Buffer, maxDepth: number) {
    this.#b = body
    this.#maxDepth = maxDepth
  }

  envelope(): Envelope {
    if (this.#b.length < 2) throw this.#fail('shape', 'envelope has no type byte')
    const t = (this.#t = this.#b[1] as number)
    switch (t) {
      case EnvelopeType.REQUEST:
        return this.#request()
      case EnvelopeType.RESPONSE: {
        const id = this.#readId()
        const output = this.#restJSON()
        return output === undefined ? { t, id } : { t, id, output }
      }
      case EnvelopeType.STREAM_ITEM:
      case EnvelopeType.CHANNEL_INPUT: {
        const id = this.#readId()
        const item = this.#restJSON()
        return item === undefined ? { t, id } : { t, id, item }
      }
      case EnvelopeType.ERROR: {
        const id = this.#readId()
        const error = this.#restJSON()
        checkErrorShape(error, id)
        return { t, id, error } as Envelope
      }
      case EnvelopeType.STREAM_END:
      case EnvelopeType.CHANNEL_END: {
        const id = this.#readId()
        this.#end()
        return { t, id }
      }
      case EnvelopeType.CANCEL: {
        const id = this.#readId()
        const reason = this.#text(this.#at, this.#b.length)
        const cancel: CancelEnvelope = { t, id }
        if (reason !== '') cancel.reason = reason
        return cancel
      }
      case EnvelopeType.CREDIT: {
        const id = this.#readId()
        const n = this.#u32()
        this.#end()
        if (n === 0) throw this.#fail('shape', 'CREDIT n must be at least 1, got 0')
        return { t, id, n }
      }
      case EnvelopeType.PING:
      case EnvelopeType.PONG: {
        const seq = this.#u32()
        this.#end()
        return { t, seq }
      }
      case EnvelopeType.EVENT:
        return this.#event()
      case EnvelopeType.HELLO: {
        const hello = this.#restJSON()
        if (typeof hello !== 'object' || hello === null || Array.isArray(hello)) {
          throw this.#fail('shape', 'HELLO body must be a JSON object')
        }
        return checkShape({ ...(hello as Record<string, unknown>), t })
      }
      default:
        throw protocolError('type', `Unknown envelope type t=${t}; known are 1..13`, { t })
    }
  }

  #request(): RequestEnvelope {
    const id = this.#readId()
    this.#need(6)
    const b = this.#b
    const kind = KINDS[b[this.#at] as number]
    const flags = b[this.#at + 1] as number
    if (kind === undefined) throw this.#fail('shape', `unknown request kind ${b[this.#at]}`)
    if ((flags & ~REQUEST_FLAGS) !== 0) throw this.#fail('shape', `unknown flags ${flags}`)
    const deadline = b.readUInt32BE(this.#at + 2)
    this.#at += 6
    const credit = flags & REQUEST_CREDIT ? this.#u32() : 0
    const address = this.#short()
    if (address === '') throw this.#fail('shape', 'address is empty')
    const request: RequestEnvelope = { t: EnvelopeType.REQUEST, id, kind, address, deadline }
    if (flags & REQUEST_CALLER) request.caller = this.#short()
    if (flags & REQUEST_META) request.meta = this.#meta()
    if (flags & REQUEST_CREDIT) {
      if (credit === 0) throw this.#fail('shape', 'credit must be at least 1, got 0')
      request.credit = credit
    }
    const input = this.#restJSON()
    if (input !== undefined) request.input = input
    return request
  }

  #event(): EventEnvelope {
    this.#need(2)
    const delivery = DELIVERIES[this.#b[this.#at] as number]
    const flags = this.#b[this.#at + 1] as number
    if (delivery === undefined) throw this.#fail('shape', `unknown delivery ${this.#b[this.#at]}`)
    if ((flags & ~EVENT_FLAGS) !== 0) throw this.#fail('shape', `unknown flags ${flags}`)
    this.#at += 2
    const topic = this.#short()
    if (topic === '') throw this.#fail('shape', 'topic is empty')
    const event: EventEnvelope = { t: EnvelopeType.EVENT, topic, delivery }
    if (flags & EVENT_META) event.meta = this.#meta()
    const payload = this.#restJSON()
    if (payload !== undefined) event.payload = payload
    return event
  }

  #readId(): number {
    return (this.#id = this.#u32())
  }

  #u32(): number {
    this.#need(4)
    const value = this.#b.readUInt32BE(this.#at)
    this.#at += 4
    return value
  }

  #short(): string {
    this.#need(2)
    const length = this.#b.readUInt16BE(this.#at)
    const start = this.#at + 2
    this.#at = start
    this.#need(length)
    this.#at = start + length
    return this.#text(start, start + length)
  }

  #meta(): Record<string, unknown> {
    const length = this.#u32()
    const start = this.#at
    this.#need(length)
    this.#at = start + length
    const meta = this.#json(start, start + length)
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
      throw this.#fail('shape', 'meta must be a JSON object')
    }
    return meta as Record<string, unknown>
  }

  #restJSON(): unknown {
    const start = this.#at
    this.#at = this.#b.length
    return start === this.#b.length ? undefined : this.#json(start, this.#b.length)
  }

  #json(start: number, end: number): unknown {
    const text = this.#text(start, end)
    if (text.length > PRESCAN_AT && textTooDeep(text, this.#maxDepth)) {
      throw this.#fail('too-deep', `JSON nests deeper than ${this.#maxDepth} levels`)
    }
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (cause) {
      throw this.#fail('json', `not valid JSON (${(cause as Error).message})`)
    }
    if (typeof value === 'object' && value !== null && textNeedsScan(text, this.#maxDepth)) {
      try {
        assertSafeValue(value, this.#maxDepth)
      } catch (error) {
        if (this.#id !== undefined) (error as { data: Record<string, unknown> }).data.id = this.#id
        throw error
      }
    }
    return value
  }

  #text(start: number, end: number): string {
    if (start === end) return ''
    const text = this.#b.toString('utf8', start, end)
    // Invalid UTF-8 decodes to U+FFFD; only then is the (rarer) exact check worth running.
    if (text.includes('\uFFFD') && !isUtf8(this.#b.subarray(start, end))) {
      throw this.#fail('utf8', 'a string is not valid UTF-8')
    }
    return text
  }

  #need(bytes: number): void {
    if (this.#at + bytes > this.#b.length) {
      throw this.#fail(
        'shape',
        `truncated: ${bytes} more bytes needed at offset ${this.#at} of ${this.#b.length}`,
      )
    }
  }

  #end(): void {
    if (this.#at !== this.#b.length) {
      throw this.#fail('shape', `${this.#b.length - this.#at} unexpected trailing bytes`)
    }
  }

  #fail(reason: 'shape' | 'json' | 'utf8' | 'too-deep', what: string) {
    const name = TYPE_NAMES[this.#t] ?? `t=${this.#t}`
    return protocolError(
      reason,
      `${name} envelope: ${what}`,
      this.#id === undefined ? undefined : { id: this.#id },
    )
  }
}
