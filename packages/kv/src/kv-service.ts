import { defineService, PlexusError } from '@plexus/kernel'
import type { KvBackend } from './kv-backend.js'

/** Options of the kv service. */
export interface KvServiceOptions {
  /** Where entries are kept. */
  backend: KvBackend
  /** Service name (default `kv`). */
  name?: string
  /** Longest key accepted, in characters (default 512). */
  maxKeyLength?: number
}

/** One entry as `kv.list` answers it. */
export interface KvEntry {
  key: string
  value: unknown
}

/**
 * The store service: the only owner of persistence. Other services reach it only through its
 * actions (`kv.get`, `kv.set`, `kv.delete`, `kv.list`, `kv.incr`). One message at a time (a
 * mailbox of concurrency 1), so `incr` and read-then-write sequences are atomic and every change
 * is persisted before the next message runs.
 *
 * @example
 * kernel.add(kvService({ backend: fileBackend({ dir: '.plexus/data' }) }))
 * await kernel.call('kv.incr', { key: 'visits' }) // 1
 */
export function kvService(options: KvServiceOptions) {
  const { backend } = options
  const maxKey = options.maxKeyLength ?? 512
  const entries = new Map<string, unknown>()
  let open = false

  const key = (input: unknown, field = 'key'): string => {
    const value = (input as Record<string, unknown> | null | undefined)?.[field]
    if (typeof value !== 'string' || value.length === 0 || value.length > maxKey) {
      throw new PlexusError(
        'VALIDATION',
        `kv: '${field}' must be a non-empty string of at most ${maxKey} characters, got ${JSON.stringify(value)}`,
        { data: { field, value } },
      )
    }
    return value
  }
  const put = async (k: string, value: unknown): Promise<void> => {
    // Persist first: an answer means the change is in the backend.
    await backend.write(k, value)
    if (value === undefined) entries.delete(k)
    else entries.set(k, value)
  }

  return defineService({
    name: options.name ?? 'kv',
    concurrency: 1,
    queue: 10_000,
    actions: {
      get: (_ctx, input: { key: string }) => entries.get(key(input)) ?? null,
      set: async (_ctx, input: { key: string; value: unknown }) => {
        const k = key(input)
        const value = storable(input.value, k)
        await put(k, value)
        return value
      },
      delete: async (_ctx, input: { key: string }) => {
        const k = key(input)
        if (!entries.has(k)) return false
        await put(k, undefined)
        return true
      },
      list: (_ctx, input: { prefix?: string; limit?: number } = {}) => {
        const prefix = input?.prefix ?? ''
        if (typeof prefix !== 'string') {
          throw new PlexusError('VALIDATION', `kv.list: 'prefix' must be a string`, {
            data: { field: 'prefix', value: prefix },
          })
        }
        const limit = input?.limit ?? Infinity
        const found: KvEntry[] = []
        for (const [k, value] of entries) if (k.startsWith(prefix)) found.push({ key: k, value })
        found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        return found.slice(0, limit)
      },
      incr: async (_ctx, input: { key: string; by?: number }) => {
        const k = key(input)
        const by = input.by ?? 1
        const current = entries.get(k) ?? 0
        if (typeof by !== 'number' || !Number.isSafeInteger(by)) {
          throw new PlexusError(
            'VALIDATION',
            `kv.incr: 'by' must be an integer, got ${String(by)}`,
            {
              data: { field: 'by', value: by },
            },
          )
        }
        if (typeof current !== 'number') {
          throw new PlexusError(
            'VALIDATION',
            `kv.incr: '${k}' holds ${JSON.stringify(current)}, not a number`,
            { data: { key: k, value: current } },
          )
        }
        const next = current + by
        await put(k, next)
        return next
      },
    },
    started: async () => {
      if (open) {
        throw new PlexusError(
          'INVALID_DEFINITION',
          `kv: one instance owns the store; run '${options.name ?? 'kv'}' with instances: 1`,
        )
      }
      open = true
      entries.clear()
      for (const [k, value] of await backend.load()) entries.set(k, value)
    },
    stopped: async () => {
      open = false
      await backend.close()
    },
  })
}

// Values must survive the file backend unchanged, so only plain JSON is accepted.
function storable(value: unknown, key: string): unknown {
  if (value === undefined) {
    throw new PlexusError('VALIDATION', `kv.set '${key}': 'value' is missing (use kv.delete)`, {
      data: { key },
    })
  }
  try {
    return JSON.parse(JSON.stringify(value))
  } catch (error) {
    throw new PlexusError('VALIDATION', `kv.set '${key}': value is not JSON-serialisable`, {
      data: { key },
      cause: error,
    })
  }
}
