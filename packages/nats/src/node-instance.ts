import { toPlexusError, type InstanceState, type MessageContext } from '@plexus/kernel'
import { SessionInstance, type Session } from '@plexus/wire'
import { RAN_CODES, type EventFlow, type LinkShare } from './event-flow.js'

const SENT: Promise<undefined> = Promise.resolve(undefined)
const NO_DROPS: Readonly<Record<string, number>> = Object.freeze({})

/**
 * One service version served by a peer node, as this kernel reaches it: messages become
 * REQUESTs on the node link addressed to that exact version (`service@version.action`), so the
 * peer runs it on its own instances (see SessionInstance). Its lifecycle is the peer's: it goes
 * when the peer stops serving it or is found gone; while its link is down and the peer not yet
 * found gone (or this node is cut off from NATS) it is `starting`: skipped while another
 * instance runs, else refused at once with the link's UNAVAILABLE (retryable).
 */
export class NodeInstance extends SessionInstance {
  #unreachable = false

  constructor(
    id: string,
    node: string,
    service: string,
    version: number,
    session: Session,
    readonly linkRefused: () => number,
    readonly events?: EventFlow,
    readonly share?: LinkShare,
  ) {
    super(id, node, 'node', session, service, `${service}@${version}`)
  }

  /** `starting` once its link is down (see `unreachable`), else the session instance's. */
  override get state(): InstanceState {
    return this.#unreachable ? 'starting' : super.state
  }

  /** Its link is down: the peer may still be alive (a new link replaces this instance then). */
  unreachable(): void {
    this.#unreachable = true
  }

  /** Envelopes refused on the node link (shared by every service of that peer). */
  get refused(): number {
    return this.linkRefused()
  }

  /**
   * A plain event goes one way through this kernel's bounded event buffer (T15, event-flow.ts):
   * it settles once written (or dropped), and the peer's tally says later how it ended there.
   */
  override deliver(pattern: string, ctx: MessageContext, payload: unknown): Promise<unknown> {
    const events = this.events
    const share = this.share
    if (events === undefined || share === undefined) return this.sendEvent(pattern, ctx, payload)
    if (!events.admit(share)) return SENT
    if (!share.oneWay) return this.#call(events, share, pattern, ctx, payload)
    try {
      this.postEvent(pattern, ctx, payload)
    } catch (error) {
      const typed = toPlexusError(error)
      events.unsent(share, typed.code)
      return Promise.reject(typed)
    }
    return SENT
  }

  /** A peer that does not tally (an older release) answers each event: it settles one by one. */
  #call(
    events: EventFlow,
    share: LinkShare,
    pattern: string,
    ctx: MessageContext,
    payload: unknown,
  ): Promise<unknown> {
    return this.sendEvent(pattern, ctx, payload).then(
      () => void events.settle(share, 1, NO_DROPS),
      (error: unknown) => {
        const code = toPlexusError(error).code
        if (RAN_CODES.has(code)) events.settle(share, 1, NO_DROPS)
        else events.settle(share, 0, { [code]: 1 })
        throw error
      },
    )
  }
}
