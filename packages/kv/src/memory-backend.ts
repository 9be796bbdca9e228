import type { KvBackend } from './kv-backend.js'

/** Keeps nothing beyond the process: the kv service's own map is the store. */
export function memoryBackend(initial: Iterable<readonly [string, unknown]> = []): KvBackend {
  const seed = [...initial]
  return {
    kind: 'memory',
    load: async () => seed,
    write: async () => {},
    close: async () => {},
  }
}
