import { PlexusError } from './errors.js'

const TOKEN = /^[^.*>\s]+$/

/** Checks a concrete topic (`orders.created`): dot-separated non-empty tokens, no wildcards. */
export function assertTopic(topic: unknown): asserts topic is string {
  if (
    typeof topic !== 'string' ||
    topic.length === 0 ||
    !topic.split('.').every((t) => TOKEN.test(t))
  ) {
    throw new PlexusError(
      'INVALID_ARGUMENT',
      `Invalid topic ${JSON.stringify(topic)}: expected dot-separated tokens without wildcards`,
    )
  }
}

/** Checks a subscription pattern: tokens, `*` for one token, `>` as the last token for the rest. */
export function assertPattern(pattern: string, where: string): void {
  const tokens = pattern.split('.')
  const ok = tokens.every(
    (t, i) => TOKEN.test(t) || t === '*' || (t === '>' && i === tokens.length - 1),
  )
  if (!ok) {
    throw new PlexusError(
      'INVALID_DEFINITION',
      `${where}: invalid event pattern ${JSON.stringify(pattern)} (tokens, '*' for one token, '>' last for the rest)`,
    )
  }
}

/** True when `topic` matches `pattern` (NATS-style wildcards). */
export function topicMatches(pattern: string, topic: string): boolean {
  if (pattern === topic) return true
  const p = pattern.split('.')
  const t = topic.split('.')
  for (let i = 0; i < p.length; i++) {
    const token = p[i]
    if (token === '>') return t.length > i
    if (i >= t.length) return false
    if (token !== '*' && token !== t[i]) return false
  }
  return p.length === t.length
}
