import type { RequestKind } from './envelope.js'

/** Byte offsets and codes of the v1 body layout (docs/protocol.md, "Envelope bodies"). */
export const KINDS: readonly RequestKind[] = ['call', 'send', 'stream', 'channel']

/** REQUEST flags byte. */
export const REQUEST_META = 1
export const REQUEST_CALLER = 2
export const REQUEST_CREDIT = 4
export const REQUEST_FLAGS = REQUEST_META | REQUEST_CALLER | REQUEST_CREDIT

/** EVENT flags byte. */
export const EVENT_META = 1
export const EVENT_FLAGS = EVENT_META

/** EVENT delivery byte. */
export const DELIVERIES = ['balanced', 'broadcast'] as const

/** Longest string with a u16 length (address, caller, topic), in UTF-8 bytes. */
export const MAX_SHORT_STRING = 0xffff

/** Names of the types, indexed by `t`, for messages. */
export const TYPE_NAMES: readonly string[] = [
  '',
  'HELLO',
  'REQUEST',
  'RESPONSE',
  'ERROR',
  'EVENT',
  'STREAM_ITEM',
  'STREAM_END',
  'CHANNEL_INPUT',
  'CHANNEL_END',
  'CANCEL',
  'CREDIT',
  'PING',
  'PONG',
]
