import { topicMatches } from '@plexus/kernel'

/**
 * Whether a client may subscribe to `requested`: it must be one of the configured patterns, or
 * a concrete topic one of them matches. A client cannot widen `orders.*` to `>`.
 */
export function topicAllowed(requested: string, allowed: readonly string[]): boolean {
  if (allowed.includes(requested)) return true
  if (/(^|\.)[*>](\.|$)/.test(requested)) return false
  return allowed.some((pattern) => topicMatches(pattern, requested))
}
