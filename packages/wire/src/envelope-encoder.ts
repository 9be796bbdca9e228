import type { Envelope } from './envelope.js'
import { EnvelopeType } from './envelope.js'
import {
  DELIVERIES,
  EVENT_META,
  KINDS,
  MAX_SHORT_STRING,
  REQUEST_CALLER,
  REQUEST_CREDIT,
  REQUEST_META,
  TYPE_NAMES,
} from './layout.js'
import { protocolError } from './protocol-error.js'
import { PROTOCOL_VERSION } from './version.js'

/**
 * An envelope with its JSON sections already serialised, and an upper bound of its frame's
 * size, so that many can be written into one buffer with a single allocation.
 */
export interface PreparedEnvelope {
  readonly envelope: Envelope
  /** The trailing JSON section ('' when absent), or the CANCEL reason. */
  readonly json: string
  /** REQUEST/EVENT `meta` JSON ('' when absent). */
  readonly meta: string
  /** Frame size upper bound, length prefix included. */
  readonly bound: number
}

/** Serialises the JSON sections; throws PROTOCOL (`unserializable`, `frame-too-large`). */
export function prepareEnvelope(envelope: Envelope, maxFrameSize: number): PreparedEnvelope {
  let json = ''
  let meta = ''
  let bound = 16 // prefix, version, t, and the largest fixed header (REQUEST: id, kind, flags, deadline, credit)
  switch (envelope.t) {
    case EnvelopeType.HELLO: {
      const { t: _t, ...body } = envelope
      json = serialise(body, envelope)
      break
    }
    case EnvelopeType.REQUEST:
      if (envelope.input !== undefined) json = serialise(envelope.input, envelope)
      if (envelope.meta !== undefined) meta = serialise(envelope.meta, envelope)
      checkShort(envelope.address, envelope)
      if (envelope.caller !== undefined) checkShort(envelope.caller, envelope)
      bound += 8 + 3 * (envelope.address.length + (envelope.caller?.length ?? 0)) + 4
      break
    case EnvelopeType.RESPONSE:
      if (envelope.output !== undefined) json = serialise(envelope.output, envelope)
      break
    case EnvelopeType.ERROR:
      json = serialise(envelope.error, envelope)
      break
    case EnvelopeType.EVENT:
      if (envelope.payload !== undefined) json = serialise(envelope.payload, envelope)
      if (envelope.meta !== undefined) meta = serialise(envelope.meta, envelope)
      checkShort(envelope.topic, envelope)
      bound += 2 + 3 * envelope.topic.length + 4
      break
    case EnvelopeType.STREAM_ITEM:
    case EnvelopeType.CHANNEL_INPUT:
      if (envelope.item !== undefined) json = serialise(envelope.item, envelope)
      break
    case EnvelopeType.CANCEL:
      json = envelope.reason ?? ''
      break
  }
  bound += 3 * (json.length + meta.length)
  // Measuring UTF-8 costs a pass over the text: only done when the cheap bound is large.
  if (bound > 65536 || bound - 4 > maxFrameSize) {
    const size = sizeOf(envelope, json, meta)
    bound = 4 + size
    if (size > maxFrameSize) {
      throw protocolError(
        'frame-too-large',
        `Cannot send ${TYPE_NAMES[envelope.t]} envelope of ${size} bytes: the limit is ${maxFrameSize}`,
        { size, maxFrameSize, ...exchange(envelope) },
      )
    }
  }
  return { envelope, json, meta, bound }
}

