import type { InstanceLink, InstanceState, MessageContext } from '@plexus/kernel'
import { RESERVED_ACTIONS, outboundOf, type Session } from '@plexus/wire'

/**
 * The link to one service a remote host serves: each message, once past the kernel's side
 * (interceptors, mailbox, figures), becomes a REQUEST on the host's session. Its lifecycle is
 * the host's own: the kernel never starts or stops it, and it goes when the link does.
 */
export class HostInstance implements InstanceLink {
  readonly placement = 'remote'
  state: InstanceState = 'running'
  readonly #session: Session
  readonly #service: string

  constructor(
    readonly id: string,
    readonly node: string,
    service: string,
    session: Session,
    readonly hostRefused: () => number,
  ) {
    this.#service = service
    this.#session = session
  }

  /** Envelopes refused on the host's link (shared by every service it serves). */
  get refused(): number {
    return this.hostRefused()
  }

  invoke(action: string, ctx: MessageContext, input: unknown): Promise<unknown> {
    return this.#session.call(`${this.#service}.${action}`, input, outboundOf(ctx))
  }

  deliver(pattern: string, ctx: MessageContext, payload: unknown): Promise<unknown> {
    return this.#session.call(
      `${this.#service}.${RESERVED_ACTIONS.event}`,
      { pattern, topic: ctx.topic, payload },
      outboundOf(ctx),
    )
  }

  open(
    kind: 'stream' | 'channel',
    name: string,
    ctx: MessageContext,
    input: unknown,
  ): AsyncIterator<unknown> {
    return this.#session.open(kind, `${this.#service}.${name}`, input, outboundOf(ctx))
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.state = 'stopped'
  }
}
