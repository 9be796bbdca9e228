// Payments: charges an order once (idempotent by order id) and announces payments.captured.
// Configured to run in its own process: if it crashes, the shop keeps serving and it comes back.
import { existsSync } from 'node:fs'
import { defineService, PlexusError } from '@plexus/kernel'
import { get, set } from './store.js'

/** A captured payment. */
export interface Payment {
  id: string
  order: string
  user: string
  amount: number
  status: 'captured'
  at: string
}

/** Larger charges are declined (a stand-in for the card issuer's answer). */
const LIMIT_CENTS = 50_000
// Simulated latency of the payment provider.
const DELAY_MS = Number(process.env.SHOP_PAYMENT_DELAY_MS ?? 0)
// A provider that answers only once this file exists: the shutdown test holds requests in flight
// with it, and releases them when it has seen what it checks (no timing involved).
const HOLD_FILE = process.env.SHOP_PAYMENT_HOLD_FILE

export default defineService({
  name: 'payments',
  version: 1,
  dependencies: ['kv'],
  actions: {
    charge: {
      idempotent: true,
      handler: async (
        ctx,
        { order, user, amount }: { order: string; user: string; amount: number },
      ) => {
        const done = await get<Payment>(ctx, `payments/${order}`)
        if (done !== null) return done
        if (!Number.isInteger(amount) || amount <= 0) {
          throw new PlexusError(
            'VALIDATION',
            `amount must be a positive number of cents, got ${amount}`,
          )
        }
        if (amount > LIMIT_CENTS) {
          throw new PlexusError(
            'FORBIDDEN',
            `Payment declined: ${amount} cents is over the ${LIMIT_CENTS} limit`,
            {
              data: { order, amount, limit: LIMIT_CENTS },
            },
          )
        }
        if (DELAY_MS > 0) await new Promise((r) => setTimeout(r, DELAY_MS))
        while (HOLD_FILE !== undefined && !existsSync(HOLD_FILE)) {
          await new Promise((r) => setTimeout(r, 20))
        }
        const payment: Payment = {
          id: `p-${order}`,
          order,
          user,
          amount,
          status: 'captured',
          at: new Date().toISOString(),
        }
        await set(ctx, `payments/${order}`, payment)
        ctx.emit('payments.captured', payment)
        return payment
      },
    },
    get: async (ctx, { order }: { order: string }) => {
      const payment = await get<Payment>(ctx, `payments/${order}`)
      if (payment === null) throw new PlexusError('NOT_FOUND', `No payment for order '${order}'`)
      return payment
    },
    // Where this instance runs: the tour kills this process and watches it come back.
    info: () => ({ pid: process.pid, uptime: Math.round(process.uptime()) }),
  },
})
