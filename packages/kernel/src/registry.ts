import type { Balancer } from './balancer.js'
import type { Meta } from './context.js'
import type { Instance } from './instance.js'
import { manifestOf, type ServiceManifest } from './manifest.js'
import type { ServiceDefinition } from './service.js'

/** Lifecycle state of a service version. */
export type VersionState = 'registered' | 'starting' | 'running' | 'draining' | 'stopped' | 'failed'

/** One version of a service and its instances. */
export class VersionEntry {
  state: VersionState = 'registered'
  /** Every instance, local and attached. */
  instances: Instance[] = []
  /** Set when the kernel has no code for this version: it exists while instances are attached. */
  manifest: ServiceManifest | undefined
  /** Whether a running local instance wins over attached ones (the kernel's `preferLocal`). */
  preferLocal = true
  #preferred: Instance[] = this.instances
  /** Settles when the version runs (or fails to start). */
  readonly ready: Promise<void>
  /** Actions declared idempotent (retried on another instance when one is UNAVAILABLE). */
  readonly idempotent: ReadonlySet<string> | undefined
  #announced: ServiceManifest | undefined
  #resolve!: () => void
  #reject!: (error: unknown) => void

  constructor(
    readonly service: ServiceEntry,
    readonly version: number,
    readonly definition: ServiceDefinition,
    readonly balancer: Balancer,
    readonly placement: string,
    readonly count: number,
    readonly module: string | undefined = undefined,
    readonly settings: Readonly<Record<string, unknown>> = {},
  ) {
    const idempotent = Object.entries(definition.actions ?? {})
      .filter(([, a]) => typeof a === 'object' && a.idempotent === true)
      .map(([name]) => name)
    this.idempotent = idempotent.length > 0 ? new Set(idempotent) : undefined
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    this.ready.catch(() => {})
  }

  /** What this version announces: the attached manifest, or the one its definition gives (built once). */
  get announced(): ServiceManifest {
    return this.manifest ?? (this.#announced ??= manifestOf(this.definition))
  }

  /** Replaces the instance list (the version started, an instance was attached or detached). */
  setInstances(instances: Instance[]): void {
    this.instances = instances
    let local = 0
    for (const i of instances) if (i.local) local++
    // Local instances win while there are any (and attached ones exist to lose to), unless
    // the balancer places across nodes itself.
    this.#preferred =
      this.preferLocal && this.balancer.spansNodes !== true && local > 0 && local < instances.length
        ? instances.filter((i) => i.local)
        : instances
  }

  /** Picks the instance for one message. */
  pick(input: unknown, ctx: { readonly meta: Meta }): Instance {
    const list = this.#preferred
    // A single instance needs no choice, and reading ctx.meta would allocate it.
    if (list.length === 1) {
      const only = list[0]!
      if (list === this.instances || only.state === 'running') return only
    }
    const meta = ctx.meta
    const chosen = list.length === 1 ? list[0]! : this.balancer.pick(list, input, meta)
    if (chosen.state === 'running') return chosen
    // Skip instances that are restarting or failed while another one (anywhere) can serve.
    const up = this.instances.filter((i) => i.state === 'running')
    if (up.length === 0) return chosen
    return up.length === 1 ? up[0]! : this.balancer.pick(up, input, meta)
  }

  /** Messages in flight across the instances. */
  inFlight(): number {
    let n = 0
    for (const instance of this.instances) n += instance.stats.inFlight
    return n
  }

  /** Marks the version running and releases waiting callers. */
  markRunning(): void {
    this.state = 'running'
    this.#resolve()
  }

  /** Marks the version failed and releases waiting callers with `error`. */
  markFailed(error: unknown): void {
    this.state = 'failed'
    this.#reject(error)
  }
}

/** A service name with its versions; `current` answers unpinned addresses. */
export class ServiceEntry {
  readonly versions = new Map<number, VersionEntry>()
  /** The version unpinned addresses reach: the highest version not stopped. */
  current: VersionEntry | undefined

  constructor(readonly name: string) {}

  /** The version an address reaches: `0` is the current one, any other number that version. */
  lookup(version: number): VersionEntry | undefined {
    return version === 0 ? this.current : this.versions.get(version)
  }

  /** Recomputes `current` after versions change. */
  refresh(): void {
    let best: VersionEntry | undefined
    for (const entry of this.versions.values()) {
      if (entry.state === 'stopped' || entry.state === 'draining') continue
      if (best === undefined || entry.version > best.version) best = entry
    }
    this.current = best
  }
}

/** Who is told when the registry changes (the router's caches). */
export interface RegistryListener {
  /** An address may now resolve differently (a service came or went). */
  routesChanged(): void
  /** The subscriptions of `service` may have changed (a version started, failed, was replaced). */
  topicsChanged(service: ServiceEntry): void
}

/**
 * The registry: services by name, their versions and instances. Every change goes through it,
 * so the router's caches are told once, here.
 */
export class Registry {
  readonly #services = new Map<string, ServiceEntry>()
  readonly #listener: RegistryListener

  constructor(listener: RegistryListener) {
    this.#listener = listener
  }

  /** A service by name. */
  get(name: string): ServiceEntry | undefined {
    return this.#services.get(name)
  }

  /** Every service. */
  values(): IterableIterator<ServiceEntry> {
    return this.#services.values()
  }

  /** Every service name. */
  names(): IterableIterator<string> {
    return this.#services.keys()
  }

  /** Adds `entry` under its service (creating the service), and makes it visible to routing. */
  addVersion(entry: VersionEntry): void {
    const service = entry.service
    this.#services.set(service.name, service)
    service.versions.set(entry.version, entry)
    service.refresh()
    this.#listener.routesChanged()
  }

  /** Removes one version; the service goes too once it has none. */
  removeVersion(entry: VersionEntry): void {
    const service = entry.service
    if (service.versions.get(entry.version) === entry) service.versions.delete(entry.version)
    if (service.versions.size === 0 && this.#services.get(service.name) === service) {
      this.#services.delete(service.name)
    }
    service.refresh()
    this.#listener.routesChanged()
  }

  /** Removes a whole service. */
  remove(name: string): ServiceEntry | undefined {
    const service = this.#services.get(name)
    if (service === undefined) return undefined
    this.#services.delete(name)
    this.#listener.routesChanged()
    return service
  }

  /** Versions or their states changed (started, failed, replaced): recompute what topics reach. */
  changed(service: ServiceEntry): void {
    service.refresh()
    this.#listener.topicsChanged(service)
  }
}

/** Each service's dependencies, over all its versions (for the start order). */
export function dependencyGraph(services: Iterable<ServiceEntry>): Map<string, readonly string[]> {
  const graph = new Map<string, readonly string[]>()
  for (const service of services) {
    const deps = new Set<string>()
    for (const v of service.versions.values())
      for (const d of v.definition.dependencies ?? []) deps.add(d)
    graph.set(service.name, [...deps])
  }
  return graph
}
