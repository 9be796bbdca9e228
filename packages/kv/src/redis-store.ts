import { createClient } from 'redis'
import { OutageGuard } from './outage-guard.js'
import type { SharedStore, StoreChange, StoreEntry, StoreWatch } from './shared-store.js'
import { revisionConflict, storeUnavailable } from './store-errors.js'

/** Options of the Redis store. */
export interface RedisStoreOptions {
  /** `redis://host:port` (default `redis://127.0.0.1:6379`). */
  url?: string
  /** Prefix of every Redis key this store uses (default `plexus:kv:`); one per kv service. */
  prefix?: string
  /** A call unanswered after this many ms fails UNAVAILABLE (default 2000). */
  timeout?: number
  /** How long `open` waits for the first connection before failing UNAVAILABLE (default 5000). */
  connectTimeout?: number
}

// An entry is one string `<revision>:<JSON>` at <prefix>s:<key>, so a get is one GET and one
// parse; revisions come from one counter (<prefix>rev) so a key deleted and written again never
// repeats a revision a stale writer holds. Check, write and publish run in one script (Redis
// runs a script atomically); the script reads only the entry's head (GETRANGE), never the value.
const REVISION = `
local function revision(key)
  local head = redis.call('GETRANGE', key, 0, 20)
  if head == '' then return 0 end
  return tonumber(string.sub(head, 1, string.find(head, ':', 1, true) - 1))
end`
const SET = `${REVISION}
local cur = revision(KEYS[1])
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= cur then return {0, cur} end
local rev = redis.call('INCR', KEYS[2])
local entry = string.format('%d', rev) .. ':' .. ARGV[1]
if ARGV[3] ~= '' then redis.call('SET', KEYS[1], entry, 'PX', ARGV[3]) else redis.call('SET', KEYS[1], entry) end
redis.call('PUBLISH', ARGV[5], cjson.encode({k = ARGV[4], r = rev, v = ARGV[1]}))
return {1, rev}`
const DELETE = `${REVISION}
local cur = revision(KEYS[1])
if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= cur then return {0, cur} end
if cur == 0 then return {1, 0} end
redis.call('DEL', KEYS[1])
local rev = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[3], cjson.encode({k = ARGV[2], r = rev}))
return {1, rev}`

/** An entry as stored (`<revision>:<JSON>`) as a store entry; null when absent. */
function decode(raw: string | null | undefined, key: string): StoreEntry | null {
  if (raw === null || raw === undefined) return null
  const colon = raw.indexOf(':')
  return { key, value: JSON.parse(raw.slice(colon + 1)), revision: Number(raw.slice(0, colon)) }
}

/** The value alone of an entry as stored; null when absent. */
function decodeValue(raw: string | null | undefined): unknown {
  return raw === null || raw === undefined ? null : JSON.parse(raw.slice(raw.indexOf(':') + 1))
}

/**
 * A shared store on Redis (node-redis): compare-and-set and TTL by Lua script, watch by
 * pub/sub on one channel per prefix. Several kernels may share it. A TTL expiry is not announced
 * to watchers (Redis keyspace notifications are off by default); `list` scans (O(keys)).
 */
