/**
 * @plexus/wire: the envelope codec, framing and handshake shared by every non-inline link.
 * docs/protocol.md is the specification.
 *
 * @example
 * const writer = new FrameWriter((chunk) => socket.write(chunk))
 * const decoder = new FrameDecoder()
 * socket.on('data', (chunk) => {
 *   try {
 *     for (const frame of decoder.push(chunk)) {
 *       try { handle(decodeEnvelope(frame)) } catch (error) { count(error) } // one bad envelope
 *     }
 *   } catch { socket.destroy() } // broken framing: the stream is out of step
 * })
 * writer.write(createHello({ role: 'kernel' }))
 */
export { EnvelopeType } from './envelope.js'
export type {
  EnvelopeTypeCode,
  RequestKind,
  Role,
  Envelope,
  HelloEnvelope,
  RequestEnvelope,
  ResponseEnvelope,
  ErrorEnvelope,
  EventEnvelope,
  StreamItemEnvelope,
  StreamEndEnvelope,
  ChannelInputEnvelope,
  ChannelEndEnvelope,
  CancelEnvelope,
  CreditEnvelope,
  PingEnvelope,
  PongEnvelope,
} from './envelope.js'
export type { ServiceManifest, ActionManifest, EventManifest } from './manifest.js'
/** The protocol version written, and every version readable. */
export { PROTOCOL_VERSION, SUPPORTED_VERSIONS } from './version.js'
export { DEFAULT_INITIAL_CREDIT } from './flow-control.js'
/** Receiver limits (frame size, nesting) and their defaults. */
export { DEFAULT_LIMITS } from './limits.js'
export type { WireLimits } from './limits.js'
/** The PROTOCOL error builder and its closed set of reasons. */
export { protocolError, PROTOCOL_REASONS } from './protocol-error.js'
export type { ProtocolReason } from './protocol-error.js'
/** Envelope <-> bytes; every decode is checked. */
export { encodeFrame, encodeEnvelope } from './envelope-codec.js'
export { decodeEnvelope } from './envelope-decoder.js'
/** Checks an envelope that arrived already decoded (structured clone). */
export { checkEnvelope } from './check-envelope.js'
/** Length-prefixed framing: a streaming decoder and a per-tick coalescing writer. */
export { FrameDecoder } from './frame-decoder.js'
export { FrameWriter } from './frame-writer.js'
export type { FrameWriterOptions } from './frame-writer.js'
/** HELLO construction and version negotiation. */
export { createHello, acceptHello } from './handshake.js'
export type { HelloInit, Handshake } from './handshake.js'
/** Odd/even exchange ids per side of a link. */
export { IdSequence, isIdOf } from './id-sequence.js'
export type { LinkSide } from './id-sequence.js'
/** The link engine every non-inline link runs: multiplexed requests, events, credit flows, PING. */
export {
  Session,
  type OutboundOptions,
  type SessionCommon,
  type SessionHandlers,
  type SessionOptions,
} from './session.js'
/** The responder's side of one request received on a link. */
export { Exchange, type ExchangeLink } from './exchange.js'
/** Per-tick batching of envelope bodies for message transports (WebSocket, MessagePort, NATS). */
export { MessageWriter } from './message-writer.js'
/** The link's own conventions: reserved actions, the parent meta key, the largest budget. */
export {
  NO_DEADLINE,
  PARENT_KEY,
  PROOF_ADDRESS,
  RESERVED_ACTIONS,
  type EventDelivery,
} from './link-conventions.js'
/** Identity proofs in HELLO (Ed25519 over a fresh challenge) and the per-link MAC keys they agree. */
export { LinkProof, type LinkKeys, type LinkProofOptions, type ProofBody } from './link-proof.js'
/** Ed25519 keys from configuration, their ids, and the ring of trusted peer keys. */
export {
  keyIdOf,
  keyRingOf,
  privateKeyOf,
  publicKeyOf,
  type KeyInput,
  type KeyRing,
  type TrustedKey,
} from './link-keys.js'
/** HMAC-SHA256 over sequence number and body, per direction, for keyed links. */
export { LinkMac } from './link-mac.js'
/** A host's own traffic routed through the kernel, and the PING-based liveness of a link. */
export { HostTraffic, metaOf, outboundOf } from './host-traffic.js'
/** An instance reached over a link session: calls, events and streams become envelopes on it. */
export { SessionInstance } from './session-instance.js'
export { Liveness, type LivenessHooks, type PingedLink } from './liveness.js'
