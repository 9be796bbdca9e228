import type { CallContext } from './call-context.js'
import type { Clock } from './clock.js'
import { PlexusError, toPlexusError } from './errors.js'
import type { Instance, InstanceState } from './instance.js'
import { InstanceStats } from './instance-stats.js'
import type { HandleFn, HandlerInfo } from './interceptor.js'
import { Mailbox } from './mailbox.js'
import type { ActionSpec, EventSpec, ServiceDefinition, StreamSpec } from './service.js'
import { isThenable } from './thenable.js'

/** Wraps a raw handler with the kernel's inbound interceptors. */
export type Compile = (handler: HandleFn, info: HandlerInfo) => HandleFn

/** Reports a failed event handler (the kernel logs and counts it). */
export type EventFailure = (ctx: CallContext, error: PlexusError) => void

const DEFAULT_QUEUE = 1000
const SAMPLE_MASK = 63

/** An instance running in the kernel's own process: a call is a function call. */
export class InlineInstance implements Instance {
  readonly placement = 'inline'
  readonly stats = new InstanceStats()
  state: InstanceState = 'idle'
  readonly #definition: ServiceDefinition
  readonly #version: number
  readonly #clock: Clock
  readonly #onEventFailure: EventFailure
  #actions = new Map<string, HandleFn>()
  #events = new Map<string, HandleFn>()
  #streams = new Map<string, HandleFn>()

  constructor(
    readonly id: string,
    definition: ServiceDefinition,
    clock: Clock,
    compile: Compile,
    onEventFailure: EventFailure,
  ) {
    this.#definition = definition
    this.#version = definition.version ?? 1
    this.#clock = clock
    this.#onEventFailure = onEventFailure
    this.compile(compile)
  }

  /** (Re)builds every handler through the kernel's interceptors. */
  compile(compile: Compile): void {
    const def = this.#definition
    const service = def.name
    const version = this.#version
    const shared =
      def.concurrency !== undefined
        ? new Mailbox(`'${service}'`, def.concurrency, def.queue ?? DEFAULT_QUEUE)
        : undefined
    const actions = new Map<string, HandleFn>()
    for (const [name, entry] of Object.entries(def.actions ?? {})) {
      const spec: ActionSpec = typeof entry === 'function' ? { handler: entry } : entry
      let fn = spec.handler as HandleFn
      const own =
        spec.concurrency !== undefined || spec.serializeBy !== undefined
          ? new Mailbox(
              `'${service}.${name}'`,
              spec.concurrency ?? (spec.serializeBy ? Infinity : 1),
              spec.queue ?? DEFAULT_QUEUE,
              spec.serializeBy as ((input: unknown) => unknown) | undefined,
            )
          : undefined
      const box = own ?? shared
      if (box !== undefined) {
        const raw = fn
        fn = (ctx, input) => box.run(raw, ctx as CallContext, input)
      }
      actions.set(
        name,
        compile(fn, {
          service,
          version,
          name,
          kind: 'action',
          input: spec.input,
          output: spec.output,
          idempotent: spec.idempotent === true,
        }),
      )
    }
    const events = new Map<string, HandleFn>()
    for (const [pattern, entry] of Object.entries(def.events ?? {})) {
      const spec: EventSpec = typeof entry === 'function' ? { handler: entry } : entry
      let fn = spec.handler as HandleFn
      if (shared !== undefined) {
        const raw = fn
        fn = (ctx, input) => shared.run(raw, ctx as CallContext, input)
      }
      events.set(
        pattern,
        compile(fn, {
          service,
          version,
          name: pattern,
          kind: 'event',
          input: spec.input,
          output: undefined,
          idempotent: false,
        }),
      )
    }
    const streams = new Map<string, HandleFn>()
    for (const [name, entry] of Object.entries(def.streams ?? {})) {
      const spec: StreamSpec = typeof entry === 'function' ? { handler: entry } : entry
      streams.set(
        'stream:' + name,
        compile(spec.handler as HandleFn, {
          service,
          version,
          name,
          kind: 'stream',
          input: spec.input,
          output: undefined,
          idempotent: false,
        }),
      )
    }
    for (const [name, handler] of Object.entries(def.channels ?? {})) {
      streams.set(
        'channel:' + name,
        compile(handler as HandleFn, {
          service,
          version,
          name,
          kind: 'channel',
          input: undefined,
          output: undefined,
          idempotent: false,
        }),
      )
    }
    this.#actions = actions
    this.#events = events
    this.#streams = streams
  }

  invoke(action: string, ctx: CallContext, input: unknown): Promise<unknown> {
    const handler = this.#actions.get(action)
    if (handler === undefined) return Promise.reject(this.#missing('action', action))
    const stats = this.stats
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

  deliver(pattern: string, ctx: CallContext, payload: unknown): void {
    const handler = this.#events.get(pattern)
    if (handler === undefined) {
      this.#onEventFailure(ctx, this.#missing('event handler', pattern))
      return
    }
    this.stats.inFlight++
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

  async start(ctx: CallContext): Promise<void> {
    this.state = 'starting'
    await this.#definition.started?.(ctx)
    this.state = 'running'
  }

  async stop(ctx: CallContext): Promise<void> {
    this.state = 'stopped'
    await this.#definition.stopped?.(ctx)
  }

  #done(ctx: CallContext): void {
    const stats = this.stats
    stats.inFlight--
    stats.count++
    stats.consecutiveErrors = 0
    if (ctx.t0 === ctx.t0) stats.sample(this.#clock.now() - ctx.t0)
  }

  #failed(ctx: CallContext, error: unknown): PlexusError {
    const stats = this.stats
    stats.inFlight--
    stats.count++
    const typed = toPlexusError(error)
    stats.recordError(typed.code)
    if (ctx.t0 === ctx.t0) stats.sample(this.#clock.now() - ctx.t0)
    return typed
  }

  #missing(kind: string, name: string): PlexusError {
    return new PlexusError(
      'NOT_FOUND',
      `Service '${this.#definition.name}@${this.#version}' has no ${kind} '${name}'`,
      { data: { service: this.#definition.name, version: this.#version, [kind]: name } },
    )
  }
}

function iteratorOf(value: unknown, ctx: CallContext): AsyncIterator<unknown> {
  const iterable = value as AsyncIterable<unknown> | null
  if (iterable === null || typeof iterable[Symbol.asyncIterator] !== 'function') {
    throw new PlexusError(
      'HANDLER',
      `Stream handler of ${ctx.describe()} did not return an async iterable`,
    )
  }
  return iterable[Symbol.asyncIterator]()
}
