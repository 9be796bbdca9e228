import type { ServiceStatus } from '@plexus/kernel'

/**
 * Lifecycle changes between two status snapshots: versions coming and going, instance state
 * changes and restarts. The kernel announces `plexus.service.*` and `plexus.instance.*` events
 * too, but only to subscribers that existed when they happened; a dashboard that connects
 * later, or polls, reads the same story from the snapshots.
 */
export function statusChanges(before: ServiceStatus[], after: ServiceStatus[]): string[] {
  const key = (s: ServiceStatus): string => `${s.name}@${s.version}`
  const old = new Map(before.map((s) => [key(s), s]))
  const now = new Map(after.map((s) => [key(s), s]))
  const changes: string[] = []
  for (const [k, s] of now) {
    const prev = old.get(k)
    if (prev === undefined) {
      changes.push(`${k} registered (${s.state})`)
      continue
    }
    if (prev.state !== s.state) changes.push(`${k} ${prev.state} → ${s.state}`)
    const instances = new Map(prev.instances.map((i) => [i.id, i]))
    for (const i of s.instances) {
      const p = instances.get(i.id)
      if (p === undefined) changes.push(`${k} instance ${i.id} added (${i.placement}, ${i.state})`)
      else {
        if (p.state !== i.state) changes.push(`${k} instance ${i.id} ${p.state} → ${i.state}`)
        if (i.restarts > p.restarts) changes.push(`${k} instance ${i.id} restarted`)
      }
    }
  }
  for (const k of old.keys()) if (!now.has(k)) changes.push(`${k} removed`)
  return changes
}
