import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createKernel, defineService, silentLogger } from '@plexus/kernel'
import { remote, runHost } from '@plexus/remote'
import { rejectionOf, until } from '@plexus/testing'
import { TOKEN } from './helpers.js'

const payments = defineService({
  name: 'payments',
  actions: {
    charge: { idempotent: true, handler: (_ctx, { cents }: { cents: number }) => ({ ok: cents }) },
  },
})

describe("placement 'remote': a configured service that only hosts serve", () => {
  it('starts with its dependents, holds calls until a host dials in, serves through it, and waits again when it leaves', async () => {
    const plugin = remote({ tcp: 'tcp://127.0.0.1:0', token: TOKEN })
    const kernel = createKernel({ logger: silentLogger, plugins: [plugin] })
    kernel.add(payments, { placement: 'remote' })
    kernel.add(
      defineService({
        name: 'orders',
        dependencies: ['payments'],
        actions: { place: (ctx, cents: number) => ctx.call('payments.charge', { cents }) },
      }),
    )
    await kernel.start()
    const status = () => kernel.services().find((s) => s.name === 'payments')!
    assert.equal(status().instances[0]!.placement, 'remote')
    const early = kernel.call('orders.place', 5, { deadline: 15_000 })
    const host = runHost(payments, { connect: plugin.addresses.tcp!, token: TOKEN, name: 'pay-1' })
    assert.deepEqual(
      await early,
      { ok: 5 },
      'the call made before any host was served once one came',
    )
    assert.deepEqual(await kernel.call('orders.place', 7), { ok: 7 })
    assert.equal(
      status().instances.length,
      1,
      'the host took the configured slot, nothing was attached beside it',
    )
    await host.stop()
    await until('the slot to be free again', () => (plugin.links === 0 ? true : undefined))
    const waiting = await rejectionOf(kernel.call('orders.place', 9, { deadline: 300 }))
    assert.equal(waiting.code, 'TIMEOUT', 'with no host, a call waits for one within its deadline')
    const again = runHost(payments, { connect: plugin.addresses.tcp!, token: TOKEN, name: 'pay-2' })
    assert.deepEqual(await kernel.call('orders.place', 11, { deadline: 15_000 }), { ok: 11 })
    await kernel.stop()
    await again.stop()
  })

  it('refuses a host whose manifest differs from the configured definition (MANIFEST_MISMATCH)', async () => {
    const plugin = remote({ tcp: 'tcp://127.0.0.1:0', token: TOKEN })
    const kernel = createKernel({ logger: silentLogger, plugins: [plugin] })
    kernel.add(payments, { placement: 'remote' })
    await kernel.start()
    const other = defineService({ name: 'payments', actions: { refund: () => 1 } })
    const host = runHost(other, { connect: plugin.addresses.tcp!, token: TOKEN, name: 'wrong' })
    await until('the host to be refused at least once', () =>
      host.connections >= 1 && !host.connected && plugin.links === 0 ? true : undefined,
    )
    const error = await rejectionOf(kernel.call('payments.charge', { cents: 1 }, { deadline: 200 }))
    assert.equal(error.code, 'TIMEOUT', 'the wrong host was never routed to')
    await host.stop()
    await kernel.stop()
  })
})
