// The callee of the type tests in typed-handlers.ts, in its own module as a real service would be.
import { defineService } from '@plexus/kernel'

export interface Order {
  id: string
  total: number
}

export const orders = defineService({
  name: 'orders',
  actions: {
    place: (_ctx, input: { user: string; items: string[] }): Order => ({
      id: input.user,
      total: input.items.length,
    }),
    count: () => 3,
  },
  streams: {
    recent: async function* (_ctx, { n }: { n: number }) {
      for (let i = 0; i < n; i++) yield { id: String(i), total: i } satisfies Order
    },
  },
})

// The topics the shop publishes, with their payload types (shared by publishers and subscribers).
export interface Topics {
  'orders.placed': Order
  'cart.cleared': { user: string }
  'cart.tick': undefined
}
