import type { Envelope } from './envelope.js'
import { prepareEnvelope, writeFrame } from './envelope-encoder.js'
import type { WireLimits } from './limits.js'
import { resolveLimits } from './limits.js'

/**
 * One complete frame for a byte stream: 4-byte big-endian length, then the envelope body.
 * Throws PROTOCOL (`unserializable`, `frame-too-large`, with `data.id`) for one that cannot be sent.
 */
export function encodeFrame(envelope: Envelope, limits?: Partial<WireLimits>): Buffer {
  const prepared = prepareEnvelope(envelope, resolveLimits(limits).maxFrameSize)
  const target = Buffer.allocUnsafe(prepared.bound)
  const end = writeFrame(target, 0, prepared)
  return target.subarray(0, end)
}

/** The envelope body alone, for message-framed transports (WebSocket, MessagePort, NATS). */
export function encodeEnvelope(envelope: Envelope, limits?: Partial<WireLimits>): Buffer {
  return encodeFrame(envelope, limits).subarray(4)
}
