import { PlexusError } from '@plexus/kernel'

/** Where a value came from: the config file or an environment variable. */
export type Sources = ReadonlyMap<string, string>

/**
 * A configuration error naming the key, the value seen and what was expected, plus the
 * environment variable when the value came from one.
 */
export function configError(
  key: string,
  value: unknown,
  expected: string,
  sources: Sources = new Map(),
): PlexusError {
  const from = sources.get(key)
  const where = from === undefined ? key : `${key} (from ${from})`
  return new PlexusError(
    'INVALID_CONFIG',
    `Invalid configuration: ${where}: expected ${expected}, got ${show(value)}`,
    { data: { key, value, expected, ...(from === undefined ? {} : { env: from }) } },
  )
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (typeof value === 'function') return 'a function'
  const text = JSON.stringify(value) ?? typeof value
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}
