import type { Balancer } from './balancer.js'
import type { Meta } from './context.js'
import type { Instance } from './instance.js'
import type { ServiceDefinition } from './service.js'

/** Lifecycle state of a service version. */
export type VersionState = 'registered' | 'starting' | 'running' | 'draining' | 'stopped' | 'failed'

/** One version of a service and its instances. */
export class VersionEntry {
  state: VersionState = 'registered'
  instances: Instance[] = []
  /** Settles when the version runs (or fails to start). */
  readonly ready: Promise<void>
  /** Actions declared idempotent (retried on another instance when one is UNAVAILABLE). */
  readonly idempotent: ReadonlySet<string> | undefined
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

  /** Picks the instance for one message. */
  pick(input: unknown, ctx: { readonly meta: Meta }): Instance {
    const list = this.instances
    // A single instance needs no choice, and reading ctx.meta would allocate it.
    if (list.length === 1) return list[0]!
    const meta = ctx.meta
    const chosen = this.balancer.pick(list, input, meta)
    if (chosen.state === 'running') return chosen
    // Skip instances that are restarting or failed while another one can serve.
    const up = list.filter((i) => i.state === 'running')
    return up.length === 0 ? chosen : this.balancer.pick(up, input, meta)
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
