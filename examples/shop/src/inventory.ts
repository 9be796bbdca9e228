// Inventory: stock per SKU. One message at a time (an actor), so checking and reserving every
// line of an order is atomic; a failed payment releases the reservation.
import { defineAction, defineService, PlexusError } from '@plexus/kernel'
import { BySku } from './schemas.js'
import type { Item } from './catalog.js'
import { del, get, incr, set } from './store.js'

const SEED: Record<string, number> = { tea: 100, scones: 50, jam: 20, butter: 30 }

export default defineService({
  name: 'inventory',
  version: 1,
  dependencies: ['kv'],
  concurrency: 1,
  actions: {
    stock: defineAction({
      input: BySku,
      handler: async (ctx, { sku }) => {
        const available = await get<number>(ctx, `stock/${sku}`)
        if (available === null) throw new PlexusError('NOT_FOUND', `No stock kept for '${sku}'`)
        return { sku, available }
      },
    }),
    reserve: async (ctx, { order, items }: { order: string; items: Item[] }) => {
      for (const { sku, qty } of items) {
        const available = (await get<number>(ctx, `stock/${sku}`)) ?? 0
        if (available < qty) {
          throw new PlexusError(
            'VALIDATION',
            `Out of stock: '${sku}' has ${available}, the order wants ${qty}`,
            { data: { sku, available, wanted: qty } },
          )
        }
      }
      for (const { sku, qty } of items) await incr(ctx, `stock/${sku}`, -qty)
      await set(ctx, `reservations/${order}`, items)
      return { order, reserved: items }
    },
    release: async (ctx, { order }: { order: string }) => {
      const items = await get<Item[]>(ctx, `reservations/${order}`)
      if (items === null) return { order, released: [] }
      for (const { sku, qty } of items) await incr(ctx, `stock/${sku}`, qty)
      await del(ctx, `reservations/${order}`)
      return { order, released: items }
    },
    restock: async (ctx, { sku, qty }: { sku: string; qty: number }) => ({
      sku,
      available: await incr(ctx, `stock/${sku}`, qty),
    }),
  },
  started: async (ctx) => {
    for (const [sku, qty] of Object.entries(SEED))
      if ((await get(ctx, `stock/${sku}`)) === null) await set(ctx, `stock/${sku}`, qty)
  },
})
