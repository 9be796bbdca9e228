import { PlexusError, toPlexusError, type CancelSource, type Logger } from '@plexus/kernel'
import { decodeEnvelope } from './envelope-decoder.js'
import {
  EnvelopeType,
  type Envelope,
  type EventEnvelope,
  type HelloEnvelope,
  type RequestEnvelope,
} from './envelope.js'
import { DEFAULT_INITIAL_CREDIT } from './flow-control.js'
import { FrameDecoder } from './frame-decoder.js'
import { FrameWriter } from './frame-writer.js'
import { acceptHello, type Handshake } from './handshake.js'
import { IdSequence, isIdOf, type LinkSide } from './id-sequence.js'
import { PROOF_ADDRESS } from './link-conventions.js'
import type { TrustedKey } from './link-keys.js'
import type { LinkKeys, LinkProof } from './link-proof.js'
import { MessageWriter } from './message-writer.js'
import { Exchange, type ExchangeLink } from './exchange.js'
import { FlowIn } from './flow-in.js'
import { FlowOut } from './flow-out.js'
import { ViolationLog } from './violation-log.js'

/** What a session reports to its owner. */
export interface SessionHandlers {
  /** A REQUEST from the peer; `exchange` answers it (undefined for `send`, which gets no answer). */
  request(envelope: RequestEnvelope, exchange: Exchange | undefined): void
  /** An EVENT from the peer. */
  event(envelope: EventEnvelope): void
  /** The peer's HELLO was accepted. */
  ready(handshake: Handshake): void
  /** The link can no longer be trusted (framing error, failed handshake, ERROR id 0): close it. */
  broken(error: PlexusError): void
  /** The peer answered a PING. */
  pong?(seq: number): void
}

/**
 * Options of a session. Give `write` for a byte-stream transport (a socket, a pipe: frames with
 * their length prefix, coalesced per tick, fed back through `receive`), or `send` for a message
 * transport (WebSocket, MessagePort, NATS: one envelope body per message, fed back through
 * `receiveMessage`).
 */
export type SessionOptions = SessionCommon &
  (
    | {
        /** Receives the bytes of every tick (one write per tick). */ write: (chunk: Buffer) => void
        send?: undefined
      }
    | {
        /** Receives the envelope bodies written in one tick, one message each, in order. */
        send: (messages: Buffer[]) => void
        write?: undefined
      }
  )

/** What every session takes, whatever its transport. */
export interface SessionCommon {
  side: LinkSide
  /** This side's HELLO, written at once. */
  hello: HelloEnvelope
  handlers: SessionHandlers
  logger: Logger
  /** Largest frame accepted and written (default 16 MiB). */
  maxFrameSize?: number
  /** Items a flow's producer may run ahead of its consumer (default 16). */
  window?: number
  /** Byte streams: frames past which a write leaves before the end of the tick (FrameWriter's `batchFrames`). */
  batchFrames?: number
  /** Runs for every envelope or frame refused (counted by the owner across sessions). */
  onRefused?: () => void
  /**
   * Identity proofs (docs/protocol.md §5.3): this side's HELLO gets a challenge (and a key
   * exchange on keyed links), the peer's proof is required before `ready` when it has trusted
   * keys, and this side's own proof is sent right after the peer's HELLO.
   */
  proof?: LinkProof | undefined
}

/** Options of one outbound request. */
export interface OutboundOptions {
  meta?: Record<string, unknown> | undefined
  /** Budget in ms (Infinity: none; sent as the u32 maximum). */
  deadline: number
  caller?: string | undefined
  /** Cancels the request when it aborts; its listener is removed once the request ends. */
  signal?: AbortSignal | CancelSource | undefined
  /** Polled every 50 ms: once it has a `reason`, the request is cancelled (cheaper than a signal per call). */
  cancel?: { readonly reason: PlexusError | undefined } | undefined
  /** Anything the owner wants back from `ownerOf(id)`. */
  owner?: unknown
}

interface Outbound {
  resolve: ((value: unknown) => void) | undefined
  reject: ((error: PlexusError) => void) | undefined
  flow: FlowIn | undefined
  input: FlowOut | undefined
  cancel: { readonly reason: PlexusError | undefined } | undefined
  owner: unknown
  /** The listener on the caller's signal, removed when the request ends. */
  onAbort: (() => void) | undefined
  signal: AbortSignal | CancelSource | undefined
}

const SWEEP_MS = 50
const MAX_BUDGET = 0xffffffff

