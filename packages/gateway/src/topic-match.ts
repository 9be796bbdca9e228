/** True when `topic` matches `pattern` (`*` one token, `>` the rest, as the kernel reads them). */
export function topicMatches(pattern: string, topic: string): boolean {
  if (pattern === topic) return true
  const p = pattern.split('.')
  const t = topic.split('.')
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return t.length > i
    if (i >= t.length || (p[i] !== '*' && p[i] !== t[i])) return false
  }
  return p.length === t.length
}

/**
 * Whether a client may subscribe to `requested`: it must be one of the configured patterns, or
 * a concrete topic one of them matches. A client cannot widen `orders.*` to `>`.
 */
export function topicAllowed(requested: string, allowed: readonly string[]): boolean {
  if (allowed.includes(requested)) return true
  if (/(^|\.)[*>](\.|$)/.test(requested)) return false
  return allowed.some((pattern) => topicMatches(pattern, requested))
}
