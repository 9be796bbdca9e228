/**
 * @plexus/kv — the store service: one service owns persistence, every other service reaches it
 * through its actions. Backends are swappable in configuration without touching callers:
 * single-writer ones (memory, file) and shared stores several kernels may use (Redis, NATS KV).
 *
 * @example
 * import { kvService, fileBackend, redisStore } from '@plexus/kv'
 * kernel.add(kvService({ backend: fileBackend({ dir: '.plexus/data' }) }))
 * // or, shared by every kernel of a deployment:
 * kernel.add(kvService({ store: redisStore({ url: 'redis://127.0.0.1:6379' }) }))
 * await kernel.call('kv.set', { key: 'stock/tea', value: 10 })
 * await kernel.call('kv.incr', { key: 'stock/tea', by: -1 }) // 9
 */

/** The store service and its entry shape. */
export { kvService, type KvServiceOptions, type KvEntry } from './kv-service.js'
/** The single-writer backend seam. */
export type { KvBackend } from './kv-backend.js'
/** The shared-store contract: revisions, compare-and-set, TTL, prefix list, watch. */
export type {
  SharedStore,
  StoreChange,
  StoreEntry,
  StoreWatch,
  WriteOptions,
} from './shared-store.js'
/** A stale compare-and-set's error, how to recognise it, and the store-down error. */
export {
  isRevisionConflict,
  revisionConflict,
  storeUnavailable,
  type RevisionConflictData,
} from './store-errors.js'
/** A backend that keeps nothing beyond the process. */
export { memoryBackend } from './memory-backend.js'
/** An append-only log plus snapshot on disk; survives a restart. */
export { fileBackend, type FileBackendOptions } from './file-backend.js'
/** The shared-store contract over a single-writer backend (what `kvService({ backend })` uses). */
export { localStore } from './local-store.js'
/** A shared store on Redis. */
export { redisStore, type RedisStoreOptions } from './redis-store.js'
/** A shared store on NATS KV (JetStream). */
export { natsStore, type NatsStoreOptions } from './nats-store.js'
/** NATS KV key escaping (reversible, prefix-preserving). */
export { fromNatsKey, toNatsKey } from './nats-key.js'
/** Builds a backend, or a shared store, from configuration data. */
export {
  backendFromConfig,
  kvStoreFromConfig,
  type KvBackendConfig,
  type KvStoreConfig,
} from './kv-config.js'
