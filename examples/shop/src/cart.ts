// Cart: one virtual actor per user (docs/actors.md). Its lines live in the actor's state, saved in
// the kv service after every turn, so a cart outlives deactivation and a restart on the file
// backend. Checkout hands the lines to orders.place and empties the cart only when that succeeds:
// a failed checkout throws, the turn is not saved, and the cart keeps its lines.
import { defineActor } from '@plexus/actors'
import { PlexusError } from '@plexus/kernel'
import type { z } from 'zod'
import type { Item } from './catalog.js'
import type { Order } from './orders.js'
import { CartItemInput, CartRemoveInput, checked } from './schemas.js'

/** What a cart answers: its user and its lines, one per SKU. */
export interface CartView {
  user: string
  items: Item[]
}

const view = (user: string, items: readonly Item[]): CartView => ({
  user,
  items: items.map((i) => ({ ...i })),
})

export default defineActor({
  name: 'cart',
  key: 'user',
  state: () => ({ items: [] as Item[] }),
  // A cart nobody touched for 15 minutes leaves memory (Orleans' default); its state stays stored.
  idle: 15 * 60_000,
  actions: {
    /** Adds `qty` of `sku` (to the line already there, if any). */
    add: (self, input: { user: string } & z.input<typeof CartItemInput>) => {
      const { sku, qty } = checked(CartItemInput, input, 'cart.add')
      const line = self.state.items.find((i) => i.sku === sku)
      if (line === undefined) self.state.items.push({ sku, qty })
      else line.qty += qty
      return view(self.key, self.state.items)
    },
    /** Removes `qty` of `sku`, or the whole line without `qty`. */
    remove: (self, input: { user: string } & z.input<typeof CartRemoveInput>) => {
      const { sku, qty } = checked(CartRemoveInput, input, 'cart.remove')
      const line = self.state.items.find((i) => i.sku === sku)
      if (line === undefined) {
        throw new PlexusError('NOT_FOUND', `No '${sku}' in the cart of '${self.key}'`, {
          data: { user: self.key, sku },
        })
      }
      line.qty -= qty ?? line.qty
      if (line.qty <= 0) self.state.items = self.state.items.filter((i) => i !== line)
      return view(self.key, self.state.items)
    },
    /** Places the cart as an order; the cart is emptied only when the order is placed. */
    checkout: async (self, _: { user: string }) => {
      if (self.state.items.length === 0) {
        throw new PlexusError('VALIDATION', `The cart of '${self.key}' is empty`, {
          data: { user: self.key },
        })
      }
      const order = await self.ctx.call<Order>('orders.place', {
        user: self.key,
        items: self.state.items,
      })
      self.state.items = []
      return order
    },
  },
  // Reads: turns like the others, never compared or saved.
  queries: {
    /** The cart's lines. */
    items: (self, _: { user: string }) => view(self.key, self.state.items),
  },
})
