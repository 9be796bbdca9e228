// Actors over a store several kernels share: a stale activation can never commit.
import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { isPlexusError } from '@plexus/kernel'
import { defineActor, stateKey } from '@plexus/actors'
import { natsStore, redisStore, type KvServiceOptions } from '@plexus/kv'
import { serverSkip, startNatsServer, startRedisServer, until } from '@plexus/testing'
import { actorKernel } from './helpers.js'

const cart = () =>
  defineActor({
    name: 'cart',
    state: () => ({ items: [] as string[] }),
    reminderScan: 50,
    reminders: { expire: (self) => void (self.state.items = []) },
    actions: {
      add: (self, { item }: { id: string; item: string }) => self.state.items.push(item),
      items: (self, _: { id: string }) => self.state.items,
      expireSoon: (self, _: { id: string }) => self.remind('expire', { in: 1000 }),
    },
  })

const stores: {
  name: string
  skip: string | false
  store: (t: TestContext) => Promise<() => KvServiceOptions>
}[] = [
  {
    name: 'Redis',
    skip: serverSkip('redis-server', 'redis-server'),
    store: async (t) => {
      const redis = await startRedisServer(t)
      return () => ({ store: redisStore({ url: redis.url }) })
    },
  },
  {
    name: 'NATS KV',
    skip: serverSkip('nats-server', 'nats-server'),
    store: async (t) => {
      const nats = await startNatsServer(t)
      return () => ({ store: natsStore({ servers: nats.url }) })
    },
  },
]

for (const shared of stores) {
  describe(`virtual actors over one ${shared.name} store`, { skip: shared.skip }, () => {
    it("refuses a stale activation's write with UNAVAILABLE and succeeds on retry with fresh state", async (t) => {
      const store = await shared.store(t)
      const a = await actorKernel(t, store(), cart())
      const b = await actorKernel(t, store(), cart())
      assert.equal(await a.call('cart.add', { id: 'u1', item: 'tea' }), 1) // active on a
      assert.equal(await b.call('cart.add', { id: 'u1', item: 'jam' }), 2) // b commits after it
      const stale = await a.call('cart.add', { id: 'u1', item: 'lost' }).catch((e: unknown) => e)
      assert.ok(isPlexusError(stale), `expected a PlexusError, got ${String(stale)}`)
      assert.equal(stale.code, 'UNAVAILABLE')
      assert.equal(stale.retryable, true)
      assert.match(stale.message, /'cart\/u1': its state was committed elsewhere/)
      assert.equal(await a.call('cart.add', { id: 'u1', item: 'butter' }), 3) // retried, reloaded
      assert.deepEqual(await b.call('kv.get', { key: stateKey('cart', 'u1') }), {
        items: ['tea', 'jam', 'butter'],
      })
    })

    it('keeps state across a kernel restart and fires a reminder set before it', async (t) => {
      const store = await shared.store(t)
      const first = await actorKernel(t, store(), cart())
      await first.call('cart.add', { id: 'u2', item: 'tea' })
      await first.call('cart.expireSoon', { id: 'u2' })
      await first.stop()
      // Between the two kernels: the state is stored and the reminder has not fired yet.
      const between = await actorKernel(t, store())
      assert.deepEqual(await between.call('kv.get', { key: stateKey('cart', 'u2') }), {
        items: ['tea'],
      })
      const pending = (await between.call('kv.list', {
        prefix: 'actor-reminder/cart/',
      })) as unknown[]
      assert.equal(pending.length, 1)
      await between.stop()
      const second = await actorKernel(t, store(), cart())
      await until('the expire reminder to empty the cart', async () =>
        ((await second.call('cart.items', { id: 'u2' })) as string[]).length === 0
          ? true
          : undefined,
      )
    })
  })
}

const outages = [
  {
    name: 'Redis',
    skip: serverSkip('redis-server', 'redis-server'),
    start: async (t: TestContext) => {
      const server = await startRedisServer(t)
      return { server, options: { store: redisStore({ url: server.url }) } }
    },
  },
  {
    name: 'NATS KV',
    skip: serverSkip('nats-server', 'nats-server'),
    start: async (t: TestContext) => {
      const server = await startNatsServer(t)
      return { server, options: { store: natsStore({ servers: server.url }) } }
    },
  },
]

for (const outage of outages) {
  describe(`virtual actors while the ${outage.name} store is down`, { skip: outage.skip }, () => {
    it('end a turn UNAVAILABLE within its deadline, and work again once the store is back', async (t) => {
      const { server, options } = await outage.start(t)
      const kernel = await actorKernel(t, options, cart())
      assert.equal(await kernel.call('cart.add', { id: 'u3', item: 'tea' }), 1)
      await server.stop()
      const began = Date.now()
      const down = await kernel
        .call('cart.add', { id: 'u3', item: 'jam' }, { deadline: 10_000 })
        .catch((e: unknown) => e)
      assert.ok(isPlexusError(down), `expected a PlexusError, got ${String(down)}`)
      assert.equal(down.code, 'UNAVAILABLE')
      assert.equal(down.retryable, true)
      assert.ok(Date.now() - began < 10_000, 'answered before the deadline')
      await server.start()
      const items = await until('an actor turn to commit again', async () => {
        try {
          await kernel.call('cart.add', { id: 'u3', item: 'butter' })
          return (await kernel.call('cart.items', { id: 'u3' })) as string[]
        } catch {
          return undefined
        }
      })
      // The unsaved 'jam' turn is gone; what the store kept across its restart is reloaded.
      assert.equal(items.includes('jam'), false)
      assert.equal(items.at(-1), 'butter')
    })
  })
}
