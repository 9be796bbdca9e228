// Inventory: a context handler over the store. It keeps nothing in memory: stock lives in the kv
// service (`stock/<sku>`), so any number of instances, in any number of kernels sharing a store,
// serve it. A reservation takes each line with a compare-and-set on the stock entry's revision:
// two orders racing for the last item cannot both win (no oversell). There are no multi-key
// transactions, so a line that cannot be had gives back the lines already taken.
import { defineAction, defineService, PlexusError, type Context } from '@plexus/kernel'
import { isRevisionConflict } from '@plexus/kv'
import { BySku } from './schemas.js'
import type { Item } from './catalog.js'
import { cas, del, get, getEntry, incr, set } from './store.js'

const SEED: Record<string, number> = { tea: 100, scones: 50, jam: 20, butter: 30 }
// Rounds of read + compare-and-set per line before giving up (each lost round means another
// reservation of the same SKU committed meanwhile, so the store is making progress).
const ROUNDS = 100

/** Takes `qty` of `sku` from the stock, or throws VALIDATION when there is not enough. */
async function take(ctx: Context, { sku, qty }: Item): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    const entry = await getEntry<number>(ctx, `stock/${sku}`)
    const available = entry?.value ?? 0
    if (entry === null || available < qty) {
      throw new PlexusError(
        'VALIDATION',
        `Out of stock: '${sku}' has ${available}, the order wants ${qty}`,
        { data: { sku, available, wanted: qty } },
      )
    }
    try {
      await cas(ctx, `stock/${sku}`, available - qty, entry.revision)
      return
    } catch (error) {
      if (!isRevisionConflict(error)) throw error
    }
  }
  throw new PlexusError('UNAVAILABLE', `Stock of '${sku}' too contended; try again`, {
    retryable: true,
    data: { sku },
  })
}

export default defineService({
  name: 'inventory',
  version: 1,
  dependencies: ['kv'],
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
      const taken: Item[] = []
      try {
        for (const item of items) {
          await take(ctx, item)
          taken.push(item)
        }
      } catch (error) {
        for (const { sku, qty } of taken) await incr(ctx, `stock/${sku}`, qty)
        throw error
      }
      await set(ctx, `reservations/${order}`, items)
      return { order, reserved: items }
    },
    release: async (ctx, { order }: { order: string }) => {
      // Claim the reservation by deleting it at the revision read: of two releases racing, one
      // gives the stock back.
      const entry = await getEntry<Item[]>(ctx, `reservations/${order}`)
      if (entry === null) return { order, released: [] }
      try {
        await del(ctx, `reservations/${order}`, entry.revision)
      } catch (error) {
        if (isRevisionConflict(error)) return { order, released: [] }
        throw error
      }
      for (const { sku, qty } of entry.value) await incr(ctx, `stock/${sku}`, qty)
      return { order, released: entry.value }
    },
    restock: async (ctx, { sku, qty }: { sku: string; qty: number }) => ({
      sku,
      available: await incr(ctx, `stock/${sku}`, qty),
    }),
  },
  started: async (ctx) => {
    // Only if absent (revision 0): instances starting together, or a second kernel on a shared
    // store, never reset stock another has already sold from.
    for (const [sku, qty] of Object.entries(SEED)) {
      try {
        await cas(ctx, `stock/${sku}`, qty, 0)
      } catch (error) {
        if (!isRevisionConflict(error)) throw error
      }
    }
  },
})
