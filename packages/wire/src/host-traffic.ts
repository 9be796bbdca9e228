import type { Bus, CallOptions, Logger, MessageContext } from '@plexus/kernel'
import type { EventEnvelope, RequestEnvelope } from './envelope.js'
import type { Exchange } from './exchange.js'
import type { OutboundOptions } from './session.js'
import { NO_DEADLINE, PARENT_KEY } from './link-conventions.js'

/**
 * What a host (a worker or process guest, a remote host) sends of its own —
 * `ctx.call/send/stream/channel/emit` inside its handlers — routed through the kernel's bus in
 * the context of the request it is handling (named by the `$plexus.parent` meta key), so
 * deadline, meta, caller and cancellation propagate. Outside any request it speaks as `service`.
 */
export class HostTraffic {
  readonly #bus: Bus
  readonly #logger: Logger
  readonly #service: string
  readonly #ownerOf: (id: number) => unknown

  constructor(bus: Bus, logger: Logger, service: string, ownerOf: (id: number) => unknown) {
    this.#bus = bus
    this.#logger = logger
    this.#service = service
    this.#ownerOf = ownerOf
  }

  /** A REQUEST from the host: answered through `exchange` (undefined for `send`). */
  request(request: RequestEnvelope, exchange: Exchange | undefined): void {
    const bus = this.#bus
    const parent = this.#parentOf(request.meta)
    const options: CallOptions = {}
    if (request.deadline < NO_DEADLINE) options.deadline = Math.max(1, request.deadline)
    const meta = ownMeta(request.meta)
    if (meta !== undefined) options.meta = meta
    if (exchange !== undefined) options.signal = exchange
    try {
      switch (request.kind) {
        case 'call':
          bus.call(request.address, request.input, options, parent).then(
            (output) => exchange!.respond(output),
            (error: unknown) => exchange!.fail(error),
          )
          return
        case 'send':
          bus.send(request.address, request.input, options, parent)
          return
        case 'stream':
        case 'channel': {
          const input = request.kind === 'channel' ? exchange!.input() : request.input
          const flow = bus.stream(request.kind, request.address, input, options, parent)
          void exchange!.produce(flow[Symbol.asyncIterator]())
          return
        }
      }
    } catch (error) {
      exchange?.fail(error)
    }
  }

  /** An EVENT the host emitted. */
  event(event: EventEnvelope): void {
    const meta = ownMeta(event.meta)
    try {
      this.#bus.emit(
        event.topic,
        event.payload,
        meta === undefined ? undefined : { meta },
        this.#parentOf(event.meta),
      )
    } catch (error) {
      this.#logger.warn({ err: error, topic: event.topic }, 'Host event not routed')
    }
  }

  /** A context for what the host does outside any request (its lifecycle hooks). */
  lifecycleContext(): MessageContext {
    return this.#bus.context(this.#service, 'guest')
  }

  #parentOf(meta: Record<string, unknown> | undefined): MessageContext {
    const id = meta?.[PARENT_KEY]
    // The owner of an outbound request is the context the kernel handed the link for it.
    const owner =
      typeof id === 'number' ? (this.#ownerOf(id) as MessageContext | undefined) : undefined
    return owner ?? this.lifecycleContext()
  }
}

/**
 * What a link sends with a request forwarded for `ctx`: the budget left, its meta, the caller,
 * and `ctx` itself to poll for cancellation and to name the parent of the host's own calls.
 */
export function outboundOf(ctx: MessageContext): OutboundOptions {
  return {
    deadline: ctx.remaining(),
    meta: metaOf(ctx),
    caller: ctx.caller,
    cancel: ctx,
    owner: ctx,
  }
}

/** The meta to send with a request: undefined when there is none (without allocating it). */
export function metaOf(ctx: MessageContext): Record<string, unknown> | undefined {
  const meta = ctx.peekMeta()
  if (meta === undefined) return undefined
  for (const _ in meta) return meta
  return undefined
}

function ownMeta(meta: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (meta === undefined) return undefined
  if (!(PARENT_KEY in meta)) return meta
  const { [PARENT_KEY]: _, ...rest } = meta
  for (const _key in rest) return rest
  return undefined
}
