import type { InstanceLink, InstanceState, MessageContext } from '@plexus/kernel'
import { outboundOf } from './host-traffic.js'
import { RESERVED_ACTIONS } from './link-conventions.js'
import type { Session } from './session.js'

/**
 * An instance the kernel reaches over a link session (a remote host, a cluster peer, a
 * federated node): each message, once past the kernel's side (interceptors, mailbox, figures),
 * becomes a REQUEST or a stream OPEN on the session, addressed `<target>.<name>` (`target` is
 * the service, or `service@version` to pin the peer to that exact version), and an event a
 * REQUEST to the service's reserved `$event` action, so its delivery is acknowledged. Its
 * lifecycle is the peer's: the kernel never starts it, and it goes when the link does.
 */
export class SessionInstance implements InstanceLink {
  #state: InstanceState = 'running'
  readonly #session: Session
  readonly #target: string
  readonly #events: string

  constructor(
    readonly id: string,
    readonly node: string,
    readonly placement: string,
    session: Session,
    service: string,
    target: string = service,
  ) {
    this.#session = session
    this.#target = target
    this.#events = `${service}.${RESERVED_ACTIONS.event}`
  }

  /** `running` until stopped. */
  get state(): InstanceState {
    return this.#state
  }

  invoke(action: string, ctx: MessageContext, input: unknown): Promise<unknown> {
    return this.#session.call(`${this.#target}.${action}`, input, outboundOf(ctx))
  }

  deliver(pattern: string, ctx: MessageContext, payload: unknown): Promise<unknown> {
    return this.sendEvent(pattern, ctx, payload)
  }

  /** Sends one event to the peer's `$event` action, resolving once its handler ran. */
  protected sendEvent(pattern: string, ctx: MessageContext, payload: unknown): Promise<unknown> {
    const topic = ctx.topic ?? pattern
    return this.#session.call(this.#events, { pattern, topic, payload }, outboundOf(ctx))
  }

  /** Sends one event to the peer's `$event` action one way (no answer); throws if it cannot be written. */
  protected postEvent(pattern: string, ctx: MessageContext, payload: unknown): void {
    const topic = ctx.topic ?? pattern
    this.#session.send(this.#events, { pattern, topic, payload }, outboundOf(ctx))
  }

  open(
    kind: 'stream' | 'channel',
    name: string,
    ctx: MessageContext,
    input: unknown,
  ): AsyncIterator<unknown> {
    return this.#session.open(kind, `${this.#target}.${name}`, input, outboundOf(ctx))
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.#state = 'stopped'
  }
}
