// Orders: the flow. Validates the user, prices the items, reserves stock, charges the payment,
// stores the order and announces orders.created. Stateless (everything lives in kv), so it runs
// as several instances in worker threads.
import { defineService, PlexusError } from '@plexus/kernel'
import type { Item, Line } from './catalog.js'
import type { Payment } from './payments.js'
import { get, incr, list, set } from './store.js'

/** A placed order. */
export interface Order {
  id: string
  user: string
  items: Line[]
  total: number
  status: 'paid'
  payment: string
  at: string
}

function checkItems(items: unknown): Item[] {
  if (!Array.isArray(items) || items.length === 0 || items.length > 50) {
    throw new PlexusError(
      'VALIDATION',
      `'items' must be a list of 1 to 50 { sku, qty }, got ${JSON.stringify(items)}`,
    )
  }
  return items.map((item: { sku?: unknown; qty?: unknown }, i) => {
    if (typeof item?.sku !== 'string' || !Number.isInteger(item.qty) || (item.qty as number) < 1) {
      throw new PlexusError(
        'VALIDATION',
        `items[${i}] must be { sku: string, qty: positive integer }, got ${JSON.stringify(item)}`,
      )
    }
    return { sku: item.sku, qty: item.qty as number }
  })
}

export default defineService({
  name: 'orders',
  version: 1,
  dependencies: ['kv', 'users', 'catalog', 'inventory', 'payments'],
  actions: {
    place: async (ctx, input: { user: string; items: Item[] }) => {
      const items = checkItems(input?.items)
      const user = await ctx.call<{ id: string }>('users.get', { id: input.user })
      const quote = await ctx.call<{ lines: Line[]; total: number }>('catalog.quote', { items })
      const id = `o-${await incr(ctx, 'seq/orders')}`
      await ctx.call('inventory.reserve', { order: id, items })
      let payment: Payment
      try {
        payment = await ctx.call<Payment>('payments.charge', {
          order: id,
          user: user.id,
          amount: quote.total,
        })
      } catch (error) {
        // Compensate: the stock goes back whatever the payment failure was.
        await ctx.call('inventory.release', { order: id })
        throw error
      }
      const order: Order = {
        id,
        user: user.id,
        items: quote.lines,
        total: quote.total,
        status: 'paid',
        payment: payment.id,
        at: new Date().toISOString(),
      }
      await set(ctx, `orders/${id}`, order)
      ctx.emit('orders.created', order)
      return order
    },
    get: async (ctx, { id }: { id: string }) => {
      const order = await get<Order>(ctx, `orders/${id}`)
      if (order === null) throw new PlexusError('NOT_FOUND', `No order '${id}'`, { data: { id } })
      return order
    },
    list: async (ctx, { user }: { user?: string } = {}) =>
      (await list<Order>(ctx, 'orders/'))
        .map((e) => e.value)
        .filter((o) => user === undefined || o.user === user),
  },
})
