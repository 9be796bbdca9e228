import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { z } from 'zod'
import { defineService, withServices } from '@plexus/kernel'
import { deferred, quietKernel } from './helpers.js'

interface Order {
  id: string
  items: string[]
}

interface Topics {
  'orders.placed': Order
}

const orders = defineService({
  name: 'orders',
  actions: {
    place: (_ctx, { user, items }: { user: string; items: string[] }): Order => ({
      id: `order-${user}`,
      items,
    }),
  },
})

const placed = deferred<Order>()
const { defineService: defineTyped, defineAction } = withServices<
  { orders: typeof orders },
  Topics
>()

const cart = defineTyped({
  name: 'cart',
  actions: {
    checkout: async (ctx, { user }: { user: string }) => {
      const order = await ctx.call('orders.place', { user, items: ['book'] })
      ctx.emit('orders.placed', order)
      return order.id
    },
    again: defineAction({
      input: z.object({ user: z.string() }),
      handler: async (ctx, { user }) => (await ctx.call('orders.place', { user, items: [] })).id,
    }),
  },
  events: {
    'orders.placed': (_ctx, order) => placed.resolve(order),
  },
})

describe('typed handlers (withServices)', () => {
  it('runs a typed service as a plain definition: typed ctx.call and ctx.emit reach real services', async () => {
    assert.equal(withServices().defineService, defineService)
    const kernel = quietKernel().add(orders).add(cart)
    await kernel.start()
    assert.equal(await kernel.call('cart.checkout', { user: 'ada' }), 'order-ada')
    assert.deepEqual(await placed.promise, { id: 'order-ada', items: ['book'] })
    assert.equal(await kernel.call('cart.again', { user: 'bob' }), 'order-bob')
    await kernel.stop()
  })
})
