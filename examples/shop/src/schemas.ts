// The shop's input schemas (zod 4, a Standard Schema validator): the kernel refuses bad input
// with VALIDATION before a handler runs, and the gateway's /openapi.json shows them.
import { PlexusError } from '@plexus/kernel'
import { z } from 'zod'

/** A stock-keeping unit: lower-case letters, digits and dashes. */
export const Sku = z.string().regex(/^[a-z0-9-]{1,40}$/, 'a SKU: lower-case letters, digits, -')

/** A line of an order as asked for. */
export const ItemInput = z.object({ sku: Sku, qty: z.number().int().min(1).max(1000) })

/** What `orders.place` takes. */
export const PlaceInput = z.object({
  user: z.string().min(1).max(64),
  items: z.array(ItemInput).min(1).max(50),
})

/** An id in the path (`/api/orders/:id`, `/api/users/:id`). */
export const ById = z.object({ id: z.string().min(1).max(64) })

/** `orders.list`'s optional filter. */
export const ListInput = z.object({ user: z.string().min(1).max(64).optional() }).default({})

/** A SKU in the path (`/api/stock/:sku`). */
export const BySku = z.object({ sku: Sku })

/** A line put in a cart (`POST /api/carts/:user/items`). */
export const CartItemInput = ItemInput

/** A line taken out of a cart: all of it without `qty`. */
export const CartRemoveInput = z.object({
  sku: Sku,
  qty: z.number().int().min(1).max(1000).optional(),
})

/**
 * Checks `input` against `schema` inside a handler (actor methods take no schema of their own),
 * answering VALIDATION with the same `issues` shape the kernel uses for action schemas.
 */
export function checked<S extends z.ZodType>(
  schema: S,
  input: unknown,
  where: string,
): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issues = result.error.issues.map((i) => ({ message: i.message, path: i.path.map(String) }))
  const first = issues[0]
  const at = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : ''
  throw new PlexusError('VALIDATION', `Invalid input of ${where}${at}: ${first?.message}`, {
    data: { issues },
  })
}