/**
 * One end of a link speaking the Plexus wire protocol over a byte stream: multiplexed
 * requests in both directions, events, credit-based flows, cancellation and PING/PONG.
 * The same class runs on the kernel side (initiator) and in the guest (acceptor).
 * Longer than most files because it is one state machine: the outbound table, the inbound
 * exchanges and the dispatch over every envelope type share the same id space and close
 * together; splitting them would spread one invariant (every id ends exactly once) over files.
 */
export class Session implements ExchangeLink {
  readonly window: number
  readonly #side: LinkSide
  readonly #handlers: SessionHandlers
  readonly #logger: Logger
  readonly #writer: FrameWriter | MessageWriter
  readonly #decoder: FrameDecoder
  readonly #limits: { maxFrameSize?: number }
  readonly #ids: IdSequence
  readonly #out = new Map<number, Outbound>()
  readonly #in = new Map<number, Exchange>()
  readonly #violations: ViolationLog
  readonly #hello: HelloEnvelope
  readonly #proof: LinkProof | undefined
  #peer: Handshake | undefined
  /** The peer's HELLO, accepted, while its proof of identity is awaited. */
  #unproven: Handshake | undefined
  #provenBy: TrustedKey | undefined
  #closed: PlexusError | undefined
  #sweeper: NodeJS.Timeout | undefined
  #receivedAt = 0
  /** When the last whole frame arrived; the link's opening counts as one. */
  #frameAt = performance.now()

  constructor(options: SessionOptions) {
    this.#side = options.side
    this.#handlers = options.handlers
    this.#logger = options.logger
    this.window = options.window ?? DEFAULT_INITIAL_CREDIT
    const limits = options.maxFrameSize === undefined ? {} : { maxFrameSize: options.maxFrameSize }
    this.#limits = limits
    const writerOptions = {
      ...limits,
      ...(options.batchFrames === undefined ? {} : { batchFrames: options.batchFrames }),
      onError: (error: unknown) => this.#broken(toPlexusError(error)),
    }
    this.#writer =
      options.send !== undefined
        ? new MessageWriter(options.send, writerOptions)
        : new FrameWriter(options.write, writerOptions)
    this.#decoder = new FrameDecoder(limits)
    this.#ids = new IdSequence(options.side)
    this.#violations = new ViolationLog(options.logger, options.onRefused)
    this.#proof = options.proof
    this.#hello = options.proof === undefined ? options.hello : options.proof.hello(options.hello)
    this.#writer.write(this.#hello)
  }

  /** Whether the peer's HELLO arrived and its proof of identity is still awaited. */
  get awaitingProof(): boolean {
    return this.#unproven !== undefined
  }

  /** The trusted key the peer proved itself with (links that require a proof). */
  get provenBy(): TrustedKey | undefined {
    return this.#provenBy
  }

  /** The link's MAC keys, once agreed (keyed proofs only). */
  get keys(): LinkKeys | undefined {
    return this.#proof?.keys
  }

  /** The peer's handshake, once received. */
  get peer(): Handshake | undefined {
    return this.#peer
  }

  /** Envelopes refused so far (malformed, unknown version or type, ...). */
  get violations(): number {
    return this.#violations.count
  }

  /** Requests and flows of this side still open. */
  get pending(): number {
    return this.#out.size
  }

  /** Why the session closed, if it did. */
  get closed(): PlexusError | undefined {
    return this.#closed
  }

  /** What the owner attached to an open outbound request. */
  ownerOf(id: number): unknown {
    return this.#out.get(id)?.owner
  }

  // ---- outbound ----

