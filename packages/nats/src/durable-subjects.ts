/**
 * Names of the durable-events resources of a namespace (wave2.md §7.2): one stream holds every
 * durable event under `plexus.<ns>.evt.<topic>` (topic tokens are subject tokens, so `*` and `>`
 * patterns are filter subjects as they are), a second holds the dead letters.
 */

/** The stream of a namespace's durable events. */
export function eventStream(namespace: string): string {
  return `PLEXUS_${namespace.toUpperCase()}_EVENTS`
}

/** The stream of a namespace's dead letters. */
export function deadLetterStream(namespace: string): string {
  return `PLEXUS_${namespace.toUpperCase()}_DLQ`
}

/** The subject a durable event on `topic` (or a subscription's pattern) is stored under. */
export function eventSubject(namespace: string, topic: string): string {
  return `plexus.${namespace}.evt.${topic}`
}

/** The topic of a stored event's subject. */
export function topicOf(namespace: string, subject: string): string {
  return subject.slice(`plexus.${namespace}.evt.`.length)
}

/** Where a service's events go after their last attempt. */
export function deadLetterSubject(namespace: string, service: string): string {
  return `plexus.${namespace}.dlq.${service}`
}

/**
 * The durable consumer of one subscription: `<service>_<pattern>` with the pattern's tokens made
 * name-safe, and a hash so two patterns never share one (`a.*` vs `a._`), plus `_<node>` for a
 * broadcast subscription (a consumer per node).
 */
export function consumerName(service: string, pattern: string, node?: string): string {
  const safe = pattern
    .replace(/\*/g, 'S')
    .replace(/>/g, 'R')
    .replace(/[^A-Za-z0-9_-]/g, '_')
  const name = `${service}_${safe.slice(0, 48)}_${fnv(pattern)}`
  return node === undefined ? name : `${name}_${node}`
}

function fnv(text: string): string {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0).toString(36)
}
