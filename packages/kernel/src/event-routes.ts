import type { ServiceEntry } from './registry.js'
import { topicMatches } from './topic.js'

/** A subscription an emitted topic reaches: the service, its pattern, and how it is delivered. */
export interface EventRoute {
  readonly service: ServiceEntry
  readonly pattern: string
  readonly broadcast: boolean
}

/** The subscriptions of every service's current version that match `topic`. */
export function matchRoutes(services: Iterable<ServiceEntry>, topic: string): EventRoute[] {
  const routes: EventRoute[] = []
  for (const service of services) {
    const events = service.current?.definition.events
    if (events === undefined) continue
    for (const [pattern, entry] of Object.entries(events)) {
      if (!topicMatches(pattern, topic)) continue
      routes.push({
        service,
        pattern,
        broadcast: typeof entry === 'object' && entry.delivery === 'broadcast',
      })
    }
  }
  return routes
}
