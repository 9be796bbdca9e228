// Several kernels over one Redis or one NATS KV: the guarantees a shared store adds.
import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { createKernel, isPlexusError, silentLogger, type Kernel } from '@plexus/kernel'
import {
  isRevisionConflict,
  kvService,
  natsStore,
  redisStore,
  type StoreChange,
  type StoreEntry,
} from '@plexus/kv'
import {
  serverSkip,
  startLocalServer,
  startNatsServer,
  startRedisServer,
  until,
  type LocalServer,
} from '@plexus/testing'
import { kvKernel, liveWatch, type StoreSource } from './conformance.js'

interface Shared {
  name: string
  skip: string | false
  server: (t: TestContext) => Promise<LocalServer & { url: string }>
  source: (url: string) => StoreSource
}

const stores: Shared[] = [
  {
    name: 'Redis',
    skip: serverSkip('redis-server', 'redis-server'),
    server: startRedisServer,
    source: (url) => ({ store: redisStore({ url }) }),
  },
  {
    name: 'NATS KV',
    skip: serverSkip('nats-server', 'nats-server'),
    server: startNatsServer,
    source: (url) => ({ store: natsStore({ servers: url }) }),
  },
]

async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call
    return 'ok'
  } catch (error) {
    return isPlexusError(error) ? error.code : `not a PlexusError: ${String(error)}`
  }
}

for (const shared of stores) {
  describe(`two kernels sharing one ${shared.name} store`, { skip: shared.skip }, () => {
    const pair = async (t: TestContext): Promise<[Kernel, Kernel, LocalServer]> => {
      const server = await shared.server(t)
      return [
        await kvKernel(t, shared.source(server.url)),
        await kvKernel(t, shared.source(server.url)),
        server,
      ]
    }

    it('2 kernels × 500 concurrent incr give exactly 1,000', async (t) => {
      const [a, b] = await pair(t)
      const calls = [a, b].flatMap((kernel) =>
        Array.from({ length: 500 }, () =>
          kernel.call('kv.incr', { key: 'hits' }, { deadline: 60_000 }),
        ),
      )
      const results = (await Promise.all(calls)) as number[]
      assert.equal(await a.call('kv.get', { key: 'hits' }), 1000)
      assert.equal(await b.call('kv.get', { key: 'hits' }), 1000)
      assert.equal(new Set(results).size, 1000, 'every incr saw a distinct value')
    })

    it("refuses a compare-and-set made stale by the other kernel's write", async (t) => {
      const [a, b] = await pair(t)
      await a.call('kv.set', { key: 'cart/u1', value: { items: [] } })
      const read = (await a.call('kv.getEntry', { key: 'cart/u1' })) as StoreEntry
      const won = (await b.call('kv.cas', {
        key: 'cart/u1',
        value: { items: ['tea'] },
        ifRevision: read.revision,
      })) as StoreEntry
      const stale = await a
        .call('kv.cas', { key: 'cart/u1', value: { items: ['jam'] }, ifRevision: read.revision })
        .catch((e: unknown) => e)
      assert.ok(isRevisionConflict(stale), `expected a revision conflict, got ${String(stale)}`)
      assert.deepEqual(await a.call('kv.getEntry', { key: 'cart/u1' }), won)
    })

    it("shows one kernel's watch the other kernel's writes", async (t) => {
      const [a, b] = await pair(t)
      const changes = await liveWatch(a, 'orders/')
      await b.call('kv.set', { key: 'orders/7', value: { total: 12 } })
      const seen = (await changes.next()).value as StoreChange
      await changes.return?.()
      assert.deepEqual(
        { key: seen.key, value: seen.value, op: seen.op },
        { key: 'orders/7', value: { total: 12 }, op: 'set' },
      )
    })

    it('keeps a watch running across a server restart: writes after it are seen', async (t) => {
      const [a, b, server] = await pair(t)
      const changes = await liveWatch(a, 'after/')
      await server.stop()
      await server.start()
      let seen: StoreChange | undefined
      const next = changes.next().then((r) => (seen = r.value as StoreChange))
      await until('the watch to see a write made after the restart', async () => {
        await outcome(b.call('kv.set', { key: 'after/restart', value: 1 }))
        return seen
      })
      await next
      await changes.return?.()
      assert.equal(seen?.key, 'after/restart')
    })

    it('ends calls UNAVAILABLE within their deadline while the server is down, and recovers when it is back', async (t) => {
      const [a, b, server] = await pair(t)
      await a.call('kv.set', { key: 'k', value: 1 })
      const inFlight = Array.from({ length: 50 }, (_, i) =>
        outcome(a.call('kv.incr', { key: `n${i % 5}` }, { deadline: 10_000 })),
      )
      await server.stop()
      const settled = await Promise.all(inFlight)
      assert.deepEqual(
        settled.filter((o) => o !== 'ok' && o !== 'UNAVAILABLE'),
        [],
        'only ok or UNAVAILABLE',
      )
      // Down: every call ends UNAVAILABLE (retryable) well before its deadline, none hangs.
      for (const kernel of [a, b]) {
        const began = Date.now()
        const error = await kernel
          .call('kv.get', { key: 'k' }, { deadline: 10_000 })
          .catch((e: unknown) => e)
        assert.ok(isPlexusError(error), `expected a PlexusError, got ${String(error)}`)
        assert.equal(error.code, 'UNAVAILABLE')
        assert.equal(error.retryable, true)
        assert.ok(Date.now() - began < 10_000, 'answered before the deadline')
        assert.equal(
          await outcome(
            kernel.call('kv.cas', { key: 'k', value: 2, ifRevision: 0 }, { deadline: 10_000 }),
          ),
          'UNAVAILABLE',
        )
      }
      await server.start()
      for (const kernel of [a, b]) {
        await until(`${shared.name} calls to succeed again`, async () =>
          (await outcome(kernel.call('kv.set', { key: 'back', value: true }))) === 'ok'
            ? true
            : undefined,
        )
      }
      assert.equal(await b.call('kv.incr', { key: 'after' }), 1)
      assert.equal(await a.call('kv.incr', { key: 'after' }), 2)
    })
  })
}

