import type { CallOptions, CancelSource, EmitOptions, MessageContext, Meta } from './context.js'
import type { Deadlined } from './deadline-wheel.js'
import { PlexusError } from './errors.js'
import { followCancel } from './follow-cancel.js'
import type { Logger } from './logger.js'

/** The kernel operations a context routes through (implemented by the kernel). */
export interface Bus {
  /** Current time on the kernel clock. */
  now(): number
  /** Default budget of a call in ms. */
  readonly defaultDeadline: number
  /** The kernel's logger. */
  readonly logger: Logger
  /** Routes a call from `caller`. */
  call(
    address: string,
    input: unknown,
    options: CallOptions | undefined,
    caller: MessageContext,
  ): Promise<unknown>
  /** Routes a fire-and-forget request from `caller`. */
  send(
    address: string,
    input: unknown,
    options: CallOptions | undefined,
    caller: MessageContext,
  ): void
  /** Publishes an event from `caller`. */
  emit(
    topic: string,
    payload: unknown,
    options: EmitOptions | undefined,
    caller: MessageContext,
  ): void
  /** Opens a stream or channel from `caller`. */
  stream(
    kind: 'stream' | 'channel',
    address: string,
    input: unknown,
    options: CallOptions | undefined,
    caller: MessageContext,
  ): AsyncIterable<unknown>
  /** A context for work `service` does on its own (lifecycle hooks, timers): the parent of its calls. */
  context(service: string, action: string): MessageContext
  /**
   * Publishes a kernel or supervisor event (`plexus.*`) to whoever subscribes; never throws and,
   * unlike `emit`, does not count as unrouted when nobody listens.
   */
  announce(topic: string, payload: unknown): void
}

/**
 * The context of one message. Cheap by construction: the absolute deadline is fixed lazily (a
 * handler that answers synchronously never reads the clock) and the AbortSignal is created only
 * when a handler asks for it.
 */
export class CallContext implements MessageContext, Deadlined {
  readonly service: string
  readonly action: string
  readonly caller: string | undefined
  readonly topic: string | undefined
  readonly budget: number
  /** Start time of a sampled call (NaN when not sampled). */
  t0 = NaN
  readonly #bus: Bus
  readonly #parent: MessageContext | undefined
  readonly #cancel: AbortSignal | CancelSource | undefined
  #deadline: number
  #meta: Meta | undefined
  #controller: AbortController | undefined
  #signal: AbortSignal | undefined
  #reason: PlexusError | undefined
  #logger: Logger | undefined
  /** The listener on the caller's cancel source, if followed; null once released. */
  #following: (() => void) | null | undefined

  constructor(
    bus: Bus,
    service: string,
    action: string,
    parent: MessageContext | undefined,
    options: CallOptions | undefined,
    topic?: string,
  ) {
    this.#bus = bus
    this.service = service
    this.action = action
    this.topic = topic
    this.#parent = parent
    this.caller = parent?.service
    const budget = options?.deadline
    if (budget !== undefined) {
      if (typeof budget !== 'number' || !(budget > 0) || !Number.isFinite(budget)) {
        throw new PlexusError(
          'INVALID_ARGUMENT',
          `Invalid deadline ${String(budget)} for '${service}.${action}': expected a finite number of ms > 0`,
        )
      }
      const own = bus.now() + budget
      this.#deadline = parent !== undefined && parent.deadline < own ? parent.deadline : own
      this.budget = budget
    } else if (parent !== undefined && parent.deadline !== Infinity) {
      this.#deadline = parent.deadline
      this.budget = parent.budget
    } else {
      this.#deadline = NaN
      this.budget = bus.defaultDeadline
    }
    const meta = options?.meta
    const inherited = parent?.peekMeta()
    if (meta !== undefined) this.#meta = inherited ? { ...inherited, ...meta } : { ...meta }
    else if (inherited !== undefined) this.#meta = { ...inherited }
    this.#cancel = options?.signal ?? parent?.cancelSignal
  }

  /** The metadata if any was set, without creating it (links read this to skip empty meta). */
  peekMeta(): Meta | undefined {
    return this.#meta
  }

  get meta(): Meta {
    return (this.#meta ??= {})
  }

  get deadline(): number {
    if (this.#deadline !== this.#deadline) this.#deadline = this.#bus.now() + this.budget
    return this.#deadline
  }

  /** The caller's cancel signal (its own `signal` option, or the parent's). */
  get cancelSignal(): AbortSignal | CancelSource | undefined {
    return this.#cancel
  }

  /** Why the message was aborted, if it was. */
  get reason(): PlexusError | undefined {
    return this.#reason ?? this.#parent?.reason
  }

  get signal(): AbortSignal {
    if (this.#signal === undefined) {
      const controller = new AbortController()
      this.#controller = controller
      const reason = this.reason
      if (reason !== undefined) controller.abort(reason)
      const parent = this.#parent?.signal
      const sources = [controller.signal]
      if (parent !== undefined) sources.push(parent)
      const cancel = this.#cancel
      if (cancel !== undefined && cancel !== this.#parent?.cancelSignal) {
        if (cancel instanceof AbortSignal) sources.push(cancel)
        // A link's exchange or the caller's own source: followed only once the handler asks
        // for its signal, and only until the message ends (release).
        else if (this.#following !== null) this.#following = followCancel(cancel, controller)
        else if (cancel.aborted) controller.abort(cancel.reason)
      }
      this.#signal = sources.length === 1 ? controller.signal : AbortSignal.any(sources)
    }
    return this.#signal
  }

  get logger(): Logger {
    return (this.#logger ??= this.#bus.logger.child({ service: this.service, action: this.action }))
  }

  /** Lifts the deadline (a long-lived stream opened without one); nested calls get their own. */
  unbound(): void {
    this.#deadline = Infinity
  }

  /**
   * The message ended: its signal stops following the caller's cancel source, so a long-lived
   * source passed to many calls keeps no listener per call. Idempotent.
   */
  release(): void {
    const listener = this.#following
    this.#following = null
    if (listener != null) (this.#cancel as CancelSource).removeEventListener('abort', listener)
  }

  /** Aborts this message with `reason` (first reason wins). */
  abort(reason: PlexusError): void {
    if (this.#reason !== undefined) return
    this.#reason = reason
    this.#controller?.abort(reason)
  }

  describe(): string {
    return this.topic !== undefined
      ? `event '${this.topic}' in '${this.service}'`
      : `'${this.service}.${this.action}'`
  }

  remaining(): number {
    const left = this.deadline - this.#bus.now()
    return left > 0 ? left : 0
  }

  call<O = unknown>(address: string, input?: unknown, options?: CallOptions): Promise<O> {
    return this.#bus.call(address, input, options, this) as Promise<O>
  }

  send(address: string, input?: unknown, options?: CallOptions): void {
    this.#bus.send(address, input, options, this)
  }

  emit(topic: string, payload?: unknown, options?: EmitOptions): void {
    this.#bus.emit(topic, payload, options, this)
  }

  stream<O = unknown>(address: string, input?: unknown, options?: CallOptions): AsyncIterable<O> {
    return this.#bus.stream('stream', address, input, options, this) as AsyncIterable<O>
  }

  channel<I = unknown, O = unknown>(
    address: string,
    input: AsyncIterable<I>,
    options?: CallOptions,
  ): AsyncIterable<O> {
    return this.#bus.stream('channel', address, input, options, this) as AsyncIterable<O>
  }
}
