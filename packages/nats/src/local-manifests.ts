import type { Interceptor, Kernel, ServiceManifest, ServiceStatus } from '@plexus/kernel'

/**
 * What this node announces: a manifest per service version it runs itself (inline, worker or
 * process — never one it only knows by a link), rebuilt from the kernel's public status. The
 * status names actions, events and streams; `describe` adds the idempotent flag; channel names
 * come from a pass-through `handle` interceptor that sees every compiled handler. The kernel
 * does not expose an event's delivery, so broadcast subscriptions are named in the options.
 */
export class LocalManifests {
  readonly #channels = new Map<string, Set<string>>()
  readonly #broadcast: ReadonlySet<string>
  #served = new Set<string>()
  #current = new Set<string>()

  constructor(broadcast: ReadonlySet<string>) {
    this.#broadcast = broadcast
  }

  /** Records channel names as handlers are compiled; wraps nothing. */
  readonly interceptor: Interceptor = {
    name: 'nats-manifests',
    handle: (next, info) => {
      if (info.kind === 'channel') {
        const key = `${info.service}@${info.version}`
        const names = this.#channels.get(key) ?? new Set<string>()
        names.add(info.name)
        this.#channels.set(key, names)
      }
      return next
    },
  }

  /** Re-reads the kernel: the manifests of every version with a running local instance. */
  read(kernel: Kernel<any>): ServiceManifest[] {
    const manifests: ServiceManifest[] = []
    const served = new Set<string>()
    const current = new Set<string>()
    for (const status of kernel.services()) {
      if (status.state !== 'running' || !runsHere(status)) continue
      served.add(`${status.name}@${status.version}`)
      if (status.current) current.add(status.name)
      manifests.push(this.#manifest(kernel, status))
    }
    this.#served = served
    this.#current = current
    return manifests
  }

  /** Whether `service@version` runs here (as of the last read): a peer's call may be routed to it. */
  serves(service: string, version: number): boolean {
    return this.#served.has(`${service}@${version}`)
  }

  /** Whether the current version of `service` runs here: an event for it is handled here. */
  servesCurrent(service: string): boolean {
    return this.#current.has(service)
  }

  #manifest(kernel: Kernel<any>, status: ServiceStatus): ServiceManifest {
    const at = `${status.name}@${status.version}`
    return {
      name: status.name,
      version: status.version,
      actions: status.actions.map((name) =>
        kernel.describe(`${at}.${name}`)?.idempotent === true
          ? { name, idempotent: true }
          : { name },
      ),
      streams: [...status.streams],
      channels: [...(this.#channels.get(at) ?? [])],
      events: status.events.map((pattern) => ({
        pattern,
        delivery: this.#broadcast.has(`${status.name}:${pattern}`) ? 'broadcast' : 'balanced',
      })),
      // The peer never starts it: dependencies and mailboxes are this node's business.
      dependencies: [],
    }
  }
}

function runsHere(status: ServiceStatus): boolean {
  return status.instances.some((i) => i.local && i.state === 'running')
}
