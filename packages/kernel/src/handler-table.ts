import type { CallContext } from './call-context.js'
import type { Context } from './context.js'
import type { Clock } from './clock.js'
import { PlexusError, toPlexusError } from './errors.js'
import type { InstanceStats } from './instance-stats.js'
import type { HandleFn, HandlerInfo } from './interceptor.js'
import { Mailbox } from './mailbox.js'
import type { ActionSpec, EventSpec, ServiceDefinition, StreamSpec } from './service.js'
import { isThenable } from './thenable.js'

/** Wraps a raw handler with the kernel's inbound interceptors. */
export type Compile = (handler: HandleFn, info: HandlerInfo) => HandleFn

/** Reports a failed event handler (the kernel logs and counts it). */
export type EventFailure = (ctx: CallContext, error: PlexusError) => void

/**
 * Where an instance's handlers really run: the inline placement returns the definition's own
 * functions; a link returns functions that forward over its port or socket.
 */
export interface HandlerSource {
  /** The raw handler of an action. */
  action(name: string, spec: ActionSpec): HandleFn
  /** The raw handler of an event subscription. */
  event(pattern: string, spec: EventSpec): HandleFn
  /** The raw handler of a stream or channel; it answers an async iterable or iterator. */
  stream(kind: 'stream' | 'channel', name: string, spec: StreamSpec | undefined): HandleFn
}

const DEFAULT_QUEUE = 1000
const SAMPLE_MASK = 63

/**
 * One instance's compiled handlers and the bookkeeping every placement shares: mailboxes
 * (`concurrency`, `queue`, `serializeBy`) on the kernel side, the kernel's interceptors around
 * each handler, in-flight/count/error figures with sampled latency, and typed NOT_FOUND answers.
 */
export class HandlerTable {
  readonly #definition: ServiceDefinition
  readonly #version: number
  readonly #stats: InstanceStats
  readonly #clock: Clock
  readonly #onEventFailure: EventFailure
  #mailboxes: Mailbox[] = []
  #actions = new Map<string, HandleFn>()
  #events = new Map<string, HandleFn>()
  #streams = new Map<string, HandleFn>()

  constructor(
    definition: ServiceDefinition,
    stats: InstanceStats,
    clock: Clock,
    onEventFailure: EventFailure,
  ) {
    this.#definition = definition
    this.#version = definition.version ?? 1
    this.#stats = stats
    this.#clock = clock
    this.#onEventFailure = onEventFailure
  }

  /** (Re)builds every handler from `source` through the kernel's interceptors. */
  build(compile: Compile, source: HandlerSource): void {
    const def = this.#definition
    const service = def.name
    const version = this.#version
    const info = (
      name: string,
      kind: HandlerInfo['kind'],
      spec: { input?: unknown; output?: unknown; idempotent?: boolean } = {},
    ): HandlerInfo => ({
      service,
      version,
      name,
      kind,
      input: spec.input as HandlerInfo['input'],
      output: (kind === 'action' ? spec.output : undefined) as HandlerInfo['output'],
      idempotent: spec.idempotent === true,
    })
    const shared =
      def.concurrency !== undefined
        ? new Mailbox(`'${service}'`, def.concurrency, def.queue ?? DEFAULT_QUEUE)
        : undefined
    const mailboxes: Mailbox[] = shared === undefined ? [] : [shared]
    const boxed = (fn: HandleFn, box: Mailbox | undefined): HandleFn =>
      box === undefined ? fn : (ctx, input) => box.run(fn, ctx as CallContext, input)

    const actions = new Map<string, HandleFn>()
    for (const [name, entry] of Object.entries(def.actions ?? {})) {
      const spec: ActionSpec = typeof entry === 'function' ? { handler: entry } : entry
      const own =
        spec.concurrency !== undefined || spec.serializeBy !== undefined
          ? new Mailbox(
              `'${service}.${name}'`,
              spec.concurrency ?? (spec.serializeBy ? Infinity : 1),
              spec.queue ?? DEFAULT_QUEUE,
              spec.serializeBy as ((input: unknown, ctx: Context) => unknown) | undefined,
            )
          : undefined
      if (own !== undefined) mailboxes.push(own)
      actions.set(
        name,
        compile(boxed(source.action(name, spec), own ?? shared), info(name, 'action', spec)),
      )
    }
    const events = new Map<string, HandleFn>()
    for (const [pattern, entry] of Object.entries(def.events ?? {})) {
      const spec: EventSpec = typeof entry === 'function' ? { handler: entry } : entry
      events.set(
        pattern,
        compile(boxed(source.event(pattern, spec), shared), info(pattern, 'event', spec)),
      )
    }
    const streams = new Map<string, HandleFn>()
    for (const [name, entry] of Object.entries(def.streams ?? {})) {
      const spec: StreamSpec = typeof entry === 'function' ? { handler: entry } : entry
      streams.set(
        'stream:' + name,
        compile(source.stream('stream', name, spec), info(name, 'stream', spec)),
      )
    }
    for (const name of Object.keys(def.channels ?? {})) {
      streams.set(
        'channel:' + name,
        compile(source.stream('channel', name, undefined), info(name, 'channel')),
      )
    }
    this.#actions = actions
    this.#events = events
    this.#streams = streams
    this.#mailboxes = mailboxes
  }

