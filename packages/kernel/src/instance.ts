import type { CallContext } from './call-context.js'
import type { Compile } from './handler-table.js'
import type { InstanceStats } from './instance-stats.js'

/** Lifecycle state of one instance. */
export type InstanceState = 'idle' | 'starting' | 'running' | 'draining' | 'stopped' | 'failed'

/**
 * One running copy of a service as the router sees it, whatever its placement. The inline
 * placement calls functions; link plug-ins (worker, process, remote, NATS) implement the same
 * shape over a port, a socket or a subject.
 */
export interface Instance {
  /** Unique id within the kernel (`service@version#n`). */
  readonly id: string
  /** Where it runs: `inline`, `worker`, `process`, ... */
  readonly placement: string
  /** Cheap per-instance figures. */
  readonly stats: InstanceStats
  /** Current state. */
  state: InstanceState
  /** Handles a request; always settles (the kernel's deadline bounds it). */
  invoke(action: string, ctx: CallContext, input: unknown): Promise<unknown>
  /** Delivers an event to the handler registered under `pattern`. */
  deliver(pattern: string, ctx: CallContext, payload: unknown): void
  /** Opens a request-stream or channel; the iterator pulls with backpressure. */
  open(
    kind: 'stream' | 'channel',
    name: string,
    ctx: CallContext,
    input: unknown,
  ): AsyncIterator<unknown> | Promise<AsyncIterator<unknown>>
  /** Rebuilds its handlers through `compile` (the kernel calls it when interceptors change). */
  compile(compile: Compile): void
  /** Runs the service's `started` hook; resolves when it takes messages. */
  start(ctx: CallContext): Promise<void>
  /** Runs the service's `stopped` hook. */
  stop(ctx: CallContext): Promise<void>
}
