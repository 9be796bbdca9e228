// Shipping: ships each paid order exactly once. Its orders.created subscription is durable: with
// the durable-events plug-in (@plexus/nats, docs/events.md) an order placed while shipping is
// down is shipped when it is back; without it, it is a plain event. Redeliveries are harmless:
// the shipment is one create-only write keyed by the order id, so a second delivery finds it.
import { defineAction, defineService } from '@plexus/kernel'
import { isRevisionConflict } from '@plexus/kv'
import type { Order } from './orders.js'
import { ById } from './schemas.js'
import { cas, get, incr } from './store.js'

/** A shipment: one per order. */
export interface Shipment {
  order: string
  user: string
  items: number
  at: string
}

export default defineService({
  name: 'shipping',
  version: 1,
  events: {
    'orders.created': {
      durable: { maxDeliveries: 10, backoff: [200, 1000, 5000] },
      handler: async (ctx, order: Order) => {
        const shipment: Shipment = {
          order: order.id,
          user: order.user,
          items: order.items.reduce((n, line) => n + line.qty, 0),
          at: new Date().toISOString(),
        }
        try {
          await cas(ctx, `shipments/${order.id}`, shipment, 0)
        } catch (error) {
          if (isRevisionConflict(error)) return // shipped by an earlier delivery
          throw error
        }
        await incr(ctx, 'shipping/count')
      },
    },
  },
  actions: {
    get: defineAction({
      input: ById,
      handler: (ctx, { id }) => get<Shipment>(ctx, `shipments/${id}`),
    }),
    count: async (ctx) => (await get<number>(ctx, 'shipping/count')) ?? 0,
  },
})
