/**
 * @plexus/kv — the store service: one service owns persistence, every other service reaches it
 * through its actions. Backends are swappable in configuration without touching callers.
 *
 * @example
 * import { kvService, fileBackend } from '@plexus/kv'
 * kernel.add(kvService({ backend: fileBackend({ dir: '.plexus/data' }) }))
 * await kernel.call('kv.set', { key: 'stock/tea', value: 10 })
 * await kernel.call('kv.incr', { key: 'stock/tea', by: -1 }) // 9
 */

/** The store service and its entry shape. */
export { kvService, type KvServiceOptions, type KvEntry } from './kv-service.js'
/** The backend seam. */
export type { KvBackend } from './kv-backend.js'
/** A backend that keeps nothing beyond the process. */
export { memoryBackend } from './memory-backend.js'
/** An append-only log plus snapshot on disk; survives a restart. */
export { fileBackend, type FileBackendOptions } from './file-backend.js'
/** Builds a backend from configuration data. */
export { backendFromConfig, type KvBackendConfig } from './kv-config.js'
