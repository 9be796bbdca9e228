import { Kvm, type KV } from '@nats-io/kv'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { PlexusError } from '@plexus/kernel'
import { fromNatsKey, toNatsKey } from './nats-key.js'
import { OutageGuard } from './outage-guard.js'
import type { SharedStore, StoreEntry, StoreWatch } from './shared-store.js'
import { revisionConflict, storeUnavailable } from './store-errors.js'

/** Options of the NATS KV store. */
export interface NatsStoreOptions {
  /** NATS server URLs (default `nats://127.0.0.1:4222`). */
  servers?: string | string[]
  /** The KV bucket (default `plexus_kv`); created when missing. */
  bucket?: string
  /** Bucket-wide TTL in ms (every key expires this long after its last write); 2.9 has no per-key TTL. */
  bucketTtl?: number
  /** Copies of a bucket created here, on a NATS cluster (default 1; 3 keeps acknowledged writes when a server dies). */
  replicas?: number
  /** A call unanswered after this many ms fails UNAVAILABLE (default 2000). */
  timeout?: number
  /** How long `open` waits for the first connection before failing UNAVAILABLE (default 5000). */
  connectTimeout?: number
}

// JetStream's "wrong last sequence" (JSStreamWrongLastSequenceErrF): the revision moved on.
const WRONG_LAST_SEQUENCE = 10071
// Per-key TTL (ADR-48) arrived in nats-server 2.11; 2.9 accepts the header and ignores it.
const PER_KEY_TTL = '2.11'

/**
 * A shared store on NATS KV (JetStream, nats-server 2.9+): compare-and-set by revision
 * (`create` / `update` / `delete` with previousSeq), watch by a KV watcher, bucket TTL only.
 * Per-key TTL is refused (it needs nats-server 2.11); `list` reads every key (O(keys)); a TTL
 * expiry is not announced to watchers before 2.11.
 */
export function natsStore(options: NatsStoreOptions = {}): SharedStore {
  const servers = options.servers ?? 'nats://127.0.0.1:4222'
  const guard = new OutageGuard('nats', options.timeout ?? 2000)
  let nc: NatsConnection | undefined
  let kv: KV | undefined
  let version = '0.0.0'

  const bucket = (): KV => {
    if (kv === undefined) throw storeUnavailable('nats', 'the store is not open')
    return kv
  }
  const conflictOr = (error: unknown, key: string, expected: number): never => {
    const e = error as { code?: number; message?: string }
    if (e.code === WRONG_LAST_SEQUENCE || /wrong last sequence/.test(e.message ?? '')) {
      const actual = /wrong last sequence: (\d+)/.exec(e.message ?? '')?.[1]
      throw revisionConflict(key, expected, actual === undefined ? undefined : Number(actual))
    }
    throw error
  }
  const read = async (key: string): Promise<StoreEntry | null> => {
    const entry = await bucket().get(toNatsKey(key))
    if (entry === null || entry.operation !== 'PUT') return null
    return { key, value: JSON.parse(entry.string()), revision: entry.revision }
  }

  return {
    kind: 'nats',
    shared: true,
    async open() {
      if (nc !== undefined) return
      try {
        nc = await connect({
          servers,
          // Every get is a JetStream request, for which nats.js otherwise builds two Errors
          // (stack traces); its failures become typed UNAVAILABLE errors anyway.
          noAsyncTraces: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 250,
          timeout: options.connectTimeout ?? 5000,
        })
      } catch (error) {
        throw storeUnavailable('nats', `cannot connect to ${String(servers)}`, error)
      }
      version = nc.info?.version ?? version
      const conn = nc
      void (async () => {
        for await (const status of conn.status()) {
          if (status.type === 'disconnect') guard.lost('connection lost, reconnecting')
          else if (status.type === 'reconnect') guard.up()
        }
      })()
      const name = options.bucket ?? 'plexus_kv'
      try {
        kv = await new Kvm(conn).create(name, {
          history: 1,
          ...(options.replicas === undefined ? {} : { replicas: options.replicas }),
          ...(options.bucketTtl === undefined ? {} : { ttl: options.bucketTtl }),
        })
      } catch (error) {
        // Closed again, so a later open starts over instead of finding a half-open store.
        nc = undefined
        await conn.close()
        throw storeUnavailable(
          'nats',
          `cannot open KV bucket '${name}' (is JetStream enabled?)`,
          error,
        )
      }
      guard.up()
    },
    get: (key) => guard.run(() => read(key)),
    set: (key, value, write) => {
      if (write?.ttl !== undefined) {
        const why = atLeast(version, PER_KEY_TTL)
          ? `this store does not implement per-key TTL yet (server ${version})`
          : `a per-key TTL needs nats-server ${PER_KEY_TTL} or newer (this server is ${version})`
        return Promise.reject(
          new PlexusError(
            'INVALID_ARGUMENT',
            `kv nats store: ${why}; set a bucket TTL (natsStore({ bucketTtl })) or use the Redis store`,
            { data: { key, ttl: write.ttl, serverVersion: version, needs: PER_KEY_TTL } },
          ),
        )
      }
      return guard.run(async () => {
        const data = JSON.stringify(value)
        const k = toNatsKey(key)
        const expected = write?.ifRevision
        if (expected === undefined) return bucket().put(k, data)
        try {
          return expected === 0
            ? await bucket().create(k, data)
            : await bucket().update(k, data, expected)
        } catch (error) {
          return conflictOr(error, key, expected)
        }
      })
    },
    delete: (key, write) =>
      guard.run(async () => {
        const expected = write?.ifRevision
        const current = await read(key)
        if (expected === undefined || expected === 0) {
          if (expected === 0 && current !== null) throw revisionConflict(key, 0, current.revision)
          if (current === null) return false
          await bucket().delete(toNatsKey(key))
          return true
        }
        try {
          await bucket().delete(toNatsKey(key), { previousSeq: expected })
        } catch (error) {
          conflictOr(error, key, expected)
        }
        return current !== null
      }),
    list: (prefix, limit = Infinity) =>
      guard.run(async () => {
        const keys: string[] = []
        for await (const k of await bucket().keys()) {
          const key = fromNatsKey(k)
          if (key.startsWith(prefix)) keys.push(key)
        }
        keys.sort()
        const found: StoreEntry[] = []
        for (const key of keys) {
          if (found.length >= limit) break
          const entry = await read(key)
          if (entry !== null) found.push(entry)
        }
        return found
      }),
    async watch(prefix, onChange): Promise<StoreWatch> {
      const updates = await guard.run(() => bucket().watch({ key: '>', include: 'updates' }))
      void (async () => {
        for await (const e of updates) {
          const key = fromNatsKey(e.key)
          if (!key.startsWith(prefix)) continue
          if (e.operation === 'PUT') {
            onChange({ key, value: JSON.parse(e.string()), revision: e.revision, op: 'set' })
          } else onChange({ key, revision: e.revision, op: 'delete' })
        }
      })()
      return { stop: async () => updates.stop() }
    },
    async close() {
      const conn = nc
      nc = undefined
      kv = undefined
      await conn?.close()
    },
  }
}

function atLeast(version: string, wanted: string): boolean {
  const have = version.split('.').map(Number)
  const want = wanted.split('.').map(Number)
  for (let i = 0; i < want.length; i++) {
    const h = have[i] ?? 0
    const w = want[i] ?? 0
    if (h !== w) return h > w
  }
  return true
}
