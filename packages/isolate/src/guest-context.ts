import {
  PlexusError,
  type CallOptions,
  type Context,
  type CancelSource,
  type EmitOptions,
  type Logger,
  type Meta,
} from '@plexus/kernel'
import { NO_DEADLINE, PARENT_KEY, type Exchange, type Session } from '@plexus/wire'
import { EitherCancel } from './either-cancel.js'

/**
 * What a handler receives inside a worker or child: the same `Context` as inline, whose
 * call/send/emit/stream go back over the link to the kernel, carrying the remaining budget,
 * the metadata and this exchange's id so deadline, meta and cancellation propagate.
 */
export class GuestContext implements Context {
  readonly deadline: number
  readonly meta: Meta
  readonly #session: Session
  readonly #exchange: Exchange | undefined
  readonly #baseLogger: Logger
  #logger: Logger | undefined
  #controller: AbortController | undefined

  constructor(
    session: Session,
    logger: Logger,
    readonly service: string,
    readonly action: string,
    readonly caller: string | undefined,
    readonly topic: string | undefined,
    meta: Meta | undefined,
    budget: number,
    exchange: Exchange | undefined,
  ) {
    this.#session = session
    this.#baseLogger = logger
    this.#exchange = exchange
    this.meta = meta ?? {}
    this.deadline = budget >= NO_DEADLINE ? Infinity : session.receivedAt + budget
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = (this.#controller = new AbortController())
      const exchange = this.#exchange
      if (exchange !== undefined) {
        if (exchange.reason !== undefined) controller.abort(exchange.reason)
        else {
          const previous = exchange.onCancel
          exchange.onCancel = (reason) => {
            previous?.(reason)
            controller.abort(reason)
          }
        }
      }
      const left = this.remaining()
      if (left !== Infinity && !controller.signal.aborted) {
        const timer = setTimeout(
          () =>
            controller.abort(
              new PlexusError('TIMEOUT', `Deadline of ${this.describe()} passed in the guest`),
            ),
          left,
        )
        timer.unref()
        controller.signal.addEventListener('abort', () => clearTimeout(timer), { once: true })
      }
    }
    return this.#controller.signal
  }

  get logger(): Logger {
    // The kernel's tracing step put the handler's span in meta: its lines name the span.
    return (this.#logger ??= this.#baseLogger.child({
      service: this.service,
      action: this.action,
      ...traceFields(this.meta['traceparent']),
    }))
  }

  remaining(): number {
    const left = this.deadline - performance.now()
    return left > 0 ? left : 0
  }

  call<O = unknown>(address: string, input?: unknown, options?: CallOptions): Promise<O> {
    return this.#session.call(address, input, this.#outbound(options)) as Promise<O>
  }

  send(address: string, input?: unknown, options?: CallOptions): void {
    this.#session.send(address, input, this.#outbound(options))
  }

  emit(topic: string, payload?: unknown, options?: EmitOptions): void {
    this.#session.emit(topic, payload, this.#meta(options?.meta))
  }

  stream<O = unknown>(address: string, input?: unknown, options?: CallOptions): AsyncIterable<O> {
    return this.#session.open('stream', address, input, this.#outbound(options)) as AsyncIterable<O>
  }

  channel<I = unknown, O = unknown>(
    address: string,
    input: AsyncIterable<I>,
    options?: CallOptions,
  ): AsyncIterable<O> {
    return this.#session.open(
      'channel',
      address,
      input,
      this.#outbound(options),
    ) as AsyncIterable<O>
  }

  describe(): string {
    return this.topic !== undefined
      ? `event '${this.topic}' in '${this.service}'`
      : `'${this.service}.${this.action}'`
  }

  #outbound(options: CallOptions | undefined) {
    const own = options?.deadline
    const left = this.remaining()
    return {
      deadline: own !== undefined && own < left ? own : left,
      meta: this.#meta(options?.meta),
      caller: this.service,
      signal: this.#signalFor(options?.signal),
    }
  }

  #signalFor(
    given: AbortSignal | CancelSource | undefined,
  ): AbortSignal | CancelSource | undefined {
    if (this.#exchange === undefined) return given
    if (given === undefined) return this.signal
    return given instanceof AbortSignal
      ? AbortSignal.any([given, this.signal])
      : new EitherCancel(given, this.signal)
  }

  #meta(extra: Meta | undefined): Meta {
    const meta: Meta = extra === undefined ? { ...this.meta } : { ...this.meta, ...extra }
    if (this.#exchange !== undefined) meta[PARENT_KEY] = this.#exchange.id
    return meta
  }
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/

/** `trace_id` and `span_id` of a W3C `traceparent`, or nothing. */
function traceFields(traceparent: unknown): { trace_id?: string; span_id?: string } {
  const match = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent) : null
  return match === null ? {} : { trace_id: match[1]!, span_id: match[2]! }
}
