// The cart actor as a shopper reaches it: `plexus start` in a child process, every step through
// the shop's HTTP gateway. Checkout becomes an order; the last item of stock goes to exactly one of
// two racing checkouts; a cart outlives a restart of the shop on the file backend.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startShop, type Line, type Shop } from './running-shop.js'

// The file backend chosen explicitly: the restart test needs a store that survives the process.
const env = { PLEXUS_SERVICES__KV__CONFIG__BACKEND: 'file' }

let dir: string
let shop: Shop
const api = (method: string, path: string, body?: unknown) => shop.api(method, path, body)
const cart = (user: string) => shop.cart(user)
const add = (user: string, sku: string, qty: number) => shop.add(user, sku, qty)
const stock = (sku: string) => shop.stock(sku)

describe('the cart actor, through the shop gateway', { timeout: 180_000 }, () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plexus-cart-'))
    shop = await startShop(dir, env)
  })

  after(async () => {
    await shop.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('adds, lists and removes lines, one line per SKU, refusing bad input with VALIDATION', async () => {
    assert.deepEqual(await cart('ada'), [])
    assert.equal((await add('ada', 'tea', 2)).status, 200)
    await add('ada', 'jam', 1)
    const merged = await add('ada', 'tea', 1)
    assert.deepEqual(merged.body, {
      user: 'ada',
      items: [
        { sku: 'tea', qty: 3 },
        { sku: 'jam', qty: 1 },
      ],
    })
    const removed = await api('DELETE', `/api/carts/ada/items/jam`)
    assert.equal(removed.status, 200)
    assert.deepEqual(await cart('ada'), [{ sku: 'tea', qty: 3 }])
    const partly = await api('DELETE', `/api/carts/ada/items/tea`, { qty: 1 })
    assert.deepEqual(partly.body.items, [{ sku: 'tea', qty: 2 }])

    const bad = await add('ada', 'tea', 0)
    assert.equal(bad.status, 422)
    assert.equal(bad.body.error.code, 'VALIDATION')
    assert.deepEqual(bad.body.error.data.issues[0].path, ['qty'])
    const absent = await api('DELETE', `/api/carts/ada/items/butter`)
    assert.equal(absent.status, 404)
    assert.deepEqual(await cart('ada'), [{ sku: 'tea', qty: 2 }], 'refused calls change nothing')
  })

  it('checks a cart out as a paid order: stock taken, the cart emptied', async () => {
    const before = await stock('scones')
    await add('grace', 'scones', 2)
    const placed = await api('POST', '/api/carts/grace/checkout')
    assert.equal(placed.status, 201, JSON.stringify(placed.body))
    assert.deepEqual(
      [placed.body.user, placed.body.status, placed.body.total],
      ['grace', 'paid', 760],
    )
    assert.deepEqual(await cart('grace'), [])
    assert.equal(await stock('scones'), before - 2)
    const order = await api('GET', `/api/orders/${placed.body.id}`)
    assert.deepEqual(
      order.body.items.map((l: Line) => [l.sku, l.qty]),
      [['scones', 2]],
    )

    const empty = await api('POST', '/api/carts/grace/checkout')
    assert.equal(empty.status, 422)
    assert.match(empty.body.error.message, /cart of 'grace' is empty/)
  })

  it('keeps the cart when checkout fails (out of stock), and takes no stock', async () => {
    const before = await stock('jam')
    await add('linus', 'jam', 1000)
    const failed = await api('POST', '/api/carts/linus/checkout')
    assert.equal(failed.status, 422)
    assert.match(failed.body.error.message, /Out of stock: 'jam'/)
    assert.deepEqual(await cart('linus'), [{ sku: 'jam', qty: 1000 }])
    assert.equal(await stock('jam'), before)
    await api('DELETE', '/api/carts/linus/items/jam')
  })

  // Here kv is inline with the inventory, so each reservation's reads and writes happen to run in
  // one event-loop turn; shared-stock.test.ts races them for real, over Redis between two shops.
  it('gives the last item of stock to exactly one of two concurrent checkouts, every round', async () => {
    for (let round = 0; round < 3; round++) {
      await shop.setKey('stock/butter', 1)
      await add('grace', 'butter', 1)
      await add('linus', 'butter', 1)
      const [g, l] = await Promise.all([
        api('POST', '/api/carts/grace/checkout'),
        api('POST', '/api/carts/linus/checkout'),
      ])
      const statuses = [g.status, l.status].sort()
      assert.deepEqual(statuses, [201, 422], `round ${round}: ${JSON.stringify([g, l])}`)
      assert.equal(await stock('butter'), 0, `round ${round}: no oversell`)
      const [winner, loser] = g.status === 201 ? ['grace', 'linus'] : ['linus', 'grace']
      assert.deepEqual(await cart(winner), [])
      assert.deepEqual(await cart(loser), [{ sku: 'butter', qty: 1 }], 'the loser keeps its cart')
      await api('DELETE', `/api/carts/${loser}/items/butter`)
    }
  })

  it('keeps a cart across a restart of the shop on the file backend', async () => {
    await add('ada', 'butter', 4)
    const kept = await cart('ada')
    assert.deepEqual(kept, [
      { sku: 'tea', qty: 2 },
      { sku: 'butter', qty: 4 },
    ])
    await shop.stop()
    shop = await startShop(dir, env)
    assert.deepEqual(await cart('ada'), kept)
  })
})
