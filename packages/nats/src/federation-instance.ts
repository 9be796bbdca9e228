import type { InstanceLink, InstanceState, MessageContext } from '@plexus/kernel'
import { RESERVED_ACTIONS, outboundOf, type Session } from '@plexus/wire'

/**
 * One version of an imported service served by a node of another cluster, reached over a
 * federation link. It reports itself `idle` while this cluster has a running instance of the
 * same version (`standby()`): the kernel routes only to running instances while another one can
 * serve, so a same-cluster instance wins and this one takes over the moment none is left (the
 * kernel picks the only instance whatever its state) — failover across the bridge.
 */
export class FederationInstance implements InstanceLink {
  readonly placement = 'federated'
  readonly #session: Session
  readonly #service: string
  readonly #pinned: string
  readonly #standby: () => boolean
  #stopped = false

  constructor(
    readonly id: string,
    readonly node: string,
    service: string,
    version: number,
    session: Session,
    standby: () => boolean,
  ) {
    this.#service = service
    this.#pinned = `${service}@${version}`
    this.#session = session
    this.#standby = standby
  }

  /** `running`, or `idle` while a same-cluster instance of this version runs. */
  get state(): InstanceState {
    if (this.#stopped) return 'stopped'
    return this.#standby() ? 'idle' : 'running'
  }

  invoke(action: string, ctx: MessageContext, input: unknown): Promise<unknown> {
    return this.#session.call(`${this.#pinned}.${action}`, input, outboundOf(ctx))
  }

  deliver(pattern: string, ctx: MessageContext, payload: unknown): Promise<unknown> {
    const topic = ctx.topic ?? pattern
    // The service's own events come from its home cluster, where it already had them: one
    // re-emitted here is never sent back across the bridge (no echo, no double handling).
    if (topic.startsWith(`${this.#service}.`)) return Promise.resolve(undefined)
    return this.#session.call(
      `${this.#service}.${RESERVED_ACTIONS.event}`,
      { pattern, topic, payload },
      outboundOf(ctx),
    )
  }

  open(
    kind: 'stream' | 'channel',
    name: string,
    ctx: MessageContext,
    input: unknown,
  ): AsyncIterator<unknown> {
    return this.#session.open(kind, `${this.#pinned}.${name}`, input, outboundOf(ctx))
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.#stopped = true
  }
}
