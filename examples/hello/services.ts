// Three small services that only know each other by address.
import { defineService, PlexusError } from '@plexus/kernel'

/** Users: who may order. */
export const users = defineService({
  name: 'users',
  actions: {
    get: (_ctx, id: number) => {
      if (id !== 1 && id !== 2) throw new PlexusError('NOT_FOUND', `No user ${id}`)
      return { id, name: id === 1 ? 'Ada' : 'Linus' }
    },
  },
})

/** Catalog: prices, and a price feed as a stream. */
export const catalog = defineService({
  name: 'catalog',
  version: 1,
  actions: {
    price: (_ctx, sku: string) => ({ sku, cents: sku.length * 100 }),
  },
  streams: {
    feed: async function* (_ctx, { skus }: { skus: string[] }) {
      for (const sku of skus) yield { sku, cents: sku.length * 100 }
    },
  },
})

/** Orders: an actor (one order at a time), calling users and catalog, emitting an event. */
export const orders = defineService({
  name: 'orders',
  dependencies: ['users', 'catalog'],
  concurrency: 1,
  actions: {
    place: async (ctx, { user, skus }: { user: number; skus: string[] }) => {
      const customer = await ctx.call<{ name: string }>('users.get', user)
      let total = 0
      for (const sku of skus)
        total += (await ctx.call<{ cents: number }>('catalog.price', sku)).cents
      const order = { id: `o-${Date.now().toString(36)}`, customer: customer.name, total }
      ctx.emit('orders.created', order)
      return order
    },
  },
})

/** Mail: reacts to any orders.* event. */
export const mail = (log: (line: string) => void) =>
  defineService({
    name: 'mail',
    events: {
      'orders.*': (ctx, order: { id: string; customer: string }) =>
        log(`mail: ${ctx.topic} -> note to ${order.customer} about ${order.id}`),
    },
  })
