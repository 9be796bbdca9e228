import type { MessageContext } from '@plexus/kernel'
import { SessionInstance, type Session } from '@plexus/wire'
import type { EventFlow } from './event-flow.js'

/**
 * One service version served by a peer node, as this kernel reaches it: messages become
 * REQUESTs on the node link addressed to that exact version (`service@version.action`), so the
 * peer runs it on its own instances (see SessionInstance). Its lifecycle is the peer's: it goes
 * when the link does or the peer stops serving it.
 */
export class NodeInstance extends SessionInstance {
  constructor(
    id: string,
    node: string,
    service: string,
    version: number,
    session: Session,
    readonly linkRefused: () => number,
    readonly events?: EventFlow,
  ) {
    super(id, node, 'node', session, service, `${service}@${version}`)
  }

  /** Envelopes refused on the node link (shared by every service of that peer). */
  get refused(): number {
    return this.linkRefused()
  }

  override deliver(pattern: string, ctx: MessageContext, payload: unknown): Promise<unknown> {
    // Plain events go through this kernel's bounded event buffer (T15, event-flow.ts).
    if (this.events === undefined) return this.sendEvent(pattern, ctx, payload)
    return this.events.deliver(() => this.sendEvent(pattern, ctx, payload))
  }
}