  /** Request/response over the link. */
  call(address: string, input: unknown, options: OutboundOptions): Promise<unknown> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed)
    return new Promise((resolve, reject) => {
      const id = this.#ids.next(this.#isOpen)
      const entry: Outbound = {
        resolve,
        reject,
        flow: undefined,
        input: undefined,
        cancel: options.cancel,
        owner: options.owner,
        onAbort: undefined,
        signal: options.signal,
      }
      try {
        this.#writer.write(this.#request(id, 'call', address, input, options))
      } catch (error) {
        reject(toPlexusError(error))
        return
      }
      this.#out.set(id, entry)
      this.#watch(id, entry, options)
    })
  }

  /** Fire-and-forget over the link (no answer, no error back). */
  send(address: string, input: unknown, options: OutboundOptions): void {
    if (this.#closed !== undefined) return
    this.#writer.write(this.#request(0, 'send', address, input, options))
  }

  /** Publishes an event to the peer. */
  emit(topic: string, payload: unknown, meta: Record<string, unknown> | undefined): void {
    if (this.#closed !== undefined) return
    const event: EventEnvelope = { t: EnvelopeType.EVENT, topic, delivery: 'balanced' }
    if (payload !== undefined) event.payload = payload
    if (meta !== undefined) event.meta = meta
    this.#writer.write(event)
  }

  /** Opens a stream (input is its argument) or a channel (input is the iterable sent). */
  open(
    kind: 'stream' | 'channel',
    address: string,
    input: unknown,
    options: OutboundOptions,
  ): AsyncIterableIterator<unknown> {
    const id = this.#ids.next(this.#isOpen)
    const flow = new FlowIn(
      this.window,
      this.window,
      (n) => this.#write({ t: EnvelopeType.CREDIT, id, n }),
      (reason) => this.#cancelOut(id, reason),
    )
    if (this.#closed !== undefined) {
      flow.fail(this.#closed)
      return flow
    }
    const entry: Outbound = {
      resolve: undefined,
      reject: undefined,
      flow,
      input: undefined,
      cancel: options.cancel,
      owner: options.owner,
      onAbort: undefined,
      signal: options.signal,
    }
    const request = this.#request(
      id,
      kind,
      address,
      kind === 'channel' ? undefined : input,
      options,
    )
    request.credit = this.window
    try {
      this.#writer.write(request)
    } catch (error) {
      flow.fail(toPlexusError(error))
      return flow
    }
    this.#out.set(id, entry)
    this.#watch(id, entry, options)
    if (kind === 'channel') {
      const source = (input as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      const pump = (entry.input = new FlowOut(0))
      void pump.pump(source, {
        item: (item) => this.#write({ t: EnvelopeType.CHANNEL_INPUT, id, item }),
        end: () => void this.#write({ t: EnvelopeType.CHANNEL_END, id }),
        fail: (error) => this.#cancelOut(id, error),
      })
    }
    return flow
  }

  /** Sends a liveness probe. */
  ping(seq: number): void {
    // With proofs, nothing may precede this side's proof: wait for the peer's HELLO.
    if (this.#proof !== undefined && this.#peer === undefined && this.#unproven === undefined) {
      return
    }
    this.#write({ t: EnvelopeType.PING, seq })
  }

  /** When the bytes being handled arrived (performance.now()), read once per chunk. */
  get receivedAt(): number {
    return this.#receivedAt
  }

  /** When the last whole frame (or message) from the peer was read (performance.now()). */
  get frameAt(): number {
    return this.#frameAt
  }

  /** Writes what this tick queued now (before a process exits). */
  flush(): void {
    this.#writer.flush()
  }

  /**
   * Ends the session: every open request and flow fails with `error`, every exchange in
   * progress for the peer is aborted. Idempotent.
   */
  close(error: PlexusError): void {
    if (this.#closed !== undefined) return
    this.#closed = error
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper)
    this.#writer.close()
    const out = [...this.#out.values()]
    this.#out.clear()
    for (const entry of out) this.#fail(entry, error)
    const inbound = [...this.#in.values()]
    this.#in.clear()
    for (const exchange of inbound) exchange.cancel(error)
  }

  // ---- inbound ----

  /** Feeds bytes received from the transport. */
  receive(chunk: Uint8Array): void {
    if (this.#closed !== undefined) return
    this.#receivedAt = performance.now()
    let frames: Buffer[]
    try {
      frames = this.#decoder.push(chunk)
    } catch (error) {
      this.#violations.record(toPlexusError(error))
      this.#broken(toPlexusError(error))
      return
    }
    for (const frame of frames) {
      if (this.#closed !== undefined) return
      let envelope: Envelope
      try {
        envelope = decodeEnvelope(frame)
      } catch (error) {
        this.#violation(toPlexusError(error))
        continue
      }
      try {
        this.#dispatch(envelope)
      } catch (error) {
        this.#logger.error({ err: error, t: envelope.t }, 'Link envelope handling failed')
      }
    }
    // A long chunk (a flood) took time to read: the peer was heard until its end.
    this.#receivedAt = performance.now()
    if (frames.length > 0) this.#frameAt = this.#receivedAt
  }

  /** Feeds one message received from a message transport: one envelope body. */
  receiveMessage(body: Uint8Array): void {
    if (this.#closed !== undefined) return
    this.#receivedAt = this.#frameAt = performance.now()
    let envelope: Envelope
    try {
      envelope = decodeEnvelope(body, this.#limits)
    } catch (error) {
      this.#violation(toPlexusError(error))
      return
    }
    try {
      this.#dispatch(envelope)
    } catch (error) {
      this.#logger.error({ err: error, t: envelope.t }, 'Link envelope handling failed')
    }
  }

  /** The transport ended; a frame cut short is a framing error. */
  end(): void {
    try {
      this.#decoder.end()
    } catch (error) {
      this.#violations.record(toPlexusError(error))
    }
  }

  // ---- ExchangeLink ----

  write(envelope: Envelope): number {
    return this.#closed === undefined ? this.#writer.write(envelope) : 0
  }

  settle(id: number): void {
    this.#in.delete(id)
  }

  // ---- internals ----

  readonly #isOpen = (id: number): boolean => this.#out.has(id)

  /** Writes an envelope, logging one that cannot be encoded; returns its size (0 if not written). */
  #write(envelope: Envelope): number {
    if (this.#closed !== undefined) return 0
    try {
      return this.#writer.write(envelope)
    } catch (error) {
      this.#logger.warn({ err: error }, 'Link envelope could not be written')
      return 0
    }
  }

  #request(
    id: number,
    kind: RequestEnvelope['kind'],
    address: string,
    input: unknown,
    options: OutboundOptions,
  ): RequestEnvelope {
    const budget = options.deadline
    const request: RequestEnvelope = {
      t: EnvelopeType.REQUEST,
      id,
      kind,
      address,
      deadline: budget >= MAX_BUDGET ? MAX_BUDGET : budget > 0 ? Math.ceil(budget) : 0,
    }
    if (input !== undefined) request.input = input
    if (options.meta !== undefined) request.meta = options.meta
    if (options.caller !== undefined) request.caller = options.caller
    return request
  }

  #watch(id: number, entry: Outbound, options: OutboundOptions): void {
    const signal = options.signal
    if (signal !== undefined) {
      if (signal.aborted) return this.#cancelOut(id, cancelled(signal))
      entry.onAbort = (): void => this.#cancelOut(id, cancelled(signal))
      signal.addEventListener('abort', entry.onAbort, { once: true })
    }
    if (options.cancel !== undefined && this.#sweeper === undefined) {
      this.#sweeper = setInterval(this.#sweepTick, SWEEP_MS)
      this.#sweeper.unref()
    }
  }

  readonly #sweepTick = (): void => this.#sweep()

  /** Cancels the requests whose source has a reason; stops once none is in flight (an idle link wakes no one). */
  #sweep(): void {
    if (this.#out.size === 0) {
      clearInterval(this.#sweeper)
      this.#sweeper = undefined
      return
    }
    for (const [id, entry] of this.#out) {
      const reason = entry.cancel?.reason
      if (reason !== undefined) this.#cancelOut(id, reason)
    }
  }

  /** Gives up on one of our requests: CANCEL to the peer, fail it locally. */
  #cancelOut(id: number, reason: PlexusError): void {
    const entry = this.#out.get(id)
    if (entry === undefined) return
    this.#out.delete(id)
    this.#write({ t: EnvelopeType.CANCEL, id, reason: reason.code.toLowerCase() })
    this.#fail(entry, reason)
  }

  #fail(entry: Outbound, error: PlexusError): void {
    unwatch(entry)
    entry.reject?.(error)
    entry.flow?.fail(error)
    entry.input?.stop()
  }

  #dispatch(e: Envelope): void {
    if (this.#peer === undefined) {
      if (this.#unproven !== undefined) return this.#proved(e, this.#unproven)
      let handshake: Handshake
      try {
        handshake = acceptHello(e)
      } catch (error) {
        return this.#refuse(toPlexusError(error))
      }
      const proof = this.#proof
      if (proof !== undefined) {
        let input: ReturnType<LinkProof['answer']>
        try {
          input = proof.answer(this.#hello, handshake.peer, this.#side)
        } catch (error) {
          return this.#refuse(toPlexusError(error))
        }
        if (input !== undefined) {
          this.#writer.write({
            t: EnvelopeType.REQUEST,
            id: 0,
            kind: 'send',
            address: PROOF_ADDRESS,
            deadline: 0,
            input,
          })
        }
        if (proof.required) {
          this.#unproven = handshake
          return
        }
      }
      this.#peer = handshake
      this.#handlers.ready(handshake)
      return
    }
    switch (e.t) {
      case EnvelopeType.REQUEST: {
        if (e.kind === 'send') return this.#handlers.request(e, undefined)
        if (isIdOf(this.#side, e.id) || this.#in.has(e.id)) {
          return this.#violation(
            new PlexusError('PROTOCOL', `REQUEST id ${e.id} is not a free id of the peer`, {
              data: { reason: 'shape', id: e.id },
            }),
          )
        }
        const exchange = new Exchange(this, e)
        this.#in.set(e.id, exchange)
        return this.#handlers.request(e, exchange)
      }
      case EnvelopeType.RESPONSE: {
        const entry = this.#out.get(e.id)
        if (entry?.resolve === undefined) return
        this.#out.delete(e.id)
        unwatch(entry)
        return entry.resolve(e.output)
      }
      case EnvelopeType.ERROR: {
        if (e.id === 0) return this.#broken(PlexusError.fromJSON(e.error))
        const entry = this.#out.get(e.id)
        if (entry === undefined) return
        this.#out.delete(e.id)
        entry.input?.stop()
        return this.#fail(entry, PlexusError.fromJSON(e.error))
      }
      case EnvelopeType.STREAM_ITEM:
        return this.#out.get(e.id)?.flow?.push(e.item)
      case EnvelopeType.STREAM_END: {
        const entry = this.#out.get(e.id)
        if (entry?.flow === undefined) return
        this.#out.delete(e.id)
        unwatch(entry)
        entry.input?.stop()
        return entry.flow.end()
      }
      case EnvelopeType.CHANNEL_INPUT:
        return this.#in.get(e.id)?.channelItem(e.item)
      case EnvelopeType.CHANNEL_END:
        return this.#in.get(e.id)?.channelEnd()
      case EnvelopeType.CANCEL:
        return this.#in
          .get(e.id)
          ?.cancel(new PlexusError('CANCELLED', `Peer cancelled: ${e.reason ?? 'no reason'}`))
      case EnvelopeType.CREDIT:
        if (isIdOf(this.#side, e.id)) return this.#out.get(e.id)?.input?.grant(e.n)
        return this.#in.get(e.id)?.credit(e.n)
      case EnvelopeType.PING:
        return void this.#write({ t: EnvelopeType.PONG, seq: e.seq })
      case EnvelopeType.PONG:
        return this.#handlers.pong?.(e.seq)
      case EnvelopeType.EVENT:
        return this.#handlers.event(e)
      case EnvelopeType.HELLO:
        return this.#violation(
          new PlexusError('PROTOCOL', 'A second HELLO on an open link', {
            data: { reason: 'handshake' },
          }),
        )
    }
  }

  /** The first envelope after the peer's HELLO, on a link that asked for its proof. */
  #proved(e: Envelope, handshake: Handshake): void {
    if (e.t === EnvelopeType.ERROR && e.id === 0) return this.#broken(PlexusError.fromJSON(e.error))
    if (e.t !== EnvelopeType.REQUEST || e.kind !== 'send' || e.address !== PROOF_ADDRESS) {
      return this.#refuse(
        new PlexusError(
          'UNAUTHORIZED',
          `Peer '${String(handshake.peer.name)}' sent t=${e.t} before proving its identity`,
          { data: { reason: 'missing-proof' } },
        ),
      )
    }
    try {
      this.#provenBy = this.#proof!.check(this.#hello, handshake.peer, e.input)
    } catch (error) {
      return this.#refuse(toPlexusError(error))
    }
    this.#unproven = undefined
    this.#peer = handshake
    this.#handlers.ready(handshake)
  }

  /** Refuses the link during the handshake: ERROR id 0 the peer can read, then broken. */
  #refuse(error: PlexusError): void {
    this.#violations.record(error)
    this.#writer.write({ t: EnvelopeType.ERROR, id: 0, error: error.toJSON() })
    this.#writer.flush()
    this.#broken(error)
  }

  /** An envelope was refused: count it, log it (capped), end the exchange it names. */
  #violation(error: PlexusError): void {
    this.#violations.record(error)
    const id = (error.data as { id?: unknown } | undefined)?.id
    if (typeof id !== 'number' || id === 0) return
    if (isIdOf(this.#side, id)) {
      const entry = this.#out.get(id)
      if (entry === undefined) return
      this.#out.delete(id)
      this.#write({ t: EnvelopeType.CANCEL, id, reason: 'protocol' })
      this.#fail(entry, error)
    } else {
      const exchange = this.#in.get(id)
      if (exchange !== undefined) exchange.fail(error)
      else this.#write({ t: EnvelopeType.ERROR, id, error: error.toJSON() })
    }
  }

  #broken(error: PlexusError): void {
    if (this.#closed !== undefined) return
    this.#handlers.broken(error)
  }
}

/** Drops a request's listener on its caller's signal: the request ended. */
function unwatch(entry: Outbound): void {
  if (entry.onAbort !== undefined) entry.signal!.removeEventListener('abort', entry.onAbort)
}

function cancelled(signal: AbortSignal | CancelSource): PlexusError {
  const reason: unknown = signal.reason
  return reason instanceof PlexusError
    ? reason
    : new PlexusError('CANCELLED', 'The caller aborted the call', { cause: reason })
}
