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

// An entry is a hash {v: JSON, r: revision} at <prefix>e:<key>; revisions come from one counter
// (<prefix>rev) so a key deleted and written again never repeats a revision a stale writer holds.
// Check, write and publish run in one script: Redis runs a script atomically.
const SET = `
local cur = tonumber(redis.call('HGET', KEYS[1], 'r') or '0')
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= cur then return {0, cur} end
local rev = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'r', rev)
if ARGV[3] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[3]) else redis.call('PERSIST', KEYS[1]) end
redis.call('PUBLISH', ARGV[5], cjson.encode({k = ARGV[4], r = rev, v = ARGV[1]}))
return {1, rev}`
const DELETE = `
local cur = tonumber(redis.call('HGET', KEYS[1], 'r') or '0')
if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= cur then return {0, cur} end
if cur == 0 then return {1, 0} end
redis.call('DEL', KEYS[1])
local rev = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[3], cjson.encode({k = ARGV[2], r = rev}))
return {1, rev}`

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
  const entryKey = (key: string) => `${prefix}e:${key}`
  const guard = new OutageGuard('redis', options.timeout ?? 2000)
  const connect = () => {
    const made = createClient({
      url,
      // Fail a command at once while disconnected instead of queueing it until reconnect.
      disableOfflineQueue: true,
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
    get: (key) =>
      guard.run(async () => {
        const [v, r] = await client.hmGet(entryKey(key), ['v', 'r'])
        return v === null || v === undefined ? null : { key, value: parse(v), revision: Number(r) }
      }),
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
        const rows = await Promise.all(names.map((name) => client.hmGet(name, ['v', 'r'])))
        const found: StoreEntry[] = []
        rows.forEach(([v, r], i) => {
          if (v === null || v === undefined) return // expired or deleted since the scan
          found.push({
            key: names[i]!.slice(entryKey('').length),
            value: parse(v),
            revision: Number(r),
          })
        })
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
