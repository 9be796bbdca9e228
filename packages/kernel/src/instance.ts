import type { CallContext } from './call-context.js'
import type { MessageContext } from './context.js'
import type { Clock } from './clock.js'
import type { PlexusError } from './errors.js'
import {
  HandlerTable,
  type Compile,
  type EventFailure,
  type HandlerSource,
} from './handler-table.js'
import type { InlineLink } from './inline-link.js'
import type { InstanceLink, InstanceState } from './instance-link.js'
import { InstanceStats } from './instance-stats.js'
import type { ServiceDefinition } from './service.js'

/**
 * One instance as the kernel keeps it, whatever its placement: the link that reaches it, and
 * the kernel's own side of it — the compiled handler table (interceptors, mailboxes), the
 * figures routing reads, and the state overrides the lifecycle decides (failed to start,
 * detached).
 */
export class Instance {
  readonly link: InstanceLink
  readonly stats = new InstanceStats()
  /** True when it runs in this kernel's process or one it started (not dialled in, not a peer). */
  readonly local: boolean
  readonly #table: HandlerTable
  readonly #inline: InlineLink | undefined
  #override: InstanceState | undefined

  constructor(
    link: InstanceLink,
    definition: ServiceDefinition,
    clock: Clock,
    onEventFailure: EventFailure,
    compile: Compile,
    local: boolean,
    inline: InlineLink | undefined,
  ) {
    this.link = link
    this.local = local
    this.#inline = inline
    this.#table = new HandlerTable(definition, this.stats, clock, onEventFailure)
    this.compile(compile)
  }

  /** The link's id: unique across processes and machines. */
  get id(): string {
    return this.link.id
  }

  /** How it is placed. */
  get placement(): string {
    return this.link.placement
  }

  /** The link's state, unless the kernel decided otherwise (failed to start, detached). */
  get state(): InstanceState {
    return this.#override ?? this.link.state
  }

  /** Messages waiting in its mailboxes. */
  get queued(): number {
    return this.#table.queued
  }

  /** Fixes its state from the kernel's side (`failed` at start, `stopped` once detached). */
  override(state: InstanceState): void {
    this.#override = state
  }

  /** Gone for good: nothing more is routed to it, and what waits in its mailboxes ends with `error`. */
  detach(error: PlexusError): void {
    this.#override = 'stopped'
    this.#table.failQueued(error)
  }

  /** (Re)builds its handlers through the kernel's inbound interceptors. */
  compile(compile: Compile): void {
    const inline = this.#inline
    const link = this.link
    // Inline, the raw handlers are the definition's own functions: a call is a function call.
    // Any other link forwards, once the message has passed the kernel's side.
    const source: HandlerSource =
      inline !== undefined
        ? inline.source
        : {
            action: (name) => (ctx, input) => link.invoke(name, ctx as MessageContext, input),
            event: (pattern) => (ctx, payload) =>
              link.deliver(pattern, ctx as MessageContext, payload),
            stream: (kind, name) => (ctx, input) =>
              link.open(kind, name, ctx as MessageContext, input),
          }
    this.#table.build(compile, source)
  }

  /** Runs an action through the kernel's side, then the link; always a promise, never throws. */
  invoke(action: string, ctx: CallContext, input: unknown): Promise<unknown> {
    return this.#table.invoke(action, ctx, input)
  }

  /** Delivers an event (fire-and-forget; failures are reported). */
  deliver(pattern: string, ctx: CallContext, payload: unknown): void {
    this.#table.deliver(pattern, ctx, payload)
  }

  /** Delivers an event and settles when it was handled. */
  dispatch(pattern: string, ctx: CallContext, payload: unknown): Promise<void> {
    return this.#table.dispatch(pattern, ctx, payload)
  }

  /** Opens a stream or channel. */
  open(
    kind: 'stream' | 'channel',
    name: string,
    ctx: CallContext,
    input: unknown,
  ): AsyncIterator<unknown> | Promise<AsyncIterator<unknown>> {
    return this.#table.open(kind, name, ctx, input)
  }
}
