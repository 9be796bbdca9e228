// Orders: the flow. Validates the user, prices the items, reserves stock, charges the payment,
// stores the order and announces orders.created. Stateless (everything lives in kv), so it runs
// as several instances in worker threads.
import { defineAction, defineService, PlexusError } from '@plexus/kernel'
import type { Line } from './catalog.js'
import type { Payment } from './payments.js'
import { ById, ListInput, PlaceInput } from './schemas.js'
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

export default defineService({
  name: 'orders',
  version: 1,
  dependencies: ['kv', 'users', 'catalog', 'inventory', 'payments'],
  actions: {
    place: defineAction({
      input: PlaceInput,
      handler: async (ctx, input) => {
        const items = input.items
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
    }),
    get: defineAction({
      input: ById,
      handler: async (ctx, { id }) => {
        const order = await get<Order>(ctx, `orders/${id}`)
        if (order === null) throw new PlexusError('NOT_FOUND', `No order '${id}'`, { data: { id } })
        return order
      },
    }),
    list: defineAction({
      input: ListInput,
      handler: async (ctx, { user }) =>
        (await list<Order>(ctx, 'orders/'))
          .map((e) => e.value)
          .filter((o) => user === undefined || o.user === user),
    }),
  },
})