describe('NATS KV bucket TTL', { skip: serverSkip('nats-server', 'nats-server') }, () => {
  it('forgets every entry of a bucket with a TTL once it has passed', async (t) => {
    const nats = await startNatsServer(t)
    const kv = await kvKernel(t, {
      store: natsStore({ servers: nats.url, bucket: 'short', bucketTtl: 500 }),
    })
    await kv.call('kv.set', { key: 'lease/node-1', value: { at: 1 } })
    assert.deepEqual(await kv.call('kv.get', { key: 'lease/node-1' }), { at: 1 })
    await until('the bucket TTL to expire the entry', async () =>
      (await kv.call('kv.get', { key: 'lease/node-1' })) === null ? true : undefined,
    )
    // Gone means absent: compare-and-set at revision 0 takes it again.
    const taken = (await kv.call('kv.cas', {
      key: 'lease/node-1',
      value: { at: 2 },
      ifRevision: 0,
    })) as StoreEntry
    assert.deepEqual(taken.value, { at: 2 })
  })
})

describe('kv store start', () => {
  it(
    'fails UNAVAILABLE naming the cause when nats-server runs without JetStream',
    { skip: serverSkip('nats-server', 'nats-server') },
    async (t) => {
      const plain = await startLocalServer(t, 'nats-server', (port) => [
        '-a',
        '127.0.0.1',
        '-p',
        String(port),
      ])
      const kernel = createKernel({ logger: silentLogger }).add(
        kvService({ store: natsStore({ servers: `nats://127.0.0.1:${plain.port}` }) }),
      )
      await assert.rejects(
        kernel.start(),
        /kv nats store is unavailable: cannot open KV bucket 'plexus_kv' \(is JetStream enabled\?\)/,
      )
      await kernel.stop().catch(() => {})
    },
  )

  it(
    'fails UNAVAILABLE when no Redis answers at the URL',
    { skip: serverSkip('redis-server', 'redis-server') },
    async (t) => {
      const redis = await startRedisServer(t)
      await redis.stop()
      const kernel = createKernel({ logger: silentLogger }).add(
        kvService({ store: redisStore({ url: redis.url, connectTimeout: 1000 }) }),
      )
      await assert.rejects(
        kernel.start(),
        /kv redis store is unavailable: cannot connect to redis:\/\/127\.0\.0\.1:\d+/,
      )
      await kernel.stop().catch(() => {})
    },
  )
})
