import type { MessageContext } from './context.js'

/** Lifecycle state of one instance. */
export type InstanceState = 'idle' | 'starting' | 'running' | 'draining' | 'stopped' | 'failed'

/**
 * How the kernel reaches one instance — the whole placement seam. A placement (worker, process)
 * or a link plug-in (a remote host, a node of the cluster) supplies it; the kernel keeps the
 * handler table, the mailboxes, the interceptors and the figures on its side, and calls these
 * raw operations only once a message has passed all of them.
 */
export interface InstanceLink {
  /** Unique across processes and machines: qualified by where it runs (`node/service@v#n`). */
  readonly id: string
  /** How it is placed: `inline`, `worker`, `process`, `remote`, `node`... */
  readonly placement: string
  /** Where it runs: the node or host name (shown in status). */
  readonly node: string
  /** Current state; only `running` instances are routed to while another one can serve. */
  readonly state: InstanceState
  /** Restarts of this instance slot so far (supervised links). */
  readonly restarts?: number
  /** Envelopes refused on its link as malformed or illegal, across restarts. */
  readonly refused?: number
  /** Runs an action: answers the output or a promise of it, or throws. */
  invoke(action: string, ctx: MessageContext, input: unknown): unknown
  /** Delivers an event to the handler of `pattern`; a promise settles when it was handled. */
  deliver(pattern: string, ctx: MessageContext, payload: unknown): unknown
  /** Opens a stream or channel: an async iterable or iterator (or a promise of one). */
  open(kind: 'stream' | 'channel', name: string, ctx: MessageContext, input: unknown): unknown
  /** Starts it (the service's `started` hook); resolves when it takes messages. */
  start(ctx: MessageContext): Promise<void>
  /** Stops it after the kernel drained it (the service's `stopped` hook). */
  stop(ctx: MessageContext): Promise<void>
}
