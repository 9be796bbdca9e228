// Catalog: what is sold and at what price; counts sales by reacting to orders.created.
import { defineService, PlexusError } from '@plexus/kernel'
import { incr, list } from './store.js'

/** A line of an order as asked for. */
export interface Item {
  sku: string
  qty: number
}

/** A priced line. */
export interface Line extends Item {
  name: string
  cents: number
  total: number
}

const PRODUCTS: Record<string, { name: string; cents: number }> = {
  tea: { name: 'Assam tea, 250 g', cents: 450 },
  scones: { name: 'Scones, box of 6', cents: 380 },
  jam: { name: 'Strawberry jam', cents: 520 },
  butter: { name: 'Salted butter', cents: 290 },
}

const product = (sku: string) => {
  const found = PRODUCTS[sku]
  if (found === undefined) {
    throw new PlexusError(
      'NOT_FOUND',
      `No product '${sku}' (known: ${Object.keys(PRODUCTS).join(', ')})`,
      {
        data: { sku },
      },
    )
  }
  return found
}

export default defineService({
  name: 'catalog',
  version: 1,
  dependencies: ['kv'],
  actions: {
    list: () => Object.entries(PRODUCTS).map(([sku, p]) => ({ sku, ...p })),
    price: (_ctx, { sku }: { sku: string }) => ({ sku, ...product(sku) }),
    quote: (_ctx, { items }: { items: Item[] }) => {
      const lines: Line[] = items.map(({ sku, qty }) => {
        const p = product(sku)
        return { sku, qty, name: p.name, cents: p.cents, total: p.cents * qty }
      })
      return { lines, total: lines.reduce((sum, l) => sum + l.total, 0) }
    },
    bestsellers: async (ctx) =>
      (await list<number>(ctx, 'sales/'))
        .map(({ key, value }) => ({ sku: key.slice('sales/'.length), sold: value }))
        .sort((a, b) => b.sold - a.sold),
  },
  events: {
    'orders.created': async (ctx, order: { items: Item[] }) => {
      for (const { sku, qty } of order.items) await incr(ctx, `sales/${sku}`, qty)
    },
  },
})
