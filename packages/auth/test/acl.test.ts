import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createKernel, defineService, PlexusError, type Context } from '@plexus/kernel'
import { rejectionOf } from '@plexus/testing'
import { auth, createVerifier, PRINCIPAL_KEY, type Policies } from '@plexus/auth'
import { rsaKey, sign } from './tokens.js'

const key = rsaKey('k1')
const verifier = createVerifier({ keys: [key.jwk], algorithms: ['RS256'] })

const policies: Policies = {
  actions: {
    'orders.create': { roles: ['customer'] },
    'orders.list': { public: true },
    'orders.*': { scopes: ['orders:admin'] },
    'payments.charge': { callers: ['orders'] },
    'orders.$reindex': { roles: ['ops'] },
  },
}

function kernelWith(p: Policies) {
  const orders = defineService({
    name: 'orders',
    actions: {
      create: (ctx: Context) => ctx.call('payments.charge', {}),
      list: () => 'list',
      cancel: () => 'cancelled',
      $reindex: () => 'reindexed',
      _secret: () => 'secret',
    },
  })
  const payments = defineService({
    name: 'payments',
    actions: { charge: () => 'charged', refund: () => 'refunded' },
  })
  return createKernel({ plugins: [auth({ verifier, policies: p })] })
    .add(orders)
    .add(payments)
}

async function codeOf(promise: Promise<unknown>): Promise<[string, unknown]> {
  const error = await rejectionOf(promise)
  assert.ok(error instanceof PlexusError, String(error))
  return [error.code, (error.data as { rule?: unknown }).rule]
}

test('policies allow by role, scope, public and calling service; FORBIDDEN names the rule', async () => {
  const kernel = kernelWith(policies)
  await kernel.start()
  try {
    const as = async (claims: Record<string, unknown>) => ({
      meta: { [PRINCIPAL_KEY]: await verifier.verify(await sign(key, claims)) },
    })
    assert.equal(await kernel.call('orders.list', {}), 'list')
    assert.equal(
      await kernel.call('orders.create', {}, await as({ roles: ['customer'] })),
      'charged',
    )
    assert.deepEqual(
      await codeOf(kernel.call('orders.create', {}, await as({ roles: ['guest'] }))),
      ['FORBIDDEN', 'actions:orders.create'],
    )
    assert.deepEqual(await codeOf(kernel.call('orders.create', {})), [
      'UNAUTHORIZED',
      'actions:orders.create',
    ])
    assert.equal(
      await kernel.call('orders.cancel', {}, await as({ scope: 'orders:admin' })),
      'cancelled',
    )
    assert.deepEqual(
      await codeOf(kernel.call('payments.charge', {}, await as({ roles: ['customer', 'admin'] }))),
      ['FORBIDDEN', 'actions:payments.charge'],
    )
    assert.deepEqual(await codeOf(kernel.call('payments.refund', {})), ['FORBIDDEN', 'no rule'])
  } finally {
    await kernel.stop()
  }
})

test('internal actions are unreachable from outside unless a rule names them exactly', async () => {
  const kernel = kernelWith(policies)
  await kernel.start()
  try {
    const ops = {
      meta: {
        [PRINCIPAL_KEY]: await verifier.verify(
          await sign(key, { roles: ['ops'], scope: 'orders:admin' }),
        ),
      },
    }
    assert.deepEqual(await codeOf(kernel.call('orders._secret', {}, ops)), ['FORBIDDEN', 'no rule'])
    assert.equal(await kernel.call('orders.$reindex', {}, ops), 'reindexed')
  } finally {
    await kernel.stop()
  }
})

test('without policies everything stays reachable; with any policy the default is deny', async () => {
  const open = kernelWith({})
  await open.start()
  try {
    assert.equal(await open.call('payments.refund', {}), 'refunded')
  } finally {
    await open.stop()
  }
  const closed = kernelWith({ actions: { 'orders.list': { public: true } } })
  await closed.start()
  try {
    assert.deepEqual(await codeOf(closed.call('payments.refund', {})), ['FORBIDDEN', 'no rule'])
  } finally {
    await closed.stop()
  }
})
