import { PlexusError } from '@plexus/kernel'
import { fileBackend } from './file-backend.js'
import type { KvBackend } from './kv-backend.js'
import { memoryBackend } from './memory-backend.js'
import { natsStore, type NatsStoreOptions } from './nats-store.js'
import { redisStore, type RedisStoreOptions } from './redis-store.js'
import type { SharedStore } from './shared-store.js'

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

/** A store as configuration data: a single-writer backend, or a shared Redis / NATS KV store. */
export type KvStoreConfig =
  | KvBackendConfig
  | { backend: 'redis'; url?: string; prefix?: string; timeout?: number }
  | {
      backend: 'nats'
      servers?: string | string[]
      bucket?: string
      bucketTtl?: number
      timeout?: number
    }

/**
 * Builds what `kvService` is built over from configuration: `{ backend }` for memory and file,
 * `{ store }` for `redis` and `nats`, so moving to a shared store is a config edit too.
 *
 * @example
 * kernel.add(kvService(kvStoreFromConfig({ backend: 'redis', url: 'redis://10.0.0.5:6379' })))
 */
export function kvStoreFromConfig(
  config: unknown,
  path = 'kv',
): { backend: KvBackend } | { store: SharedStore } {
  const c = (config ?? {}) as Record<string, unknown>
  const kind = c['backend'] ?? 'memory'
  if (kind === 'memory' || kind === 'file') return { backend: backendFromConfig(config, path) }
  const bad = (key: string, expected: string): never => {
    throw new PlexusError(
      'INVALID_ARGUMENT',
      `${path}.${key}: expected ${expected}, got ${JSON.stringify(c[key])}`,
      { data: { key: `${path}.${key}`, value: c[key], expected } },
    )
  }
  const text = (key: string) => {
    if (c[key] !== undefined && (typeof c[key] !== 'string' || c[key] === '')) {
      bad(key, 'a non-empty string')
    }
    return c[key] as string | undefined
  }
  const ms = (key: string) => {
    const value = c[key]
    if (
      value !== undefined &&
      !(typeof value === 'number' && Number.isFinite(value) && value > 0)
    ) {
      bad(key, 'a positive number of ms')
    }
    return value as number | undefined
  }
  // Options left out rather than set to undefined (exactOptionalPropertyTypes).
  const defined = <T extends object>(o: { [K in keyof T]: T[K] | undefined }): T =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
  if (kind === 'redis') {
    return {
      store: redisStore(
        defined<RedisStoreOptions>({
          url: text('url'),
          prefix: text('prefix'),
          timeout: ms('timeout'),
        }),
      ),
    }
  }
  if (kind === 'nats') {
    const servers = c['servers']
    if (
      servers !== undefined &&
      typeof servers !== 'string' &&
      !(Array.isArray(servers) && servers.every((s) => typeof s === 'string'))
    ) {
      bad('servers', 'a URL or a list of URLs')
    }
    return {
      store: natsStore(
        defined<NatsStoreOptions>({
          servers: servers as string | string[] | undefined,
          bucket: text('bucket'),
          bucketTtl: ms('bucketTtl'),
          timeout: ms('timeout'),
        }),
      ),
    }
  }
  return bad('backend', "'memory', 'file', 'redis' or 'nats'")
}
