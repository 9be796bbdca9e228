import type { ActionSpec, ServiceDefinition } from '@plexus/kernel'
import type { ServiceManifest } from '@plexus/wire'

/** The HELLO manifest of a service definition: names and the flags the kernel routes by. */
export function manifestOf(definition: ServiceDefinition): ServiceManifest {
  return {
    name: definition.name,
    version: definition.version ?? 1,
    actions: Object.entries(definition.actions ?? {}).map(([name, entry]) => {
      const spec: Partial<ActionSpec> = typeof entry === 'function' ? {} : entry
      const action: ServiceManifest['actions'][number] = { name }
      if (spec.idempotent === true) action.idempotent = true
      if (spec.concurrency !== undefined) action.concurrency = spec.concurrency
      if (spec.queue !== undefined) action.queue = spec.queue
      return action
    }),
    streams: Object.keys(definition.streams ?? {}),
    channels: Object.keys(definition.channels ?? {}),
    events: Object.entries(definition.events ?? {}).map(([pattern, entry]) => ({
      pattern,
      delivery:
        typeof entry === 'object' && entry.delivery === 'broadcast' ? 'broadcast' : 'balanced',
    })),
    dependencies: [...(definition.dependencies ?? [])],
  }
}
