// Users: who may order. Keeps per-user totals by reacting to orders.created and payments.captured.
import { defineAction, defineService, PlexusError } from '@plexus/kernel'
import { ById } from './schemas.js'
import { get, incr, set } from './store.js'

/** A customer. */
export interface User {
  id: string
  name: string
  email: string
}

const SEED: User[] = [
  { id: 'ada', name: 'Ada Lovelace', email: 'ada@example.com' },
  { id: 'grace', name: 'Grace Hopper', email: 'grace@example.com' },
  { id: 'linus', name: 'Linus Torvalds', email: 'linus@example.com' },
]

export default defineService({
  name: 'users',
  version: 1,
  dependencies: ['kv'],
  actions: {
    get: defineAction({
      input: ById,
      handler: async (ctx, { id }) => {
        const user = await get<User>(ctx, `users/${id}`)
        if (user === null) throw new PlexusError('NOT_FOUND', `No user '${id}'`, { data: { id } })
        const orders = (await get<number>(ctx, `users/${id}/orders`)) ?? 0
        const spent = (await get<number>(ctx, `users/${id}/spent`)) ?? 0
        return { ...user, orders, spent }
      },
    }),
  },
  events: {
    'orders.created': (ctx, order: { user: string }) => incr(ctx, `users/${order.user}/orders`),
    'payments.captured': (ctx, payment: { user: string; amount: number }) =>
      incr(ctx, `users/${payment.user}/spent`, payment.amount),
  },
  started: async (ctx) => {
    for (const user of SEED)
      if ((await get(ctx, `users/${user.id}`)) === null) await set(ctx, `users/${user.id}`, user)
  },
})
