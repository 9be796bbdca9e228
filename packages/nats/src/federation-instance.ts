import type { InstanceState, MessageContext } from '@plexus/kernel'
import { SessionInstance, type Session } from '@plexus/wire'

/**
 * One version of an imported service served by a node of another cluster, reached over a
 * federation link (see SessionInstance). It reports itself `idle` while this cluster has a
 * running instance of the same version (`standby()`): the kernel routes only to running
 * instances while another one can serve, so a same-cluster instance wins and this one takes
 * over the moment none is left (the kernel picks the only instance whatever its state) —
 * failover across the bridge.
 */
export class FederationInstance extends SessionInstance {
  readonly #service: string
  readonly #standby: () => boolean

  constructor(
    id: string,
    node: string,
    service: string,
    version: number,
    session: Session,
    standby: () => boolean,
  ) {
    super(id, node, 'federated', session, service, `${service}@${version}`)
    this.#service = service
    this.#standby = standby
  }

  /** `running`, or `idle` while a same-cluster instance of this version runs. */
  override get state(): InstanceState {
    const own = super.state
    if (own === 'stopped') return own
    return this.#standby() ? 'idle' : 'running'
  }

  override deliver(pattern: string, ctx: MessageContext, payload: unknown): Promise<unknown> {
    // The service's own events come from its home cluster, where it already had them: one
    // re-emitted here is never sent back across the bridge (no echo, no double handling).
    if ((ctx.topic ?? pattern).startsWith(`${this.#service}.`)) return Promise.resolve(undefined)
    return this.sendEvent(pattern, ctx, payload)
  }
}
