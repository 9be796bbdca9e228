// Two shops (two kernels, each started by `plexus start`) over one real redis-server: the stock is
// in the shared store, so orders and checkouts racing on both gateways for the same items never
// oversell — each reservation is a compare-and-set on the stock entry's revision.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { serverSkip, startRedisServer } from '@plexus/testing'
import { startShop, type Shop } from './running-shop.js'

describe(
  'two shops sharing one Redis store',
  { skip: serverSkip('redis-server', 'redis-server'), timeout: 240_000 },
  () => {
    it('sell the last items of stock once: 40 orders over both gateways for 5 items place exactly 5; two checkouts for the last item, one', async (t) => {
      const redis = await startRedisServer(t)
      const env = {
        PLEXUS_SERVICES__KV__CONFIG__BACKEND: 'redis',
        PLEXUS_SERVICES__KV__CONFIG__URL: redis.url,
        // Two whole shops at once: inline placements keep them light on a shared machine; the
        // race is between kernels and over the network to Redis either way.
        PLEXUS_SERVICES__ORDERS__PLACEMENT: 'inline',
        PLEXUS_SERVICES__PAYMENTS__PLACEMENT: 'inline',
      }
      const dirs = [
        await mkdtemp(join(tmpdir(), 'plexus-shop-a-')),
        await mkdtemp(join(tmpdir(), 'plexus-shop-b-')),
      ]
      const shops: Shop[] = []
      t.after(async () => {
        await Promise.all(shops.map((s) => s.stop()))
        await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
      })
      for (const dir of dirs) shops.push(await startShop(dir, env))
      const [a, b] = shops as [Shop, Shop]

      await a.setKey('stock/butter', 5)
      assert.equal(await b.stock('butter'), 5, 'one store: the other shop sees the write')
      const users = ['ada', 'grace', 'linus']
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 === 0 ? a : b).api('POST', '/api/orders', {
            user: users[i % 3],
            items: [{ sku: 'butter', qty: 1 }],
          }),
        ),
      )
      const statuses = answers.map((x) => x.status)
      assert.equal(statuses.filter((s) => s === 201).length, 5, JSON.stringify(statuses))
      assert.equal(statuses.filter((s) => s === 422).length, 35, JSON.stringify(statuses))
      assert.deepEqual([await a.stock('butter'), await b.stock('butter')], [0, 0])
      const ids = answers.filter((x) => x.status === 201).map((x) => x.body.id as string)
      assert.equal(new Set(ids).size, 5, `order ids unique across shops: ${ids.join(', ')}`)

      await a.setKey('stock/butter', 1)
      await a.add('grace', 'butter', 1)
      await b.add('linus', 'butter', 1)
      const [g, l] = await Promise.all([
        a.api('POST', '/api/carts/grace/checkout'),
        b.api('POST', '/api/carts/linus/checkout'),
      ])
      assert.deepEqual([g.status, l.status].sort(), [201, 422], JSON.stringify([g, l]))
      assert.equal(await a.stock('butter'), 0)
      const loser = g.status === 201 ? 'linus' : 'grace'
      assert.deepEqual(await a.cart(loser), [{ sku: 'butter', qty: 1 }], 'the loser keeps its cart')
    })
  },
)