export function redisStore(options: RedisStoreOptions = {}): SharedStore {
  const url = options.url ?? 'redis://127.0.0.1:6379'
  const prefix = options.prefix ?? 'plexus:kv:'
  const revKey = `${prefix}rev`
  const channel = `${prefix}changes`
  const entryKey = (key: string) => `${prefix}s:${key}`
  const guard = new OutageGuard('redis', options.timeout ?? 2000)
  const connect = () => {
    const made = createClient({
      url,
      // Fail a command at once while disconnected instead of queueing it until reconnect.
      disableOfflineQueue: true,
      // No per-command timer (node-redis arms an AbortSignal.timeout per command by default,
      // ~4 µs of a GET's CPU): the guard's one sweep fails unanswered calls. The queue is bounded
      // instead, so commands a hung server never answers cannot pile up until the reconnect.
      commandOptions: { timeout: 0 },
      commandsQueueMaxLength: 100_000,
      socket: {
        connectTimeout: options.connectTimeout ?? 5000,
        reconnectStrategy: (n: number) => Math.min(50 * 2 ** n, 1000),
      },
    })
    made.on('error', (error: Error) => guard.lost(error.message))
    made.on('reconnecting', () => guard.lost('connection lost, reconnecting'))
    made.on('end', () => guard.lost('connection closed'))
    made.on('ready', () => guard.up())
    return made
  }
  // A fresh client per open: a kv service stopped and started again reconnects cleanly.
  let client = connect()
  const subscribers = new Set<{ destroy(): void }>()

  const read = (key: string) => client.get(entryKey(key))
  const parse = (raw: string | null | undefined): unknown =>
    raw === null || raw === undefined ? undefined : JSON.parse(raw)

  return {
    kind: 'redis',
    shared: true,
    async open() {
      if (client.isOpen) return
      client = connect()
      try {
        await Promise.race([
          client.connect(),
          new Promise((_, reject) =>
            setTimeout(
              () => reject(new Error(`no connection to ${url}`)),
              options.connectTimeout ?? 5000,
            ),
          ),
        ])
      } catch (error) {
        client.destroy()
        throw storeUnavailable(
          'redis',
          `cannot connect to ${url} (${(error as Error).message})`,
          error,
        )
      }
      guard.up()
    },
    get: (key) => guard.map(read, key, decode),
    value: (key) => guard.map(read, key, decodeValue),
    set: (key, value, write) =>
      guard.run(async () => {
        const args = [
          JSON.stringify(value),
          write?.ifRevision === undefined ? '' : String(write.ifRevision),
          write?.ttl === undefined ? '' : String(Math.max(1, Math.ceil(write.ttl))),
          key,
          channel,
        ]
        const [ok, rev] = (await client.eval(SET, {
          keys: [entryKey(key), revKey],
          arguments: args,
        })) as [number, number]
        if (ok === 0) throw revisionConflict(key, write?.ifRevision ?? 0, rev)
        return rev
      }),
    delete: (key, write) =>
      guard.run(async () => {
        const expected = write?.ifRevision === undefined ? '' : String(write.ifRevision)
        const [ok, rev] = (await client.eval(DELETE, {
          keys: [entryKey(key), revKey],
          arguments: [expected, key, channel],
        })) as [number, number]
        if (ok === 0) throw revisionConflict(key, write?.ifRevision ?? 0, rev)
        return rev !== 0
      }),
    list: (keyPrefix, limit = Infinity) =>
      guard.run(async () => {
        const names: string[] = []
        const match = `${entryKey(globEscape(keyPrefix))}*`
        for await (const batch of client.scanIterator({ MATCH: match, COUNT: 1000 })) {
          names.push(...batch)
        }
        const found: StoreEntry[] = []
        const skip = entryKey('').length
        for (let i = 0; i < names.length; i += 1000) {
          const batch = names.slice(i, i + 1000)
          const rows = await client.mGet(batch)
          rows.forEach((raw, j) => {
            // null: expired or deleted since the scan
            const entry = decode(raw, batch[j]!.slice(skip))
            if (entry !== null) found.push(entry)
          })
        }
        found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        return found.slice(0, limit)
      }),
    async watch(keyPrefix, onChange): Promise<StoreWatch> {
      const subscriber = client.duplicate()
      subscriber.on('error', () => {}) // the main client reports outages; this one reconnects
      await guard.run(() => subscriber.connect())
      subscribers.add(subscriber)
      await guard.run(() =>
        subscriber.subscribe(channel, (message) => {
          const m = JSON.parse(message) as { k: string; r: number; v?: string }
          if (!m.k.startsWith(keyPrefix)) return
          const change: StoreChange =
            m.v === undefined
              ? { key: m.k, revision: m.r, op: 'delete' }
              : { key: m.k, value: parse(m.v), revision: m.r, op: 'set' }
          onChange(change)
        }),
      )
      return {
        stop: async () => {
          if (!subscribers.delete(subscriber)) return
          subscriber.destroy()
        },
      }
    },
    async close() {
      for (const subscriber of subscribers) subscriber.destroy()
      subscribers.clear()
      if (client.isOpen) await client.close().catch(() => client.destroy())
    },
  }
}

// SCAN MATCH is a glob: a key prefix with * ? [ ] or \ must match only itself.
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`)
}
