import type { CallContext } from './call-context.js'
import type { Clock } from './clock.js'
import {
  HandlerTable,
  type Compile,
  type EventFailure,
  type HandlerSource,
} from './handler-table.js'
import type { Instance, InstanceState } from './instance.js'
import { InstanceStats } from './instance-stats.js'
import type { HandleFn } from './interceptor.js'
import type { ServiceDefinition } from './service.js'

export type { Compile, EventFailure } from './handler-table.js'

/** An instance running in the kernel's own process: a call is a function call. */
export class InlineInstance implements Instance {
  readonly placement = 'inline'
  readonly stats = new InstanceStats()
  state: InstanceState = 'idle'
  readonly #definition: ServiceDefinition
  readonly #table: HandlerTable

  constructor(
    readonly id: string,
    definition: ServiceDefinition,
    clock: Clock,
    compile: Compile,
    onEventFailure: EventFailure,
  ) {
    this.#definition = definition
    this.#table = new HandlerTable(definition, this.stats, clock, onEventFailure)
    this.compile(compile)
  }

  /** (Re)builds every handler through the kernel's interceptors. */
  compile(compile: Compile): void {
    const def = this.#definition
    // Inline, the raw handlers are the definition's own functions.
    const source: HandlerSource = {
      action: (_name, spec) => spec.handler as HandleFn,
      event: (_pattern, spec) => spec.handler as HandleFn,
      stream: (kind, name, spec) =>
        (kind === 'stream' ? spec!.handler : def.channels![name]) as HandleFn,
    }
    this.#table.build(compile, source)
  }

  invoke(action: string, ctx: CallContext, input: unknown): Promise<unknown> {
    return this.#table.invoke(action, ctx, input)
  }

  deliver(pattern: string, ctx: CallContext, payload: unknown): void {
    this.#table.deliver(pattern, ctx, payload)
  }

  open(
    kind: 'stream' | 'channel',
    name: string,
    ctx: CallContext,
    input: unknown,
  ): AsyncIterator<unknown> | Promise<AsyncIterator<unknown>> {
    return this.#table.open(kind, name, ctx, input)
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
}
