import { PlexusError } from '@plexus/kernel'
import { fileBackend } from './file-backend.js'
import type { KvBackend } from './kv-backend.js'
import { memoryBackend } from './memory-backend.js'

/** The backend as configuration data (a config file or environment variables). */
export type KvBackendConfig =
  { backend: 'memory' } | { backend: 'file'; dir: string; fsync?: boolean; compactEvery?: number }

/**
 * Builds a backend from configuration, so swapping memory for file is a config edit. Wrong
 * values fail with a message naming the key, the value seen and what was expected.
 */
export function backendFromConfig(config: unknown, path = 'kv'): KvBackend {
  const c = (config ?? {}) as Record<string, unknown>
  const bad = (key: string, expected: string): never => {
    throw new PlexusError(
      'INVALID_ARGUMENT',
      `${path}.${key}: expected ${expected}, got ${JSON.stringify(c[key])}`,
      { data: { key: `${path}.${key}`, value: c[key], expected } },
    )
  }
  const kind = c['backend'] ?? 'memory'
  if (kind === 'memory') return memoryBackend()
  if (kind !== 'file') return bad('backend', "'memory' or 'file'")
  if (typeof c['dir'] !== 'string' || c['dir'] === '') bad('dir', 'a directory path')
  if (c['fsync'] !== undefined && typeof c['fsync'] !== 'boolean') bad('fsync', 'true or false')
  const every = c['compactEvery']
  if (every !== undefined && !(Number.isInteger(every) && (every as number) > 0)) {
    bad('compactEvery', 'a positive integer')
  }
  return fileBackend({
    dir: c['dir'] as string,
    ...(c['fsync'] === undefined ? {} : { fsync: c['fsync'] as boolean }),
    ...(every === undefined ? {} : { compactEvery: every as number }),
  })
}
