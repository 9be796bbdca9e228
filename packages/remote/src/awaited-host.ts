import {
  PlexusError,
  manifestOf,
  type InstanceLink,
  type InstanceState,
  type MessageContext,
  type PlacementRequest,
  type ServiceManifest,
} from '@plexus/kernel'
import type { Session } from '@plexus/wire'
import { HostInstance } from './host-instance.js'

/**
 * An instance of the `remote` placement: the kernel has the service's definition (its config
 * names the module) but runs it nowhere — a host will dial in and serve it. Until one does,
 * messages wait for it within their deadline; when a host that serves this service connects,
 * it takes this slot; when its link goes, the slot waits again.
 */
export class AwaitedHost implements InstanceLink {
  readonly id: string
  readonly node: string
  readonly placement = 'remote'
  readonly manifest: ServiceManifest
  #host: HostInstance | undefined
  #waiters: (() => void)[] = []
  #stopped = false

  constructor(request: PlacementRequest) {
    this.id = `${request.node}/${request.definition.name}@${request.definition.version ?? 1}#awaited-${request.id.slice(request.id.lastIndexOf('#') + 1)}`
    this.node = request.node
    this.manifest = manifestOf(request.definition)
  }

  /** Whether a host serves this slot now. */
  get bound(): boolean {
    return this.#host !== undefined
  }

  /** Running once started: messages are taken, and wait for a host when none is bound yet. */
  get state(): InstanceState {
    return this.#stopped ? 'stopped' : 'running'
  }

  /** Envelopes refused on the bound host's link. */
  get refused(): number {
    return this.#host?.refused ?? 0
  }

  /** A host serving this service connected: it serves this slot until `unbind`. */
  bind(id: string, service: string, session: Session, refused: () => number): void {
    this.#host = new HostInstance(id, this.node, service, session, refused)
    const waiters = this.#waiters
    this.#waiters = []
    for (const wake of waiters) wake()
  }

  /** Its host's link went: the slot waits for the next one. */
  unbind(): void {
    this.#host = undefined
  }

  invoke(action: string, ctx: MessageContext, input: unknown): unknown {
    const host = this.#host
    return host !== undefined
      ? host.invoke(action, ctx, input)
      : this.#bound(ctx).then(() => this.invoke(action, ctx, input))
  }

  deliver(pattern: string, ctx: MessageContext, payload: unknown): unknown {
    const host = this.#host
    return host !== undefined
      ? host.deliver(pattern, ctx, payload)
      : this.#bound(ctx).then(() => this.deliver(pattern, ctx, payload))
  }

  open(kind: 'stream' | 'channel', name: string, ctx: MessageContext, input: unknown): unknown {
    const host = this.#host
    return host !== undefined
      ? host.open(kind, name, ctx, input)
      : this.#bound(ctx).then(() => this.open(kind, name, ctx, input))
  }

  async start(): Promise<void> {
    this.#stopped = false
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#host = undefined
    const waiters = this.#waiters
    this.#waiters = []
    for (const wake of waiters) wake()
  }

  /** Resolves once a host is bound; the kernel's deadline bounds the wait. */
  #bound(ctx: MessageContext): Promise<void> {
    if (this.#stopped) {
      return Promise.reject(
        new PlexusError(
          'UNAVAILABLE',
          `No host serves '${this.manifest.name}': the kernel is stopping`,
          {
            retryable: true,
          },
        ),
      )
    }
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push(() =>
        this.#stopped
          ? reject(
              new PlexusError('UNAVAILABLE', `'${this.manifest.name}' stopped`, {
                retryable: true,
              }),
            )
          : resolve(),
      )
      ctx.signal.addEventListener('abort', () => reject(ctx.reason ?? ctx.signal.reason), {
        once: true,
      })
    })
  }
}
