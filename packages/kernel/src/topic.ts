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

/**
 * True when `topic` matches `pattern` (NATS-style wildcards), token by token in place: no
 * splitting, so matching a topic against every subscription allocates nothing.
 */
export function topicMatches(pattern: string, topic: string): boolean {
  if (pattern === topic) return true
  const pl = pattern.length
  const tl = topic.length
  let p = 0
  let t = 0
  while (p < pl) {
    // The topic has no token left for this pattern token (`>` included: it needs one or more).
    if (t > tl) return false
    let pe = pattern.indexOf('.', p)
    if (pe === -1) pe = pl
    const one = pe - p === 1
    if (one && pattern.charCodeAt(p) === GT) return true
    let te = topic.indexOf('.', t)
    if (te === -1) te = tl
    if (!(one && pattern.charCodeAt(p) === STAR)) {
      if (pe - p !== te - t) return false
      for (let i = 0; i < pe - p; i++) {
        if (pattern.charCodeAt(p + i) !== topic.charCodeAt(t + i)) return false
      }
    }
    p = pe + 1
    t = te + 1
  }
  return t > tl
}

const GT = 62 // '>'
const STAR = 42 // '*'