  /** Messages waiting in this instance's mailboxes. */
  get queued(): number {
    let n = 0
    for (const box of this.#mailboxes) n += box.queued
    return n
  }

  /** Ends every queued message with `error` (the instance went away before they ran). */
  failQueued(error: PlexusError): void {
    for (const box of this.#mailboxes) box.failQueued(error)
  }

  /** Runs an action; always answers a promise, never throws. */
  invoke(action: string, ctx: CallContext, input: unknown): Promise<unknown> {
    const handler = this.#actions.get(action)
    if (handler === undefined) return Promise.reject(this.#missing('action', action))
    const stats = this.#stats
    stats.inFlight++
    if ((stats.count & SAMPLE_MASK) === 0) ctx.t0 = this.#clock.now()
    let result: unknown
    try {
      result = handler(ctx, input)
    } catch (error) {
      return Promise.reject(this.#failed(ctx, error))
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value) => {
          this.#done(ctx)
          return value
        },
        (error: unknown) => {
          throw this.#failed(ctx, error)
        },
      )
    }
    this.#done(ctx)
    return Promise.resolve(result)
  }

  /** Delivers an event; a failure goes to the kernel's event-failure report. */
  deliver(pattern: string, ctx: CallContext, payload: unknown): void {
    const handler = this.#events.get(pattern)
    if (handler === undefined) {
      this.#onEventFailure(ctx, this.#missing('event handler', pattern))
      return
    }
    this.#stats.inFlight++
    let result: unknown
    try {
      result = handler(ctx, payload)
    } catch (error) {
      this.#onEventFailure(ctx, this.#failed(ctx, error))
      return
    }
    if (isThenable(result)) {
      result.then(
        () => this.#done(ctx),
        (error: unknown) => this.#onEventFailure(ctx, this.#failed(ctx, error)),
      )
    } else {
      this.#done(ctx)
    }
  }

  /**
   * Delivers an event and settles when its handler has (resolves) or failed (rejects with the
   * typed error, which is also reported like any failed delivery): what acknowledging needs.
   */
  dispatch(pattern: string, ctx: CallContext, payload: unknown): Promise<void> {
    const handler = this.#events.get(pattern)
    if (handler === undefined) {
      const missing = this.#missing('event handler', pattern)
      this.#onEventFailure(ctx, missing)
      return Promise.reject(missing)
    }
    this.#stats.inFlight++
    return new Promise<unknown>((resolve) => resolve(handler(ctx, payload))).then(
      () => this.#done(ctx),
      (error: unknown) => {
        const typed = this.#failed(ctx, error)
        this.#onEventFailure(ctx, typed)
        throw typed
      },
    )
  }

  /** Opens a stream or channel: the handler's iterable (or iterator) as an iterator. */
  open(
    kind: 'stream' | 'channel',
    name: string,
    ctx: CallContext,
    input: unknown,
  ): AsyncIterator<unknown> | Promise<AsyncIterator<unknown>> {
    const handler = this.#streams.get(kind + ':' + name)
    if (handler === undefined) throw this.#missing(kind, name)
    const result = handler(ctx, input)
    return isThenable(result)
      ? Promise.resolve(result).then((r) => iteratorOf(r, ctx))
      : iteratorOf(result, ctx)
  }

  #done(ctx: CallContext): void {
    const stats = this.#stats
    stats.inFlight--
    stats.count++
    stats.consecutiveErrors = 0
    if (ctx.t0 === ctx.t0) stats.sample(this.#clock.now() - ctx.t0)
  }

  #failed(ctx: CallContext, error: unknown): PlexusError {
    const stats = this.#stats
    stats.inFlight--
    stats.count++
    const typed = toPlexusError(error)
    stats.recordError(typed.code)
    if (ctx.t0 === ctx.t0) stats.sample(this.#clock.now() - ctx.t0)
    return typed
  }

  #missing(kind: string, name: string): PlexusError {
    const service = this.#definition.name
    return new PlexusError(
      'NOT_FOUND',
      `Service '${service}@${this.#version}' has no ${kind} '${name}'`,
      { data: { service, version: this.#version, [kind]: name } },
    )
  }
}

function iteratorOf(value: unknown, ctx: CallContext): AsyncIterator<unknown> {
  const v = value as (AsyncIterable<unknown> & AsyncIterator<unknown>) | null
  if (v !== null && typeof v === 'object') {
    if (typeof v[Symbol.asyncIterator] === 'function') return v[Symbol.asyncIterator]()
    if (typeof v.next === 'function') return v
  }
  throw new PlexusError(
    'HANDLER',
    `Stream handler of ${ctx.describe()} did not return an async iterable`,
  )
}