/** Writes the frame (length prefix + body) at `offset`; returns the offset after it. */
export function writeFrame(target: Buffer, offset: number, prepared: PreparedEnvelope): number {
  const e = prepared.envelope
  let at = offset + 4
  target[at++] = PROTOCOL_VERSION
  target[at++] = e.t
  switch (e.t) {
    case EnvelopeType.REQUEST: {
      at = target.writeUInt32BE(e.id, at)
      target[at++] = KINDS.indexOf(e.kind)
      const flags =
        (prepared.meta === '' ? 0 : REQUEST_META) |
        (e.caller === undefined ? 0 : REQUEST_CALLER) |
        (e.credit === undefined ? 0 : REQUEST_CREDIT)
      target[at++] = flags
      at = target.writeUInt32BE(budget(e.deadline), at)
      if (e.credit !== undefined) at = target.writeUInt32BE(e.credit, at)
      at = writeShort(target, at, e.address)
      if (e.caller !== undefined) at = writeShort(target, at, e.caller)
      if (prepared.meta !== '') at = writeLong(target, at, prepared.meta)
      at += writeText(target, at, prepared.json)
      break
    }
    case EnvelopeType.EVENT:
      target[at++] = e.delivery === DELIVERIES[1] ? 1 : 0
      target[at++] = prepared.meta === '' ? 0 : EVENT_META
      at = writeShort(target, at, e.topic)
      if (prepared.meta !== '') at = writeLong(target, at, prepared.meta)
      at += writeText(target, at, prepared.json)
      break
    case EnvelopeType.HELLO:
      at += writeText(target, at, prepared.json)
      break
    case EnvelopeType.CREDIT:
      at = target.writeUInt32BE(e.id, at)
      at = target.writeUInt32BE(e.n, at)
      break
    case EnvelopeType.PING:
    case EnvelopeType.PONG:
      at = target.writeUInt32BE(e.seq, at)
      break
    default:
      // RESPONSE, ERROR, STREAM_ITEM, STREAM_END, CHANNEL_INPUT, CHANNEL_END, CANCEL: id + text.
      at = target.writeUInt32BE(e.id, at)
      at += writeText(target, at, prepared.json)
  }
  target.writeUInt32BE(at - offset - 4, offset)
  return at
}

/** Clamps a millisecond budget to the u32 on the wire, rounding up so a live call never reads 0. */
function budget(ms: number): number {
  return ms >= 0xffffffff ? 0xffffffff : ms > 0 ? Math.ceil(ms) : 0
}

function checkShort(text: string, e: Envelope): void {
  if (text.length * 3 <= MAX_SHORT_STRING) return
  const length = Buffer.byteLength(text)
  if (length > MAX_SHORT_STRING) {
    throw protocolError(
      'unserializable',
      `Cannot encode ${TYPE_NAMES[e.t]} envelope: a name of ${length} bytes exceeds ${MAX_SHORT_STRING}`,
      exchange(e),
    )
  }
}

function writeShort(target: Buffer, at: number, text: string): number {
  const length = writeText(target, at + 2, text)
  target.writeUInt16BE(length, at)
  return at + 2 + length
}

function writeLong(target: Buffer, at: number, text: string): number {
  const length = writeText(target, at + 4, text)
  target.writeUInt32BE(length, at)
  return at + 4 + length
}

/** UTF-8 of `text` at `at`; short ASCII strings are copied by hand, cheaper than a native call. */
function writeText(target: Buffer, at: number, text: string): number {
  const n = text.length
  if (n < 48) {
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i)
      if (c >= 0x80) return target.write(text, at)
      target[at + i] = c
    }
    return n
  }
  return target.write(text, at)
}

function serialise(value: unknown, e: Envelope): string {
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (cause) {
    throw protocolError(
      'unserializable',
      `Cannot encode ${TYPE_NAMES[e.t]} envelope: ${(cause as Error).message}`,
      exchange(e),
    )
  }
  // undefined for a function or symbol: carried as absent, as JSON.stringify does in objects.
  return text ?? ''
}

/** The body's size, possibly over by the 4 bytes of an absent credit. */
function sizeOf(e: Envelope, json: string, meta: string): number {
  let size = 2 + 14 + Buffer.byteLength(json) + (meta === '' ? 0 : 4 + Buffer.byteLength(meta))
  if (e.t === EnvelopeType.REQUEST) {
    size +=
      2 +
      Buffer.byteLength(e.address) +
      (e.caller === undefined ? 0 : 2 + Buffer.byteLength(e.caller))
  } else if (e.t === EnvelopeType.EVENT) size += 2 + Buffer.byteLength(e.topic)
  return size
}

function exchange(e: Envelope): Record<string, unknown> {
  return 'id' in e ? { id: e.id } : {}
}
