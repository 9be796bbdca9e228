import type { ServiceStatus } from './kernel-types.js'
import type { ServiceEntry } from './registry.js'

/** A status snapshot of services, versions, instances and their figures. */
export function snapshot(services: Iterable<ServiceEntry>): ServiceStatus[] {
  const out: ServiceStatus[] = []
  for (const service of services) {
    for (const v of service.versions.values()) {
      out.push({
        name: service.name,
        version: v.version,
        state: v.state,
        current: service.current === v,
        actions: Object.keys(v.definition.actions ?? {}),
        events: Object.keys(v.definition.events ?? {}),
        streams: Object.keys(v.definition.streams ?? {}),
        manifest: v.announced,
        instances: v.instances.map((i) => ({
          id: i.id,
          placement: i.placement,
          node: i.link.node,
          local: i.local,
          state: i.state,
          queued: i.queued,
          inFlight: i.stats.inFlight,
          count: i.stats.count,
          errors: i.stats.errors,
          rate: i.stats.rate,
          p50: i.stats.percentile(50),
          p99: i.stats.percentile(99),
          restarts: i.link.restarts ?? 0,
          refused: i.link.refused ?? 0,
        })),
      })
    }
  }
  return out
}

/** Closes every instance's one-second rate window (the kernel's once-a-second timer). */
export function rollRates(services: Iterable<ServiceEntry>): void {
  for (const service of services) {
    for (const version of service.versions.values())
      for (const i of version.instances) i.stats.roll()
  }
}
