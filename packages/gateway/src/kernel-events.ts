import { defineService, topicMatches, type Kernel } from '@plexus/kernel'
import type { EventSource } from './topic-hub.js'

type Deliver = (topic: string, payload: unknown) => void

/**
 * Subscribes the gateway to the kernel's events as an ordinary service, one broadcast handler
 * per configured pattern, so events from any node reach it the way they reach any service.
 */
export function kernelEventSource(
  kernel: Kernel<any>,
  patterns: readonly string[],
  serviceName: string,
): { source: EventSource; stop(): Promise<void> } {
  const listeners = new Map<string, Set<Deliver>>(patterns.map((p) => [p, new Set()]))
  const events = Object.fromEntries(
    patterns.map((pattern) => [
      pattern,
      {
        delivery: 'broadcast' as const,
        handler: (ctx: { topic: string | undefined }, payload: unknown) => {
          const topic = ctx.topic ?? pattern
          for (const deliver of listeners.get(pattern) ?? []) deliver(topic, payload)
        },
      },
    ]),
  )
  kernel.add(defineService({ name: serviceName, events }))
  const source: EventSource = (requested, deliver) => {
    // A concrete topic may sit under several configured patterns; it must arrive once.
    const owner =
      patterns.find((p) => p === requested) ?? patterns.find((p) => topicMatches(p, requested))
    if (owner === undefined) return () => {}
    const filtered: Deliver = (topic, payload) => {
      if (topicMatches(requested, topic)) deliver(topic, payload)
    }
    listeners.get(owner)?.add(filtered)
    return () => listeners.get(owner)?.delete(filtered)
  }
  return { source, stop: () => kernel.remove(serviceName) }
}
