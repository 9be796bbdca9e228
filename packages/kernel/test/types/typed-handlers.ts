// Type tests for handlers' typed view of other services (`withServices`): `npm run typecheck`
// compiles this file. Lines marked @ts-expect-error MUST fail to compile (tsc reports an unused
// directive otherwise); the other lines must compile.
import { z } from 'zod'
import {
  createKernel,
  defineAction,
  defineService,
  withServices,
  type Context,
} from '@plexus/kernel'

// The callee lives in its own module; a type-only import is enough (no callee code is loaded).
import type { Order, orders, Topics } from './peer-orders.js'
import { orders as ordersService } from './peer-orders.js'

const shop = withServices<{ orders: typeof orders }, Topics>()

const cart = shop.defineService({
  name: 'cart',
  actions: {
    checkout: async (ctx, { user }: { user: string }) => {
      // A correct call compiles and its answer type is inferred.
      const order = await ctx.call('orders.place', { user, items: ['a'] })
      const total: number = order.total
      const count: number = await ctx.call('orders.count')
      ctx.send('orders.place', { user, items: [] })
      for await (const recent of ctx.stream('orders.recent', { n: 2 })) {
        const id: string = recent.id
        void id
      }
      ctx.emit('orders.placed', order)
      ctx.emit('cart.cleared', { user }, { meta: { why: 'checkout' } })
      ctx.emit('cart.tick')

      // @ts-expect-error wrong input type
      await ctx.call('orders.place', { user, items: 'a' })
      // @ts-expect-error missing input
      await ctx.call('orders.place')
      // @ts-expect-error unknown address (action)
      await ctx.call('orders.cancel', { id: '1' })
      // @ts-expect-error unknown address (service)
      await ctx.call('billing.charge', { total })
      // @ts-expect-error answer is an Order, not a string
      const wrong: string = await ctx.call('orders.place', { user, items: [] })
      // @ts-expect-error wrong input type on send
      ctx.send('orders.place', { user: 1, items: [] })
      // @ts-expect-error unknown stream
      ctx.stream('orders.nothing', {})
      // @ts-expect-error wrong emit payload
      ctx.emit('orders.placed', { id: 1, total })
      // @ts-expect-error missing emit payload
      ctx.emit('cart.cleared')
      // @ts-expect-error unknown topic
      ctx.emit('orders.shipped', order)

      // Untyped parts of the context are the kernel's own.
      const left: number = ctx.remaining()
      void [total, count, wrong, left]
      return order
    },
  },
  events: {
    // A declared topic types the payload without an annotation.
    'orders.placed': (ctx, order) => ctx.call('orders.count').then((n) => n + order.total),
    'cart.cleared': {
      delivery: 'broadcast',
      handler: (_ctx, { user }) => user.toUpperCase(),
    },
    // A wildcard pattern keeps an untyped payload.
    'orders.*': (_ctx, payload: unknown) => payload,
  },
  started: async (ctx) => {
    // @ts-expect-error lifecycle hooks get the typed view too
    await ctx.call('orders.place', {})
  },
})

// The typed service is a plain definition: the kernel accepts it and types calls to it.
// (Composing the kernel is where the callee's code is imported as a value.)
const kernel = createKernel().add(ordersService).add(cart)

export async function typedKernel(): Promise<void> {
  const order: Order = await kernel.call('cart.checkout', { user: 'ada' })
  // @ts-expect-error wrong input to the typed service
  await kernel.call('cart.checkout', { name: 'ada' })
  void order
}

// A schema-driven action gets the typed view as well.
export const checkoutSpec = shop.defineAction({
  input: z.object({ user: z.string() }),
  handler: async (ctx, { user }) => {
    // @ts-expect-error wrong input type inside a schema-driven action
    await ctx.call('orders.place', { user, items: [1] })
    return ctx.call('orders.place', { user, items: [] })
  },
})

// Only services typed: emit stays untyped. Only topics typed: calls stay untyped.
export const callsOnly = withServices<{ orders: typeof orders }>().defineService({
  name: 'calls-only',
  actions: {
    go: async (ctx) => {
      ctx.emit('anything.goes', { x: 1 })
      return ctx.call('orders.count')
    },
  },
})
export const topicsOnly = withServices<{}, Topics>().defineService({
  name: 'topics-only',
  actions: {
    go: async (ctx) => {
      ctx.emit('cart.cleared', { user: 'ada' })
      return ctx.call<number>('whatever.action', { x: 1 })
    },
  },
})

// Untyped services keep their untyped context, and a plain `Context` handler still fits.
export const plain = defineService({
  name: 'plain',
  actions: {
    go: (ctx: Context) => ctx.call<number>('any.thing', 1),
  },
})

// A subscriber's payload is typed from the declared topic, not `any`; an annotation must match.
export const subscribers = shop.defineService({
  name: 'subscribers',
  events: {
    'cart.cleared': (_ctx, payload) => {
      const user: string = payload.user
      // @ts-expect-error the payload of 'cart.cleared' has no 'total'
      return [user, payload.total]
    },
    // @ts-expect-error the payload of 'orders.placed' is an Order
    'orders.placed': (_ctx, payload: string) => payload,
  },
})

// Plain handlers and specs fit in a typed service, and a typed context fits where a plain
// `Context` is taken (helpers such as an auth principal reader).
const plainSpec = defineAction({
  input: z.object({ n: z.number() }),
  handler: (ctx, { n }) => ctx.call<number>('any.thing', n),
})
const plainHandler = (ctx: Context, n: number) => ctx.remaining() + n
const helper = (ctx: Context): number => ctx.remaining()
export const mixed = shop.defineService({
  name: 'mixed',
  actions: {
    spec: plainSpec,
    handler: plainHandler,
    typed: async (ctx) => helper(ctx) + (await ctx.call('orders.count')),
  },
})
