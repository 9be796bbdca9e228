import type { PlexusErrorJSON } from '@plexus/kernel'
import type { ServiceManifest } from './manifest.js'

/** The envelope type codes: the `t` field of every envelope (docs/protocol.md lists them). */
export const EnvelopeType = {
  HELLO: 1,
  REQUEST: 2,
  RESPONSE: 3,
  ERROR: 4,
  EVENT: 5,
  STREAM_ITEM: 6,
  STREAM_END: 7,
  CHANNEL_INPUT: 8,
  CHANNEL_END: 9,
  CANCEL: 10,
  CREDIT: 11,
  PING: 12,
  PONG: 13,
} as const

/** One of the `EnvelopeType` codes. */
export type EnvelopeTypeCode = (typeof EnvelopeType)[keyof typeof EnvelopeType]

/** What a REQUEST asks for: an answer, nothing, a stream of answers, or a two-way channel. */
export type RequestKind = 'call' | 'send' | 'stream' | 'channel'

/** Which side of a link speaks: the kernel that routes, or a host that runs service instances. */
export type Role = 'kernel' | 'host'

/** Opens a link: the versions the sender speaks, its role and the services it offers. */
export interface HelloEnvelope {
  t: typeof EnvelopeType.HELLO
  /** Protocol versions the sender supports, any order. */
  versions: number[]
  role: Role
  /** Services this side hosts (empty for a kernel that only routes). */
  services: ServiceManifest[]
  /** Free-form identity of the sender (node id, pid) for logs; never trusted. */
  name?: string
  /** The largest frame body the sender accepts, in bytes (absent: the 16 MiB default). */
  maxFrameSize?: number
  /** A credential for a kernel that asks for one (a remote host's configured token). */
  token?: string
  /** A fresh random value the peer must sign to prove its identity (§5.3; base64url). */
  challenge?: string
  /** An ephemeral X25519 public key for the link's MAC keys (§5.3; base64url, keyed links). */
  kx?: string
  /** Optional behaviours the sender speaks (§5); unknown names are ignored. */
  features?: string[]
}

/** Asks the peer to run an action, stream or channel. */
export interface RequestEnvelope {
  t: typeof EnvelopeType.REQUEST
  /** Exchange id, in the sender's half of the id space (see IdSequence). */
  id: number
  kind: RequestKind
  /** `service.action`, optionally `service@version.action`. */
  address: string
  input?: unknown
  meta?: Record<string, unknown>
  /** Remaining deadline budget in milliseconds when the envelope was written. */
  deadline: number
  /** Name of the calling service, absent for a call from outside any service. */
  caller?: string
  /** For `stream` and `channel`: items the responder may send before the first CREDIT. */
  credit?: number
}

/** The answer to a `call`. */
export interface ResponseEnvelope {
  t: typeof EnvelopeType.RESPONSE
  id: number
  /** Absent when the handler returned `undefined`. */
  output?: unknown
}

/** A failed exchange, or (id 0) a failed link. */
export interface ErrorEnvelope {
  t: typeof EnvelopeType.ERROR
  /** The exchange id, or 0 for an error about the whole link (the sender then closes it). */
  id: number
  error: PlexusErrorJSON
}

/** A published event. */
export interface EventEnvelope {
  t: typeof EnvelopeType.EVENT
  topic: string
  payload?: unknown
  meta?: Record<string, unknown>
  delivery: 'balanced' | 'broadcast'
}

/** One item of a stream or channel, responder to requester. */
export interface StreamItemEnvelope {
  t: typeof EnvelopeType.STREAM_ITEM
  id: number
  item?: unknown
}

/** The responder's stream or channel output is complete. */
export interface StreamEndEnvelope {
  t: typeof EnvelopeType.STREAM_END
  id: number
}

/** One input item of a channel, requester to responder. */
export interface ChannelInputEnvelope {
  t: typeof EnvelopeType.CHANNEL_INPUT
  id: number
  item?: unknown
}

/** The requester's channel input is complete. */
export interface ChannelEndEnvelope {
  t: typeof EnvelopeType.CHANNEL_END
  id: number
}

/** The requester gives up on an exchange; the responder aborts the handler's signal. */
export interface CancelEnvelope {
  t: typeof EnvelopeType.CANCEL
  id: number
  reason?: string
}

/** The consumer of a flow allows `n` more items (RSocket-style `request(n)`). */
export interface CreditEnvelope {
  t: typeof EnvelopeType.CREDIT
  id: number
  n: number
}

/** Liveness probe; the peer answers PONG with the same `seq`. */
export interface PingEnvelope {
  t: typeof EnvelopeType.PING
  seq: number
}

/** Answer to a PING. */
export interface PongEnvelope {
  t: typeof EnvelopeType.PONG
  seq: number
}

/** Every message that crosses a non-inline link, discriminated by `t`. */
export type Envelope =
  | HelloEnvelope
  | RequestEnvelope
  | ResponseEnvelope
  | ErrorEnvelope
  | EventEnvelope
  | StreamItemEnvelope
  | StreamEndEnvelope
  | ChannelInputEnvelope
  | ChannelEndEnvelope
  | CancelEnvelope
  | CreditEnvelope
  | PingEnvelope
  | PongEnvelope
