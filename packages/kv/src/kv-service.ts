import { defineService, PlexusError } from '@plexus/kernel'
import type { KvBackend } from './kv-backend.js'
import { keyOf, prefixOf, revisionOf, storable, ttlOf } from './kv-input.js'
import { watchStream } from './kv-watch.js'
import { localStore } from './local-store.js'
import type { SharedStore, StoreEntry } from './shared-store.js'
import { isRevisionConflict } from './store-errors.js'

/** Options of the kv service: a single-writer `backend` or a `store` several kernels may share. */
export type KvServiceOptions = (
  | {
      /** Single-writer storage (memory, file): this service holds the live map. */ backend: KvBackend
    }
  | {
      /** A shared store (Redis, NATS KV): no authoritative copy in this process. */ store: SharedStore
    }
) & {
  /** Service name (default `kv`). */
  name?: string
  /** Longest key accepted, in characters (default 512). */
  maxKeyLength?: number
  /** Compare-and-set rounds `incr` tries under contention before UNAVAILABLE (default 100). */
  incrAttempts?: number
}

const valueOf = (entry: StoreEntry | null): unknown => entry?.value ?? null

/** One entry as `kv.list` answers it. */
export interface KvEntry {
  key: string
  value: unknown
}

/**
 * The store service: the only owner of persistence. Other services reach it only through its
 * actions: `get`, `getEntry` (value and revision), `set`, `cas` (set only at a revision),
 * `delete`, `list`, `incr`, and the stream `watch`. Every write is atomic in the store, so
 * instances and kernels sharing one store stay correct; `incr` is a compare-and-set loop.
 *
 * @example
 * kernel.add(kvService({ store: redisStore({ url: 'redis://127.0.0.1:6379' }) }))
 * const entry = await kernel.call('kv.getEntry', { key: 'cart/u1' }) // { key, value, revision } | null
 * await kernel.call('kv.cas', { key: 'cart/u1', value: next, ifRevision: entry?.revision ?? 0 })
 */
export function kvService<const N extends string = 'kv'>(options: KvServiceOptions & { name?: N }) {
  const store = 'store' in options ? options.store : localStore(options.backend)
  // Typed as its literal name, so a kernel holding it keeps typed addresses (`kv.get`...).
  const name = (options.name ?? 'kv') as N
  const maxKey = options.maxKeyLength ?? 512
  const attempts = options.incrAttempts ?? 100
  let opened = 0
  const key = (input: unknown) => keyOf(input, maxKey)
  const readValue: (k: string) => Promise<unknown> =
    store.value === undefined ? (k) => store.get(k).then(valueOf) : store.value.bind(store)

  return defineService({
    name,
    actions: {
      // No async wrapper: the store's promise is the answer, one hop less per read.
      get: (_ctx, input: { key: string }): Promise<unknown> => readValue(key(input)),
      getEntry: async (_ctx, input: { key: string }): Promise<StoreEntry | null> =>
        store.get(key(input)),
      set: async (_ctx, input: { key: string; value: unknown; ttl?: number }) => {
        const k = key(input)
        const value = storable(input, k)
        const ttl = ttlOf(input)
        await store.set(k, value, ttl === undefined ? {} : { ttl })
        return value
      },
      cas: async (
        _ctx,
        input: { key: string; value: unknown; ifRevision: number; ttl?: number },
      ): Promise<StoreEntry> => {
        const k = key(input)
        const value = storable(input, k)
        const ifRevision = revisionOf(input)
        if (ifRevision === undefined) {
          throw new PlexusError(
            'VALIDATION',
            `kv.cas '${k}': 'ifRevision' is missing (0 = absent)`,
            {
              data: { key: k },
            },
          )
        }
        const ttl = ttlOf(input)
        const revision = await store.set(k, value, {
          ifRevision,
          ...(ttl === undefined ? {} : { ttl }),
        })
        return { key: k, value, revision }
      },
      delete: async (_ctx, input: { key: string; ifRevision?: number }) => {
        const ifRevision = revisionOf(input)
        return store.delete(key(input), ifRevision === undefined ? {} : { ifRevision })
      },
      list: async (_ctx, input: { prefix?: string; limit?: number } = {}): Promise<KvEntry[]> => {
        const found = await store.list(prefixOf(input, 'kv.list'), input?.limit ?? Infinity)
        return found.map(({ key: k, value }) => ({ key: k, value }))
      },
      incr: {
        // One incr per key at a time in this instance: contention is then only between
        // instances and kernels, so the compare-and-set loop ends in a round or two.
        serializeBy: (input: { key: string }) => input?.key,
        queue: 100_000,
        handler: async (_ctx, input: { key: string; by?: number }) => {
          const k = key(input)
          const by = input.by ?? 1
          if (typeof by !== 'number' || !Number.isSafeInteger(by)) {
            throw new PlexusError(
              'VALIDATION',
              `kv.incr: 'by' must be an integer, got ${String(by)}`,
              {
                data: { field: 'by', value: by },
              },
            )
          }
          for (let round = 0; round < attempts; round++) {
            const entry = await store.get(k)
            const current = entry?.value ?? 0
            if (typeof current !== 'number') {
              throw new PlexusError(
                'VALIDATION',
                `kv.incr: '${k}' holds ${JSON.stringify(current)}, not a number`,
                { data: { key: k, value: current } },
              )
            }
            try {
              await store.set(k, current + by, { ifRevision: entry?.revision ?? 0 })
              return current + by
            } catch (error) {
              if (!isRevisionConflict(error)) throw error
            }
          }
          throw new PlexusError(
            'UNAVAILABLE',
            `kv.incr '${k}': still contended after ${attempts} compare-and-set rounds`,
            { retryable: true, data: { key: k, attempts } },
          )
        },
      },
    },
    streams: {
      watch: (ctx, input: { prefix?: string } = {}) =>
        watchStream(ctx, store, prefixOf(input, 'kv.watch')),
    },
    started: async () => {
      if (opened > 0 && !store.shared) {
        throw new PlexusError(
          'INVALID_DEFINITION',
          `kv: one instance owns the ${store.kind} store; run '${name}' with instances: 1 or use a shared store`,
        )
      }
      if (opened++ === 0) await store.open()
    },
    stopped: async () => {
      if (--opened === 0) await store.close()
    },
  })
}
