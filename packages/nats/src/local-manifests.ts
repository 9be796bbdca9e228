import type { ActionManifest, Kernel, ServiceManifest, ServiceStatus } from '@plexus/kernel'

/**
 * What this node announces: a manifest per service version it runs itself (inline, worker or
 * process — never one it only knows by a link), taken from the kernel's status. Mailbox bounds and
 * dependencies stay out: they are the business of the node that runs the service.
 */
export class LocalManifests {
  readonly #broadcast: ReadonlySet<string>
  #served = new Set<string>()
  #current = new Set<string>()

  /** `broadcast` names extra `service:pattern` subscriptions to announce as broadcast. */
  constructor(broadcast: ReadonlySet<string>) {
    this.#broadcast = broadcast
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
      manifests.push(this.#manifest(status))
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

  #manifest(status: ServiceStatus): ServiceManifest {
    const own = status.manifest
    return {
      name: own.name,
      version: own.version,
      actions: own.actions.map((a): ActionManifest =>
        a.idempotent === true ? { name: a.name, idempotent: true } : { name: a.name },
      ),
      streams: [...own.streams],
      channels: [...own.channels],
      events: own.events.map((e) => ({
        ...e,
        delivery: this.#broadcast.has(`${own.name}:${e.pattern}`) ? 'broadcast' : e.delivery,
      })),
      dependencies: [],
    }
  }
}

function runsHere(status: ServiceStatus): boolean {
  return status.instances.some((i) => i.local && i.state === 'running')
}
