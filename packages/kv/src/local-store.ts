import type { KvBackend } from './kv-backend.js'
import type { SharedStore, StoreChange, StoreEntry, WriteOptions } from './shared-store.js'
import { revisionConflict } from './store-errors.js'

interface Held {
  value: unknown
  revision: number
  expires: number | undefined
}

// A TTL entry is persisted wrapped, so it still expires after a restart; the marker names are
// unlikely in user data and only read back by this module.
const EXPIRES = 'plexus:expires'
const VALUE = 'plexus:value'

/**
 * The shared-store contract over a single-writer backend (memory, file): this process holds the
 * live map and is the only writer, so compare-and-set is a check in the map. Revisions restart
 * above the number of entries after a reload (no activation outlives its kernel anyway).
 */
export function localStore(backend: KvBackend, now: () => number = Date.now): SharedStore {
  const entries = new Map<string, Held>()
  const watchers = new Set<{ prefix: string; onChange: (change: StoreChange) => void }>()
  let revision = 0
  // Persist in call order: the file backend appends, so writes must not interleave.
  let tail: Promise<void> = Promise.resolve()

  const live = (key: string): Held | undefined => {
    const held = entries.get(key)
    if (held?.expires !== undefined && held.expires <= now()) {
      entries.delete(key)
      persist(key, undefined).catch(() => {}) // the next write or load drops it anyway
      return undefined
    }
    return held
  }
  const persist = (key: string, value: unknown): Promise<void> => {
    const done = tail.then(() => backend.write(key, value))
    tail = done.catch(() => {}) // one failed write must not fail every later one
    return done
  }
  const check = (key: string, options: WriteOptions | undefined): void => {
    const expected = options?.ifRevision
    const actual = live(key)?.revision ?? 0
    if (expected !== undefined && expected !== actual) {
      throw revisionConflict(key, expected, actual)
    }
  }
  const notify = (change: StoreChange): void => {
    for (const w of watchers) if (change.key.startsWith(w.prefix)) w.onChange(change)
  }

  return {
    kind: backend.kind,
    shared: false,
    async open() {
      entries.clear()
      revision = 0
      for (const [key, stored] of await backend.load()) {
        const wrapped = stored as Record<string, unknown> | null
        const expires =
          typeof wrapped === 'object' && wrapped !== null && EXPIRES in wrapped
            ? (wrapped[EXPIRES] as number)
            : undefined
        const value = expires === undefined ? stored : (wrapped as Record<string, unknown>)[VALUE]
        entries.set(key, { value, revision: ++revision, expires })
      }
    },
    async get(key) {
      const held = live(key)
      // A copy, as a networked store would hand back: a caller mutating it (an actor's state)
      // must not change the stored value behind the compare-and-set.
      return held === undefined
        ? null
        : { key, value: structuredClone(held.value), revision: held.revision }
    },
    async set(key, value, options) {
      check(key, options)
      const expires = options?.ttl === undefined ? undefined : now() + options.ttl
      const held: Held = { value, revision: ++revision, expires }
      const before = entries.get(key)
      entries.set(key, held)
      try {
        await persist(key, expires === undefined ? value : { [EXPIRES]: expires, [VALUE]: value })
      } catch (error) {
        // Not persisted: undo, unless a later write has replaced it meanwhile.
        if (entries.get(key) === held) {
          if (before === undefined) entries.delete(key)
          else entries.set(key, before)
        }
        throw error
      }
      notify({ key, value, revision: held.revision, op: 'set' })
      return held.revision
    },
    async delete(key, options) {
      check(key, options)
      if (live(key) === undefined) return false
      entries.delete(key)
      notify({ key, revision: ++revision, op: 'delete' })
      await persist(key, undefined)
      return true
    },
    async list(prefix, limit = Infinity) {
      const found: StoreEntry[] = []
      for (const key of [...entries.keys()]) {
        const held = key.startsWith(prefix) ? live(key) : undefined
        if (held !== undefined) {
          found.push({ key, value: structuredClone(held.value), revision: held.revision })
        }
      }
      found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      return found.slice(0, limit)
    },
    async watch(prefix, onChange) {
      const watcher = { prefix, onChange }
      watchers.add(watcher)
      return { stop: async () => void watchers.delete(watcher) }
    },
    async close() {
      watchers.clear()
      await tail
      await backend.close()
    },
  }
}
