import type { InstanceLink, InstanceState, MessageContext } from '@plexus/kernel'
import { RESERVED_ACTIONS, outboundOf, type Session } from '@plexus/wire'
import type { EventFlow } from './event-flow.js'

/**
 * One service version served by a peer node, as this kernel reaches it: each message, once past
 * this kernel's side (interceptors, mailbox, figures), becomes a REQUEST on the node link,
 * addressed to that exact version (`service@version.action`) so the peer runs it on its own
 * instances. Its lifecycle is the peer's: it goes when the link does or the peer stops serving it.
 */
export class NodeInstance implements InstanceLink {
  readonly placement = 'node'
  state: InstanceState = 'running'
  readonly #session: Session
  readonly #service: string
  readonly #pinned: string

  constructor(
    readonly id: string,
    readonly node: string,
    service: string,
    version: number,
    session: Session,
    readonly linkRefused: () => number,
    readonly events?: EventFlow,
  ) {
    this.#service = service
    this.#pinned = `${service}@${version}`
    this.#session = session
  }

  /** Envelopes refused on the node link (shared by every service of that peer). */
  get refused(): number {
    return this.linkRefused()
  }

  invoke(action: string, ctx: MessageContext, input: unknown): Promise<unknown> {
    return this.#session.call(`${this.#pinned}.${action}`, input, outboundOf(ctx))
  }

  deliver(pattern: string, ctx: MessageContext, payload: unknown): Promise<unknown> {
    const send = () =>
      this.#session.call(
        `${this.#service}.${RESERVED_ACTIONS.event}`,
        { pattern, topic: ctx.topic ?? pattern, payload },
        outboundOf(ctx),
      )
    // Plain events go through this kernel's bounded event buffer (T15, event-flow.ts).
    return this.events === undefined ? send() : this.events.deliver(send)
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
    this.state = 'stopped'
  }
}
