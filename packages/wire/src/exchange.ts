import { PlexusError, toPlexusError, type CancelSource } from '@plexus/kernel'
import { EnvelopeType, type Envelope, type RequestEnvelope, type RequestKind } from './envelope.js'
import { FlowIn } from './flow-in.js'
import { FlowOut } from './flow-out.js'

/** What an exchange needs from its session. */
export interface ExchangeLink {
  /** Writes an envelope and returns its size in bytes; throws PROTOCOL when it cannot be encoded. */
  write(envelope: Envelope): number
  /** Forgets the exchange (it ended). */
  settle(id: number): void
  /** Items a flow consumer lets its producer run ahead. */
  readonly window: number
}

/**
 * The responder's side of one REQUEST received on a link: answers it exactly once, streams
 * with the peer's credit, feeds channel input, and aborts its signal on CANCEL. It is the call's
 * CancelSource itself, so serving a call builds no AbortController unless the handler reads
 * `ctx.signal`.
 */
export class Exchange implements CancelSource {
  readonly id: number
  readonly kind: RequestKind
  /** Called once when the peer cancels or the link dies. */
  onCancel: ((reason: PlexusError) => void) | undefined
  readonly #link: ExchangeLink
  readonly #credit: number
  #controller: AbortController | undefined
  #reason: PlexusError | undefined
  /** Abort listeners: the deadline wheel's, and the callee context's once it made a signal. */
  #listener: (() => void) | undefined
  #listeners: (() => void)[] | undefined
  #producer: FlowOut | undefined
  #input: FlowIn | undefined
  #ended = false

  constructor(link: ExchangeLink, request: RequestEnvelope) {
    this.#link = link
    this.id = request.id
    this.kind = request.kind
    this.#credit = request.credit ?? 16
  }

  /** Why the exchange was aborted, if it was. */
  get reason(): PlexusError | undefined {
    return this.#reason
  }

  /** True once the peer cancelled or the link died. */
  get aborted(): boolean {
    return this.#reason !== undefined
  }

  /** Runs `listener` once when the peer cancels or the link dies. */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.#reason !== undefined) return
    if (this.#listener === undefined) this.#listener = listener
    else (this.#listeners ??= []).push(listener)
  }

  /** Forgets a listener added before. */
  removeEventListener(_type: 'abort', listener: () => void): void {
    if (this.#listener === listener) this.#listener = undefined
    else if (this.#listeners !== undefined) {
      const at = this.#listeners.indexOf(listener)
      if (at >= 0) this.#listeners.splice(at, 1)
    }
  }

  /** Aborted when the peer cancels or the link dies. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController()
      if (this.#reason !== undefined) this.#controller.abort(this.#reason)
    }
    return this.#controller.signal
  }

  /** Answers a `call`. */
  respond(output: unknown): void {
    if (this.#end()) return
    try {
      this.#link.write(
        output === undefined
          ? { t: EnvelopeType.RESPONSE, id: this.id }
          : { t: EnvelopeType.RESPONSE, id: this.id, output },
      )
    } catch (error) {
      this.#writeError(toPlexusError(error))
    }
  }

  /** Fails the exchange with a typed error. */
  fail(error: unknown): void {
    if (this.#end()) return
    this.#writeError(toPlexusError(error))
  }

  /** Streams the items of `iterator` as the peer grants credit, then STREAM_END (or ERROR). */
  produce(iterator: AsyncIterator<unknown>): Promise<void> {
    const producer = (this.#producer = new FlowOut(this.#credit))
    if (this.#reason !== undefined) producer.stop()
    return producer.pump(iterator, {
      item: (item) => {
        if (this.#ended) return 0
        try {
          return this.#link.write({ t: EnvelopeType.STREAM_ITEM, id: this.id, item })
        } catch (error) {
          producer.stop()
          this.fail(error)
          return 0
        }
      },
      end: () => {
        if (this.#end()) return
        this.#link.write({ t: EnvelopeType.STREAM_END, id: this.id })
      },
      fail: (error) => this.fail(error),
    })
  }

  /** The channel's input as an async iterable; credit is granted as the handler reads it. */
  input(): FlowIn {
    if (this.#input === undefined) {
      const window = this.#link.window
      this.#input = new FlowIn(
        window,
        window,
        (n) => this.#grant(n),
        () => {},
      )
      if (this.#reason !== undefined) this.#input.fail(this.#reason)
      else this.#grant(window)
    }
    return this.#input
  }

  /** Grants more stream-output credit (a CREDIT from the requester). */
  credit(n: number): void {
    this.#producer?.grant(n)
  }

  /** One CHANNEL_INPUT item, or the end of the input. */
  channelItem(item: unknown): void {
    this.input().push(item)
  }

  /** The requester's channel input is complete. */
  channelEnd(): void {
    this.input().end()
  }

  /** The peer cancelled, or the link died: abort the handler, stop producing, never answer. */
  cancel(reason: PlexusError): void {
    if (this.#reason !== undefined) return
    this.#reason = reason
    this.#controller?.abort(reason)
    const first = this.#listener
    const more = this.#listeners
    this.#listener = this.#listeners = undefined
    first?.()
    if (more !== undefined) for (const listener of more) listener()
    this.#producer?.stop()
    this.#input?.fail(reason)
    this.#ended = true
    this.#link.settle(this.id)
    const hook = this.onCancel
    this.onCancel = undefined
    hook?.(reason)
  }

  #grant(n: number): void {
    if (!this.#ended) this.#link.write({ t: EnvelopeType.CREDIT, id: this.id, n })
  }

  #end(): boolean {
    if (this.#ended) return true
    this.#ended = true
    this.#producer?.stop()
    this.#link.settle(this.id)
    return false
  }

  #writeError(error: PlexusError): void {
    try {
      this.#link.write({ t: EnvelopeType.ERROR, id: this.id, error: error.toJSON() })
    } catch {
      const plain = new PlexusError(error.code, error.message, { retryable: error.retryable })
      this.#link.write({ t: EnvelopeType.ERROR, id: this.id, error: plain.toJSON() })
    }
  }
}
